r"""fmi-reallocate: diverse textures from one image by energy reallocation.

Usage:
  fmi-reallocate --image=cat.jpg --mode=random --seeds=0:8 --out=out/
  fmi-reallocate --image=cat.jpg --mode=rank --style=bricks.jpg --out=out/

Writes out/seed_<seed:04d>.png for every seed and out/grid.png (the image
first, then one result per seed).
"""

import os

from absl import flags
import numpy as np

from fmi_tf.optim import optimization
from fmi_tf.io import grid
from fmi_tf.io import images
from fmi_tf.io import outputs
from fmi_tf.io import progress
from fmi_tf.io import summaries
from fmi_tf.style import reallocation
from . import cli
from . import model_flags
from . import param_flags

_DEFAULTS = reallocation.ReallocationConfig()

_IMAGE = flags.DEFINE_string(
    "image", None, "Image whose energies are reallocated; default: the "
    "embedded photo of Chelsea the cat.")
_MODE = flags.DEFINE_enum("mode", _DEFAULTS.mode, reallocation.MODES,
                          "random shares, or the style's energies by rank.")
_STYLE = flags.DEFINE_string("style", None, "Style image (--mode=rank only).")
_SEEDS = flags.DEFINE_string("seeds", "0:8", "Seeds: 0:8 or 0,4,7.")
_LAYERS = flags.DEFINE_list(
    "layers", [], "Layers reallocated and matched; default: the network's "
    "two shallowest style layers (VGG19: relu1_1, relu2_1).")
_CONCENTRATION = flags.DEFINE_float(
    "concentration", _DEFAULTS.concentration, "Dirichlet parameter of the "
    "random shares: 1 is uniform on the simplex; lower values give each "
    "layer's energy to fewer maps, so the seeds differ more in style.",
    lower_bound=1e-3)
_OUT = flags.DEFINE_string("out", None, "Output directory.", required=True)
_SIZE = flags.DEFINE_integer("size", 128, "Longer side of the images, pixels.",
                             lower_bound=16, upper_bound=cli.MAX_SIZE)
_STEPS = flags.DEFINE_integer("steps", _DEFAULTS.optimizer.steps,
                              "Optimisation steps.", lower_bound=1,
                              upper_bound=cli.MAX_STEPS)
_LEARNING_RATE = flags.DEFINE_float(
    "learning_rate", _DEFAULTS.optimizer.learning_rate, "Adam's peak step "
    "size.")
_TV_WEIGHT = flags.DEFINE_float("tv_weight", _DEFAULTS.tv_weight,
                                "Weight of the total-variation prior.",
                                lower_bound=0)
_BATCH_SIZE = flags.DEFINE_integer(
    "batch_size", _DEFAULTS.batch_size, "Seeds inverted together; a longer "
    "--seeds list runs in chunks of this many, which bounds memory.",
    lower_bound=1, upper_bound=cli.MAX_BATCH)
_LOGDIR = flags.DEFINE_string("logdir", None, "TensorBoard log directory.")


def _reporter(bar: progress.Progress, writer: summaries.SummaryWriter
              ) -> reallocation.SeedProgressFn:
  """Returns the callback that advances the bar and writes summaries."""
  done = 0

  def on_progress(step, seeds, results, losses):
    nonlocal done
    bar.advance(step - done, f"loss {np.mean(losses):.3f}")
    done = step
    writer.scalars(step, {f"loss/seed_{seed:04d}": loss
                          for seed, loss in zip(seeds, losses)})
    writer.image_grid(step, "image/results", results)

  return on_progress


def main(argv):
  cli.no_stray_arguments(argv)
  config = reallocation.ReallocationConfig(
      mode=_MODE.value, layers=tuple(_LAYERS.value),
      concentration=_CONCENTRATION.value, tv_weight=_TV_WEIGHT.value,
      batch_size=_BATCH_SIZE.value,
      optimizer=optimization.OptimizerConfig(
          steps=_STEPS.value, learning_rate=_LEARNING_RATE.value,
          tolerance=0.0, param=param_flags.PARAM.value))
  seeds = reallocation.parse_seeds(_SEEDS.value)
  image = images.load_image(_IMAGE.value, _SIZE.value)
  reallocation.check_style(config.mode, _STYLE.value is not None)
  style = images.load_image(_STYLE.value, _SIZE.value) if _STYLE.value else None
  backbone = model_flags.backbone(model_flags.WEIGHTS.value)
  reallocator = reallocation.Reallocator(backbone, config)
  reallocator.check_images(image, style)
  writer = summaries.SummaryWriter(_LOGDIR.value)
  outputs.check_creatable(_OUT.value)
  with outputs.removed_on_failure(_OUT.value):
    out_dir = outputs.prepare_directory(_OUT.value)
    with progress.Progress(reallocator.total_steps(len(seeds)), unit="step",
                           description=config.mode) as bar:
      result = reallocator.invert(image, seeds, style,
                                  _reporter(bar, writer))
    for seed, picture in zip(seeds, result.images):
      outputs.write_png(os.path.join(out_dir, f"seed_{seed:04d}.png"),
                        picture)
    sheet = grid.labelled_grid(
        [image, *result.images], ["image", *(f"seed {s}" for s in seeds)],
        f"{config.mode} reallocation at {', '.join(reallocator.layers)}")
    outputs.write_png(os.path.join(out_dir, "grid.png"), sheet)
  writer.flush()


def run():
  cli.run(main)


if __name__ == "__main__":
  run()

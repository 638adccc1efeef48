r"""fmi-reallocate: diverse textures from one image by energy reallocation.

Usage:
  fmi-reallocate --image=cat.jpg --mode=random --seeds=0:8 --out=out/
  fmi-reallocate --image=cat.jpg --mode=rank --style=bricks.jpg --out=out/

Writes out/seed_<seed:04d>.png for every seed and out/grid.png (the image
first, then one result per seed).
"""

from absl import flags

from fmi_tf.style import api
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
_SIZE = flags.DEFINE_integer("size", api.DEFAULT_REALLOCATION_SIZE,
                             "Longer side of the images, pixels.",
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


def main(argv):
  cli.no_stray_arguments(argv)
  api.reallocate(
      model_flags.backbone(model_flags.WEIGHTS.value), _IMAGE.value,
      _SEEDS.value, mode=_MODE.value, style=_STYLE.value, size=_SIZE.value,
      logdir=_LOGDIR.value, out=_OUT.value, layers=tuple(_LAYERS.value),
      concentration=_CONCENTRATION.value, tv_weight=_TV_WEIGHT.value,
      batch_size=_BATCH_SIZE.value, steps=_STEPS.value,
      learning_rate=_LEARNING_RATE.value, param=param_flags.PARAM.value)


def run():
  cli.run(main)


if __name__ == "__main__":
  run()

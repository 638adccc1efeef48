r"""fmi-render: images that drive a network's units (activation maximisation).

Usage:
  fmi-render --objective=block4_conv1:0:16 --out=out/
  fmi-render --objective=block5_conv1:7 --param=maco --size=224 --out=out/
  fmi-render --objective=block4_conv1:7 --param=maco \
      --spectrum=folder:textures/ --out=out/

Writes out/image_<i:04d>.png and .json, and out/attribution_<i:04d>.png,
for every image (`fmi_tf.render`).
"""

from absl import flags

from fmi_tf import errors
from fmi_tf import limits
from fmi_tf.nets import precision
from fmi_tf.optim import optimization
from fmi_tf.optim import parameterization
from fmi_tf.optim import render as render_lib
from . import cli
from . import model_flags

_DEFAULTS = optimization.OptimizerConfig()
_OBJECTIVE = flags.DEFINE_string(
    "objective", None, "Channels to maximise: layer:filters, e.g. "
    "block4_conv1:7 or block4_conv1:0:16 (one image per filter).")
_OUT = flags.DEFINE_string("out", None, "Output directory (required).")
_SIZE = flags.DEFINE_integer("size", render_lib.DEFAULT_SIZE,
                             "Image side, pixels.", lower_bound=1,
                             upper_bound=limits.MAX_SIZE)
_STEPS = flags.DEFINE_integer("steps", _DEFAULTS.steps,
                              "The most steps per image.", lower_bound=1,
                              upper_bound=limits.MAX_STEPS)
_LEARNING_RATE = flags.DEFINE_float("learning_rate", _DEFAULTS.learning_rate,
                                    "Peak step size.", lower_bound=0.0)
_PARAM = flags.DEFINE_enum(
    "param", render_lib.DEFAULT_PARAM, parameterization.PARAMS,
    "pixel, fourier (lucid's spectrum) or maco (the phase of a natural "
    "spectrum).")
_SPECTRUM = flags.DEFINE_string(
    "spectrum", None, "With --param=maco: a dataset (folder:PATH, dtd:PATH, "
    "...) whose mean spectrum MaCo keeps; default a 1/f power law.")
_INIT = flags.DEFINE_string("init", "noise",
                            "noise, or an image to start from.")
_SEED = flags.DEFINE_integer("seed", 0, "Seed of the noise and transforms.",
                             lower_bound=0, upper_bound=optimization.MAX_SEED)
_BATCH_SIZE = flags.DEFINE_integer(
    "batch_size", render_lib.DEFAULT_BATCH_SIZE, "Images optimised together.",
    lower_bound=1, upper_bound=limits.MAX_BATCH)
_PRECISION = flags.DEFINE_enum("precision", render_lib.DEFAULT_PRECISION,
                               precision.PRECISIONS, "Network compute.")
_LOGDIR = flags.DEFINE_string("logdir", None, "TensorBoard log directory.")


def main(argv):
  cli.no_stray_arguments(argv)
  for flag in (_OBJECTIVE, _OUT):
    if not flag.value:
      raise errors.ArgumentError(f"give --{flag.name}")
  render_lib.render(
      model_flags.backbone(model_flags.WEIGHTS.value), _OBJECTIVE.value,
      size=_SIZE.value, init=_INIT.value, seed=_SEED.value,
      batch_size=_BATCH_SIZE.value, precision=_PRECISION.value,
      logdir=_LOGDIR.value, steps=_STEPS.value,
      learning_rate=_LEARNING_RATE.value, param=_PARAM.value,
      spectrum=_SPECTRUM.value or None, out=_OUT.value)


def run():
  cli.run(main)


if __name__ == "__main__":
  run()

"""The --param flag of every tool that inverts codes to images."""

from absl import flags

from fmi_tf.optim import optimization
from fmi_tf.optim import parameterization

PARAM = flags.DEFINE_enum(
    "param", optimization.OptimizerConfig().param,
    parameterization.CODE_PARAMS,
    "pixel: optimise the pixels; fourier: a 1/f-scaled spectrum of "
    "decorrelated colour seen through small random shifts and scalings "
    "(smoother, more natural images at somewhat lower energy-share gains). "
    "fmi-invert and fmi-atlas: fourier by default for keras.applications "
    "networks other than VGG.")

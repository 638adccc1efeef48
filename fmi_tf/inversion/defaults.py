"""The inversion settings that give a picture on each kind of network.

VGG, the paper's network, inverts well in pixel space at 128 px: the general
defaults (`InversionConfig()`, `fmi_tf.invert`'s size). Every network's
photo is cut to a central square: the faithfulness measure judges square
pictures, and the site shows them side by side with square dataset
examples (docs/faithfulness.md, "Defaults chosen by the evidence"). The other
keras.applications networks are deep stacks of batch-normalised, often
depthwise, convolutions that downsample 32 times; in pixel space their deep
layers give saturated noise (MobileNet's `conv_pw_13_relu` at 128 px, with or
without a total-variation prior). The Fourier parameterisation (a 1/f
spectrum of decorrelated colour, seen through small random shifts and
scalings) at 224 px, the input size they were trained at, gives a picture at
every layer with nothing else tuned (docs/networks.md shows conv_pw_1 to
conv_pw_13). A `.keras` model of the user's keeps the general defaults.

Settings the caller gives always win over these.
"""

import dataclasses
from typing import Optional

from fmi_tf import errors
from fmi_tf import limits
from fmi_tf.nets import applications
from fmi_tf.nets import feature_model

GENERAL_SIZE = 128
APPLICATION_SIZE = 224
_PIXEL_NETWORKS = frozenset({feature_model.VGG19, "vgg16"})


@dataclasses.dataclass(frozen=True)
class NetworkDefaults:
  """What an inversion of a network uses unless told otherwise.

  Attributes:
    param: the parameterisation's name (`"pixel"` or `"fourier"`).
    size: the side of the image, pixels (its longer side if not square).
    square: whether the photo is cut to a central square.
  """
  param: str
  size: int
  square: bool = True

  @property
  def general(self) -> bool:
    """Whether these are the defaults of every network (VGG's)."""
    return self == GENERAL


GENERAL = NetworkDefaults(param="pixel", size=GENERAL_SIZE)
APPLICATION = NetworkDefaults(param="fourier", size=APPLICATION_SIZE)


def of(backbone: feature_model.Backbone) -> NetworkDefaults:
  """Returns the inversion defaults of a network.

  Examples:
    >>> net = fmi_tf.network("mobilenet",
    ...                      weights="mobilenet_2_5_224_tf_no_top.h5")
    >>> defaults.of(net)  # NetworkDefaults(param='fourier', size=224)

  Args:
    backbone: the network.
  """
  return for_network(backbone.network)


def for_network(network: str) -> NetworkDefaults:
  """Returns the inversion defaults of a network by its name (`--model`):
  `vgg19`, a keras.applications name or a .keras path."""
  if (network in applications.APPLICATIONS
      and network not in _PIXEL_NETWORKS):
    return APPLICATION
  return GENERAL


def fill(backbone: feature_model.Backbone, size: Optional[int],
         square: Optional[bool], settings: dict,
         config_given: bool) -> tuple[int, bool, dict]:
  """The size, shape and keyword settings of a run, the network's where not
  given.

  Args:
    backbone: the network.
    size: the caller's image size, or None.
    square: whether the caller cuts the photo to a square, or None.
    settings: the caller's keyword settings (`InversionConfig` or
      `OptimizerConfig` fields).
    config_given: whether the caller gave a whole config, whose
      parameterisation then stands.

  Returns:
    The size, whether the photo is square, and the settings to apply.
  """
  own = of(backbone)
  if not config_given and "param" not in settings:
    settings = {**settings, "param": own.param}
  return ((own.size if size is None else limits.check_count(
      "size", size, 1, limits.MAX_SIZE)),
          (own.square if square is None
           else errors.check_flag("square", square)), settings)

"""keras.applications CNNs by lower-case name, with their preprocessing.

Each entry names the constructor, the input the network was trained on
(a mode of `preprocessing.MODES`) and its default input size. Weights are an
HDF5 file in keras.applications' layout or `imagenet` (Keras's cache or its
download). Options that Keras's weights file names spell out (MobileNet's
width multiplier `alpha`: `mobilenet_2_5_224_tf_no_top.h5` is alpha 0.25)
are read from the file name unless given.
"""

import dataclasses
import os
import re
from typing import Optional

import keras

from fmi_tf import errors
from fmi_tf.nets import feature_model
from fmi_tf.nets import weights as weights_files


@dataclasses.dataclass(frozen=True)
class Application:
  """A keras.applications network.

  Attributes:
    constructor: its name in keras.applications.
    preprocessing: the input it was trained on (`preprocessing.MODES`).
    has_alpha: whether it takes a width multiplier `alpha`.
    inverts_in_pixels: whether its filters invert well in pixel space at the
      general size (a plain stack of convolutions, as VGG); the others are
      inverted in the Fourier parameterisation at their training size
      (`fmi_tf.inversion.defaults`).
  """
  constructor: str
  preprocessing: str
  has_alpha: bool = False
  inverts_in_pixels: bool = False


APPLICATIONS = {
    "vgg16": Application("VGG16", "caffe", inverts_in_pixels=True),
    "resnet50": Application("ResNet50", "caffe"),
    "resnet101": Application("ResNet101", "caffe"),
    "resnet152": Application("ResNet152", "caffe"),
    "resnet50_v2": Application("ResNet50V2", "tf"),
    "resnet101_v2": Application("ResNet101V2", "tf"),
    "resnet152_v2": Application("ResNet152V2", "tf"),
    "mobilenet": Application("MobileNet", "tf", has_alpha=True),
    "mobilenet_v2": Application("MobileNetV2", "tf", has_alpha=True),
    "mobilenet_v3_small": Application("MobileNetV3Small", "raw",
                                      has_alpha=True),
    "mobilenet_v3_large": Application("MobileNetV3Large", "raw",
                                      has_alpha=True),
    "inception_v3": Application("InceptionV3", "tf"),
    "inception_resnet_v2": Application("InceptionResNetV2", "tf"),
    "xception": Application("Xception", "tf"),
    "densenet121": Application("DenseNet121", "torch"),
    "densenet169": Application("DenseNet169", "torch"),
    "densenet201": Application("DenseNet201", "torch"),
    "nasnet_mobile": Application("NASNetMobile", "tf"),
    "nasnet_large": Application("NASNetLarge", "tf"),
    **{f"efficientnet_b{i}": Application(f"EfficientNetB{i}", "raw")
       for i in range(8)},
    **{f"efficientnet_v2_{v}": Application(f"EfficientNetV2{v.upper()}",
                                           "raw")
       for v in ("b0", "b1", "b2", "b3", "s", "m", "l")},
    **{f"convnext_{v}": Application(f"ConvNeXt{v.capitalize()}", "raw")
       for v in ("tiny", "small", "base", "large", "xlarge")},
}

# Keras's file names: mobilenet_2_5_224_tf_no_top.h5 (alpha 0.25),
# mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224_no_top.h5,
# weights_mobilenet_v3_small_224_0.75_float_no_top_v2.h5.
_MOBILENET_V1_ALPHA = re.compile(r"^mobilenet_(\d)_(\d)_\d+_tf")
_DECIMAL_ALPHA = re.compile(r"_(\d\.\d+)_(?:\d+_no_top|float)")


def alpha_from_filename(path: str) -> Optional[float]:
  """The width multiplier Keras's weights file name says, if it says one."""
  name = os.path.basename(path)
  if match := _MOBILENET_V1_ALPHA.search(name):
    return 1.0 if match[1] == "1" else float(f"0.{match[1]}{match[2]}")
  if match := _DECIMAL_ALPHA.search(name):
    return float(match[1])
  return None


def build(name: str, weights: str,
          alpha: Optional[float] = None) -> feature_model.Backbone:
  """Builds a keras.applications network without its top and loads weights.

  Args:
    name: a key of `APPLICATIONS`.
    weights: an HDF5 path in keras.applications' layout (possibly covering
      only some layers), or `"imagenet"` for Keras's cached or downloaded
      file.
    alpha: the width multiplier of networks that take one; default: what the
      weights file's name says, else 1.

  Returns:
    The backbone, recording which layers the weights covered.

  Raises:
    ArgumentError: for an unknown name or options the network refuses.
    WeightsError: if no weights can be had or the file covers no layer.
  """
  if name not in APPLICATIONS:
    raise errors.ArgumentError(
        f"unknown model {errors.shown(name)}; known: vgg19, "
        f"{', '.join(APPLICATIONS)}, or the path of a .keras file")
  application = APPLICATIONS[name]
  options = {}
  if application.has_alpha:
    from_file = (None if weights == weights_files.IMAGENET
                 else alpha_from_filename(weights))
    options["alpha"] = alpha or from_file or 1.0
  elif alpha is not None:
    raise errors.ArgumentError(f"{name} takes no alpha")
  constructor = getattr(keras.applications, application.constructor)
  if weights == weights_files.IMAGENET:
    model = _construct(name, constructor, "imagenet", options)
    covered = frozenset(layer.name for layer in model.layers if layer.weights)
  else:
    loaded = weights_files.read_weights(weights)
    model = _construct(name, constructor, None, options)
    covered = weights_files.assign(model, loaded)
    if not covered:
      raise errors.WeightsError(
          f"{weights} holds no weights of {name}"
          + "".join(f" ({key} {value})" for key, value in options.items()))
  return feature_model.Backbone(
      model, covered, weights, name, application.preprocessing,
      tuple(sorted(options.items())))


def _construct(name: str, constructor, weights: Optional[str],
               options: dict) -> keras.Model:
  """Calls a keras.applications constructor without the network's top."""
  try:
    return constructor(include_top=False, weights=weights, **options)
  except ValueError as e:
    raise errors.ArgumentError(
        f"{name}: {weights_files.first_line(e)}") from None
  except Exception as e:  # Keras raises bare Exceptions for network errors.
    raise weights_files.download_failure(name, e) from None

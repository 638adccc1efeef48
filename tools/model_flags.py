"""The --model flags every tool that runs a network shares.

`--model` names the network: vgg19 (default), a keras.applications CNN by
its lower-case name (mobilenet, mobilenet_v2, resnet50, inception_v3,
efficientnet_b0, convnext_tiny, ...) or the path of a .keras file;
`--weights` its weights.
"""

from typing import Optional

from absl import flags

from fmi_tf.beam import network_spec
from fmi_tf.nets import feature_model
from fmi_tf.nets import networks
from fmi_tf.nets import preprocessing
from . import cli

MODEL = flags.DEFINE_string(
    "model", networks.DEFAULT, "Network: vgg19, a keras.applications CNN by "
    "lower-case name (mobilenet, mobilenet_v2, resnet50, inception_v3, "
    "efficientnet_b0, convnext_tiny, ...) or the path of a .keras file.")
ALPHA = flags.DEFINE_float(
    "model_alpha", None, "Width multiplier (Keras's alpha) of MobileNets; "
    "default: what Keras's weights file name says "
    "(mobilenet_2_5_224_tf_no_top.h5: 0.25), else 1.",
    lower_bound=0.01)
WEIGHTS = flags.DEFINE_string(
    "weights", None, "Weights of --model: an HDF5 file in "
    "keras.applications' layout or 'imagenet'; default for vgg19 "
    "$FMI_VGG19_WEIGHTS, else 'imagenet' (a .keras file: its own).")
PREPROCESSING = flags.DEFINE_enum(
    "preprocessing", None, preprocessing.MODES, "Input a .keras model "
    "expects: caffe (BGR minus means), tf ([-1, 1]), torch (ImageNet mean "
    "and std), raw ([0, 255]) or unit ([0, 1], the default).")


def weights_source(flag_value: Optional[str]) -> Optional[str]:
  """The --weights value; for VGG19 else $FMI_VGG19_WEIGHTS, else imagenet.

  Other networks default to `imagenet`, a .keras file to its own weights.
  """
  if MODEL.value != feature_model.VGG19:
    return flag_value
  return cli.weights_source(flag_value)


def print_layers(weights_flag_value: Optional[str]) -> None:
  """Prints the invertible layers of --model; needs no weights.

  Raises:
    ArgumentError: for an unknown model.
  """
  print("\n".join(networks.layer_table(networks.unloaded(
      MODEL.value, weights_flag_value, ALPHA.value))))


def backbone(weights_flag_value: Optional[str]) -> feature_model.Backbone:
  """The network the flags name, with the weights of the tool's --weights.

  Raises:
    ArgumentError, WeightsError: for a bad network, option or weights.
  """
  return networks.load(MODEL.value, weights_source(weights_flag_value),
                       ALPHA.value, PREPROCESSING.value)


def network_spec_of_flags() -> network_spec.NetworkSpec:
  """The network the flags name, for Beam's workers to load."""
  return network_spec.NetworkSpec(MODEL.value, weights_source(WEIGHTS.value),
                                  ALPHA.value, PREPROCESSING.value)

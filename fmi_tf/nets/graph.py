"""What a network's graph says: its invertible layers and their ancestors.

A layer is invertible when its output is a [B, H, W, C] stack of feature maps
taken after a nonlinearity: a convolution with a nonlinear activation (VGG
folds its ReLU into the convolution) or an activation layer (ReLU, ReLU6,
swish, GELU, ...) on feature maps. Each of its C channels is a filter whose
texture primitive can be inverted. Identity activations (ConvNeXt's
`Activation("linear")`) are not nonlinearities and do not count.

Layer names become file names (`<layer>_0003.png`, `<layer>/index.html`), so
the lists below refuse a network whose feature-map layers are not all safely
named (`io.paths`): every writer downstream inherits the check.
"""

from typing import Iterable

import keras

from fmi_tf import errors
from fmi_tf.io import paths

_ACTIVATION_LAYERS = (keras.layers.ReLU, keras.layers.Activation,
                      keras.layers.LeakyReLU, keras.layers.ELU,
                      keras.layers.PReLU)
_CONVOLUTIONS = (keras.layers.Conv2D, keras.layers.DepthwiseConv2D,
                 keras.layers.SeparableConv2D)


def _is_feature_map_layer(layer: keras.layers.Layer) -> bool:
  try:
    return len(layer.output.shape) == 4
  except (AttributeError, ValueError):
    return False


def is_invertible(layer: keras.layers.Layer) -> bool:
  """Whether the layer's output is feature maps after a nonlinearity."""
  if not _is_feature_map_layer(layer):
    return False
  if isinstance(layer, _CONVOLUTIONS + (keras.layers.Activation,)):
    return layer.activation is not keras.activations.linear
  return isinstance(layer, _ACTIVATION_LAYERS)


def _safely_named(names: Iterable[str]) -> tuple[str, ...]:
  for name in names:
    if not paths.is_safe_name(name):
      raise errors.LayerError(
          f"the network has a layer named {name!r}, which cannot name a "
          f"file: rename it ({paths.SAFE_NAME_RULE})")
  return tuple(names)


def invertible_layers(model: keras.Model) -> tuple[str, ...]:
  """The names of the model's invertible layers, in network order.

  Raises:
    LayerError: if one of them is not safely named (`io.paths`).
  """
  return _safely_named([layer.name for layer in model.layers
                        if is_invertible(layer)])


def feature_map_layers(model: keras.Model) -> tuple[str, ...]:
  """The names of every layer whose output is feature maps, in order.

  Raises:
    LayerError: if one of them is not safely named (`io.paths`).
  """
  return _safely_named([layer.name for layer in model.layers
                        if _is_feature_map_layer(layer)
                        and not isinstance(layer, keras.layers.InputLayer)])


def channels(model: keras.Model, name: str) -> int:
  """The number of channels (filters) of a layer's output."""
  return int(model.get_layer(name).output.shape[-1])


def truncated(model: keras.Model, names) -> keras.Model:
  """The model cut after `names`: their outputs, and only their ancestors.

  Args:
    model: a functional model with one input.
    names: layer names.

  Returns:
    A model from the model's input to {name: output}, sharing its layers.
  """
  return keras.Model(model.inputs[0],
                     {name: model.get_layer(name).output for name in names})


def weighted_ancestors(model: keras.Model, name: str) -> list[str]:
  """The layers with weights that a layer's output depends on, in order."""
  return [layer.name for layer in truncated(model, [name]).layers
          if layer.weights]


def _producer(model: keras.Model, tensor) -> "keras.layers.Layer | None":
  """The model's layer whose output is `tensor`, if any."""
  return next((layer for layer in model.layers
               if getattr(layer, "output", None) is tensor), None)


def logits_layer(model: keras.Model) -> "tuple[str, bool] | None":
  """Where a network with a classification head computes its logits.

  Returns:
    (layer name, whether that layer's softmax must be dropped) for a model
    whose output is [B, classes] scores: a Dense layer (with its softmax
    dropped, if it has one), or the layer before a final softmax
    `Activation` (MobileNet's); None for a network without a head.
  """
  output = model.layers[-1]
  if not hasattr(output, "output") or len(output.output.shape) != 2:
    return None
  softmax = getattr(output, "activation", None) is keras.activations.softmax
  if isinstance(output, keras.layers.Activation) and softmax:
    before = _producer(model, output.input)
    if before is not None and len(before.output.shape) == 2:
      return before.name, False
    return None
  if isinstance(output, keras.layers.Dense):
    return output.name, softmax
  return None

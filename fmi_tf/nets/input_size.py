"""The smallest image a layer admits, from the network's own layers.

Every convolution and pooling shrinks the feature maps: along one axis of
size n, a window of k pixels (dilated: d (k - 1) + 1) with stride s leaves
floor((n - k) / s) + 1 with `valid` padding and ceil(n / s) with `same`;
zero padding and cropping add and remove pixels, upsampling multiplies. An
image is too small for a layer when some layer on its path is left with no
pixel, or a `valid` window does not fit. `smallest_input` walks the layers
a layer depends on (any functional Keras CNN: VGG, MobileNets, ResNets,
Inception, EfficientNet, ConvNeXt) and finds the least height and width that
reach it; `check_fits` refuses an image below them.

Examples:
  >>> input_size.smallest_input(backbone.model, "block5_conv1")
  (16, 16)
"""

import math
from typing import Optional, Sequence

import keras
import numpy as np

from fmi_tf import errors
from fmi_tf.nets import graph

# Sizes are searched up to this many pixels per axis.
_LARGEST = 1 << 16
_WINDOWED = (keras.layers.Conv2D, keras.layers.DepthwiseConv2D,
             keras.layers.SeparableConv2D, keras.layers.MaxPooling2D,
             keras.layers.AveragePooling2D)


def _pair(value) -> tuple[int, int]:
  return (int(value), int(value)) if np.ndim(value) == 0 else (
      int(value[0]), int(value[1]))


def _padding_pair(value, axis: int) -> tuple[int, int]:
  """(before, after) of a ZeroPadding2D/Cropping2D setting along `axis`."""
  if np.ndim(value) == 0:
    return int(value), int(value)
  along = value[axis]
  return _pair(along) if np.ndim(along) else (int(along), int(along))


def _out_size(layer: keras.layers.Layer, n: int, axis: int) -> Optional[int]:
  """The layer's output size along `axis` for input size n; None: too small."""
  if isinstance(layer, _WINDOWED):
    if isinstance(layer, (keras.layers.MaxPooling2D,
                          keras.layers.AveragePooling2D)):
      window, dilation = _pair(layer.pool_size)[axis], 1
    else:
      window = _pair(layer.kernel_size)[axis]
      dilation = _pair(layer.dilation_rate)[axis]
    stride = _pair(layer.strides)[axis]
    span = dilation * (window - 1) + 1
    if layer.padding == "same":
      return math.ceil(n / stride)
    return (n - span) // stride + 1 if n >= span else None
  if isinstance(layer, keras.layers.ZeroPadding2D):
    return n + sum(_padding_pair(layer.padding, axis))
  if isinstance(layer, keras.layers.Cropping2D):
    left = n - sum(_padding_pair(layer.cropping, axis))
    return left if left >= 1 else None
  if isinstance(layer, keras.layers.UpSampling2D):
    return n * _pair(layer.size)[axis]
  if isinstance(layer, keras.Sequential):
    for inner in layer.layers:
      n = _out_size(inner, n, axis)
      if n is None or n < 1:
        return None
    return n
  if isinstance(layer, keras.Model):
    return _through(layer, n, axis)
  return n


def _node(operation) -> "keras.src.ops.node.Node":
  return operation._inbound_nodes[0]  # pylint: disable=protected-access


def _name(tensor) -> str:
  return tensor._keras_history[0].name  # pylint: disable=protected-access


def _spatial(operation) -> bool:
  """Whether the operation's output is feature maps [B, H, W, C]."""
  try:
    return len(_node(operation).output_tensors[0].shape) == 4
  except (AttributeError, IndexError, ValueError):
    return False


def _through(model: keras.Model, n: int, axis: int) -> Optional[int]:
  """The size of a functional model's first output for input size n along
  `axis`; None if some layer is left with no pixel."""
  sizes = {}
  for operation in model.operations:
    if isinstance(operation, keras.layers.InputLayer):
      sizes[operation.name] = n
      continue
    given = [sizes[_name(t)] for t in _node(operation).input_tensors
             if sizes.get(_name(t)) is not None]
    if not _spatial(operation) or not given:
      # Pooled away, or maps made from non-spatial values (a Reshape):
      # constrains nothing further.
      sizes[operation.name] = None
      continue
    size = _out_size(operation, max(given), axis)
    if size is None or size < 1:
      return None
    sizes[operation.name] = size
  return sizes.get(_name(model.outputs[0]), n)


def smallest_input(model: keras.Model, layer: str) -> tuple[int, int]:
  """The least (height, width) of an image whose code at `layer` exists.

  Args:
    model: a functional Keras model with one image input.
    layer: the name of one of its layers.

  Returns:
    The smallest height and width (each searched up to 65,536).
  """
  path = graph.truncated(model, [layer])
  smallest = []
  for axis in (0, 1):
    low, high = 1, _LARGEST
    while low < high:
      middle = (low + high) // 2
      if _through(path, middle, axis) is not None:
        high = middle
      else:
        low = middle + 1
    smallest.append(low)
  return smallest[0], smallest[1]


def check_fits(model: keras.Model, layers: Sequence[str],
               shape: Sequence[int], what: str = "image") -> None:
  """Raises ImageError if an image of `shape` is too small for a layer.

  Args:
    model: the network.
    layers: the layers the image is fed to (names of the model's).
    shape: [H, W, ...] of the image, as it is fed to the network.
    what: what the image is, for the message (e.g. "style image").

  Raises:
    ImageError: naming the layer and the smallest size it admits.
  """
  height, width = int(shape[0]), int(shape[1])
  for layer in layers:
    least_height, least_width = smallest_input(model, layer)
    if height < least_height or width < least_width:
      raise errors.ImageError(
          f"the {what} is {width}x{height} pixels (width x height), too "
          f"small for {layer}, which needs at least {least_width}x"
          f"{least_height}: use a larger image or --size")

"""The receptive field of a layer's units, read from the network's graph.

Walking the Keras graph from the input to a layer, every layer maps the
field of its input units to its own: a convolution or pooling of kernel
`k`, stride `s` and dilation `d` grows the field by `d (k - 1)` input jumps
and multiplies the jump by `s`; `same` padding shifts the first unit's
centre back by `(max(k_eff - s, 0)) // 2` jumps (TensorFlow pads the smaller
half before, exact when the input side is a multiple of the stride);
`ZeroPadding2D` and `Cropping2D` shift it; a layer joining several inputs
(`Add`, `Concatenate`, ...) covers the union of their fields. Every other
layer (batch norm, activations, dropout) keeps its input's field.

A unit at row `y`, column `x` of the layer's output then sees the input
square of side `size` centred on pixel (`start + y jump`, `start + x jump`).
"""

import dataclasses

import keras

from fmi_tf import errors

_CONVOLUTIONS = (keras.layers.Conv2D, keras.layers.DepthwiseConv2D,
                 keras.layers.SeparableConv2D)
_POOLINGS = (keras.layers.MaxPooling2D, keras.layers.AveragePooling2D)
_RESAMPLING = (keras.layers.UpSampling2D, keras.layers.Conv2DTranspose)


@dataclasses.dataclass(frozen=True)
class ReceptiveField:
  """Where a layer's units look in the input image, in input pixels.

  Attributes:
    size: the side of the square each unit sees.
    jump: the distance between neighbouring units' centres.
    start: the centre of the first unit's field (may be fractional).
  """
  size: int
  jump: int
  start: float

  def centre(self, y: int, x: int) -> tuple[float, float]:
    """The input pixel at the centre of unit (y, x)'s field."""
    return self.start + y * self.jump, self.start + x * self.jump

  def box(self, y: int, x: int) -> tuple[int, int, int]:
    """(top, left, side) of unit (y, x)'s field; may reach past the image."""
    cy, cx = self.centre(y, x)
    half = (self.size - 1) / 2
    return int(round(cy - half)), int(round(cx - half)), self.size

  def to_dict(self) -> dict:
    return dataclasses.asdict(self)


_INPUT = ReceptiveField(1, 1, 0.0)


def _pair(value) -> tuple[int, int]:
  return (value, value) if isinstance(value, int) else tuple(value)


def _windowed(field: ReceptiveField, kernel: int, stride: int, dilation: int,
              padding: str) -> ReceptiveField:
  extent = dilation * (kernel - 1) + 1
  before = max(extent - stride, 0) // 2 if padding == "same" else 0
  return ReceptiveField(field.size + (extent - 1) * field.jump,
                        field.jump * stride,
                        field.start + ((extent - 1) / 2 - before) * field.jump)


def _square(layer, attribute: str) -> int:
  values = _pair(getattr(layer, attribute))
  if values[0] != values[1]:
    raise errors.LayerError(
        f"layer {layer.name} has a non-square {attribute} {values}; "
        "receptive fields are computed for square windows only")
  return int(values[0])


def _layer_field(layer: keras.layers.Layer,
                 inputs: list[ReceptiveField]) -> ReceptiveField:
  if isinstance(layer, _RESAMPLING):
    raise errors.LayerError(
        f"layer {layer.name} ({type(layer).__name__}) upsamples; its units "
        "have no single receptive field")
  if isinstance(layer, _CONVOLUTIONS):
    return _windowed(inputs[0], _square(layer, "kernel_size"),
                     _square(layer, "strides"),
                     _square(layer, "dilation_rate"), layer.padding)
  if isinstance(layer, _POOLINGS):
    return _windowed(inputs[0], _square(layer, "pool_size"),
                     _square(layer, "strides"), 1, layer.padding)
  if isinstance(layer, (keras.layers.ZeroPadding2D, keras.layers.Cropping2D)):
    attribute = ("padding" if isinstance(layer, keras.layers.ZeroPadding2D)
                 else "cropping")
    (top, _), (left, _) = getattr(layer, attribute)
    if top != left:
      raise errors.LayerError(
          f"layer {layer.name} shifts rows and columns differently")
    sign = 1 if attribute == "padding" else -1
    field = inputs[0]
    return ReceptiveField(field.size, field.jump,
                          field.start - sign * top * field.jump)
  if len(inputs) == 1:
    return inputs[0]
  lows = [f.start - (f.size - 1) / 2 for f in inputs]
  highs = [f.start + (f.size - 1) / 2 for f in inputs]
  low, high = min(lows), max(highs)
  return ReceptiveField(int(round(high - low)) + 1,
                        max(f.jump for f in inputs), (low + high) / 2)


def receptive_fields(model: keras.Model) -> dict[str, ReceptiveField]:
  """The receptive field of every layer of a functional model.

  Raises:
    LayerError: for a layer whose units have no single square field
      (upsampling, non-square kernels).
  """
  fields = {}
  # pylint: disable=protected-access
  for layer in model.layers:  # Functional models list layers in graph order.
    parents = []
    for node in layer._inbound_nodes:
      for tensor in node.input_tensors:
        parent = tensor._keras_history.operation
        parents.append(parent.name)
    if isinstance(layer, keras.layers.InputLayer) or not parents:
      fields[layer.name] = _INPUT
      continue
    known = [fields[p] for p in parents if p in fields]
    fields[layer.name] = _layer_field(layer, known or [_INPUT])
  return fields


def receptive_field(model: keras.Model, layer: str) -> ReceptiveField:
  """The receptive field of one layer's units.

  Examples:
    >>> vgg = keras.applications.VGG19(include_top=False, weights=None)
    >>> receptive_field(vgg, "block2_conv1")
    ReceptiveField(size=10, jump=2, start=0.5)

  Raises:
    LayerError: for an unknown layer, or one whose field is not square.
  """
  fields = receptive_fields(model)
  if layer not in fields:
    raise errors.LayerError(f"unknown layer {layer!r} of {model.name}")
  return fields[layer]

"""Texture encoders: a Keras model mapping images to one descriptor each.

Three descriptors are built from per-layer statistics (`texture`):

* `energy`: the energies (first or second order) of every filter of the
  chosen layers, concatenated;
* `gram`: the Gram (bilinear) baseline. A layer wider than `gram_dim`
  channels is first reduced by a fixed 1x1 projection onto `gram_dim`
  orthonormal directions (drawn once from a seeded Gaussian, so every
  build of the encoder has the same one): the Gram matrix of the projected
  maps is P^T G P, a random low-rank view of the full Gram matrix G. Gram
  matrices are symmetric, so only the upper triangle is kept, off-diagonal
  entries scaled by sqrt(2) to keep the Frobenius norm: d (d + 1) / 2
  values per layer (2,080 for d = 64 instead of 131,328 at relu5_x);
* `gap`: the global-average-pooling baseline, the spatial mean of the
  *deepest* chosen layer's activations (VGG's Keras convolutions include
  the ReLU, so these are post-ReLU). It equals the first-order energy of
  that one layer; `energy` differs by concatenating several layers.

Each kind has its own default layers (`default_layers_of_kind`), taken from
the network's style layers (`fmi_tf.nets.default_layers`): `energy` all of
them, `gram` the two deepest, `gap` the network's deepest invertible layer. On
VGG19 (relu1_1 ... relu5_1; relu4_1 and relu5_1; relu5_4) these were chosen
by 10-fold accuracy on dtd10 (docs/results/recognition.md).

Multi-scale (as FV-CNN): the statistics are averaged over copies of the
image resized by each factor in `scales`. Then each layer's part is
optionally mapped by the signed square root and L2-normalised, and the
whole divided by the square root of the number of layers, so every layer
weighs the same and the descriptor has unit norm. The statistics of one
scale are `Statistic` values (`statistic_keys`), computed by
`LayerStatistics`; the descriptor cache stores them per scale, so that
encoders sharing layers and scales share one encoding of the images (`pool`
combines them the same way as the encoder).
"""

import dataclasses
import math
import numbers
from typing import Sequence

import keras
import numpy as np
import tensorflow as tf

from fmi_tf import errors
from fmi_tf import texture
from fmi_tf.nets import default_layers
from fmi_tf.nets import feature_model
from fmi_tf.nets import input_size

KINDS = ("energy", "gram", "gap")
STATISTICS = ("energy", "gram")
DEFAULT_GRAM_DIM = 64
DESCRIPTOR = "descriptor"
_PROJECTION_SEED = 1608


@dataclasses.dataclass(frozen=True)
class EncoderConfig:
  """What a texture encoder computes.

  Attributes:
    kind: `energy`, `gram` or `gap`.
    layers: layers (VGG19's names in either spelling); `gap` uses the
      deepest only; empty for the kind's `default_layers_of_kind` on the
      network, filled in by `for_network`.
    order: energy order, 1 (mean) or 2 (root mean square).
    scales: image resize factors whose statistics are averaged.
    signed_sqrt: apply sign(x) sqrt(|x|) to each statistic.
    l2: L2-normalise each layer's part.
    gram_dim: `gram` reduces wider layers to this many channels (0: never).
  """
  kind: str = "energy"
  layers: tuple[str, ...] = ()
  order: int = 1
  scales: tuple[float, ...] = (1.0,)
  signed_sqrt: bool = True
  l2: bool = True
  gram_dim: int = DEFAULT_GRAM_DIM

  def __post_init__(self):
    errors.check_choice("encoder", self.kind, KINDS)
    if self.gram_dim < 0:
      raise errors.ArgumentError(
          f"gram_dim must be 0 or positive, not {self.gram_dim}")
    if not self.scales or not all(
        isinstance(s, numbers.Real) and math.isfinite(s) and s > 0
        for s in self.scales):
      raise errors.ArgumentError(
          f"scales must be finite positive factors, not {self.scales}")
    object.__setattr__(self, "layers", layer_names(self.layers))
    object.__setattr__(self, "scales", tuple(float(s) for s in self.scales))
    errors.check_choice("energy order", self.order, texture.ORDERS)

  def for_network(self, backbone: feature_model.Backbone) -> "EncoderConfig":
    """This config with the kind's `default_layers_of_kind` if no layers
    are given, and every layer under the network's own name, in network
    order.

    Raises:
      LayerError: for a layer the network does not have.
    """
    layers = self.layers or default_layers_of_kind(backbone, self.kind)
    return dataclasses.replace(self, layers=tuple(
        backbone.network_order(backbone.canonical_names(layers))))

  @property
  def statistic_layers(self) -> tuple[str, ...]:
    """The layers whose statistics form the descriptor, once `for_network`
    gave the config its layers."""
    if not self.layers:
      raise errors.LayerError(
          f"the {self.kind} encoder's layers are its network's defaults: "
          "call for_network(backbone) first")
    return self.layers[-1:] if self.kind == "gap" else self.layers

  def to_dict(self) -> dict:
    return dataclasses.asdict(self)

  @classmethod
  def from_dict(cls, record: dict) -> "EncoderConfig":
    return cls(**{k: tuple(v) if isinstance(v, list) else v
                  for k, v in record.items()})


@dataclasses.dataclass(frozen=True)
class Statistic:
  """One per-layer statistic of the descriptor, at one scale.

  Attributes:
    layer: the layer whose activations it summarises.
    kind: `energy`, or `gram` (the upper triangle of the Gram matrix).
    order: the energy's order (1 or 2); 1 for `gram`.
    gram_dim: `gram` reduces wider layers to this many channels (0: never);
      0 for `energy`.
  """
  layer: str
  kind: str = "energy"
  order: int = 1
  gram_dim: int = 0

  def __post_init__(self):
    errors.check_choice("statistic", self.kind, STATISTICS)
    errors.check_choice("energy order", self.order, texture.ORDERS)

  @property
  def name(self) -> str:
    """A readable name for records, e.g. `energy1/block5_conv1`."""
    parameter = self.gram_dim if self.kind == "gram" else self.order
    return f"{self.kind}{parameter}/{self.layer}"

  def __call__(self, code: tf.Tensor) -> tf.Tensor:
    """The statistic [B, D] of a layer's activations [B, H, W, C]."""
    if self.kind == "energy":
      return texture.energies(code, self.order)
    if self.gram_dim and code.shape[-1] > self.gram_dim:
      code = tf.einsum("bhwc,cd->bhwd", code,
                       projection(code.shape[-1], self.gram_dim))
    return _upper_triangle(texture.gram(code))


def statistic_keys(config: EncoderConfig) -> tuple[Statistic, ...]:
  """The per-layer statistics of one scale, in descriptor order.

  `gap` is the first-order energy of its one layer.
  """
  if config.kind == "gram":
    return tuple(Statistic(layer, "gram", gram_dim=config.gram_dim)
                 for layer in config.statistic_layers)
  order = 1 if config.kind == "gap" else config.order
  return tuple(Statistic(layer, "energy", order)
               for layer in config.statistic_layers)


def _upper_triangle(grams: tf.Tensor) -> tf.Tensor:
  """[B, C, C] symmetric -> [B, C (C + 1) / 2], off-diagonal times sqrt 2."""
  channels = grams.shape[-1]
  rows, cols = np.triu_indices(channels)
  weights = np.where(rows == cols, 1.0, np.sqrt(2.0)).astype(np.float32)
  flat = tf.reshape(grams, [-1, channels * channels])
  return tf.gather(flat, rows * channels + cols, axis=1) * weights


def projection(channels: int, dim: int) -> np.ndarray:
  """The fixed [C, d] orthonormal 1x1 reduction of a C-channel layer."""
  gaussian = np.random.default_rng([_PROJECTION_SEED, channels, dim]).normal(
      size=(channels, dim))
  return np.linalg.qr(gaussian)[0].astype(np.float32)


class LayerStatistics(keras.layers.Layer):
  """Images RGB in [0, 1], [B, H, W, 3] -> [statistic [B, D] of each key]."""

  def __init__(self, features: keras.Model, keys: Sequence[Statistic],
               scale: float = 1.0, **kwargs):
    super().__init__(**kwargs)
    self.features = features
    self.keys = tuple(keys)
    self.scale = scale

  def call(self, images):
    if self.scale != 1.0:
      size = tf.cast(tf.round(tf.cast(tf.shape(images)[1:3], tf.float32)
                              * self.scale), tf.int32)
      images = tf.image.resize(images, size, antialias=True)
    codes = self.features(images)
    return [key(codes[key.layer]) for key in self.keys]


def pool(config: EncoderConfig, per_scale: Sequence[Sequence]) -> tf.Tensor:
  """Combines statistics into descriptors [B, D].

  Args:
    config: the encoder configuration.
    per_scale: for each scale, the statistics of `statistic_keys(config)`
      in that order, each [B, D_l].

  Returns:
    The statistics averaged over scales, then per layer signed-square-rooted
    and L2-normalised as the configuration asks, concatenated.
  """
  parts = [tf.add_n([tf.convert_to_tensor(s) for s in p]) / len(per_scale)
           for p in zip(*per_scale)]
  if config.signed_sqrt:
    parts = [tf.sign(p) * tf.sqrt(tf.abs(p)) for p in parts]
  if config.l2:
    parts = [tf.math.l2_normalize(p, axis=-1) / np.sqrt(len(parts))
             for p in parts]
  return tf.concat(parts, axis=-1)


class TextureDescriptor(keras.layers.Layer):
  """Images RGB in [0, 1], [B, H, W, 3] -> descriptors [B, D]."""

  def __init__(self, features: keras.Model, config: EncoderConfig,
               **kwargs):
    super().__init__(**kwargs)
    self.features = features
    self.config = config
    self.keys = statistic_keys(config)
    self.statistics = [LayerStatistics(features, self.keys, scale)
                       for scale in config.scales]

  def call(self, images):
    return pool(self.config, [statistics(images)
                              for statistics in self.statistics])


def descriptor_size(backbone: feature_model.Backbone,
                    config: EncoderConfig) -> int:
  """The length of the descriptors `build(backbone, config)` computes."""
  config = config.for_network(backbone)
  sizes = [backbone.num_filters(layer) for layer in config.statistic_layers]
  if config.kind == "gram":
    if config.gram_dim:
      sizes = [min(c, config.gram_dim) for c in sizes]
    return sum(c * (c + 1) // 2 for c in sizes)
  return sum(sizes)


def build(backbone: feature_model.Backbone,
          config: EncoderConfig) -> keras.Model:
  """Builds the encoder: images [B, H, W, 3] RGB [0, 1] -> [B, D].

  Its `TextureDescriptor` holds `config.for_network(backbone)`.

  Raises:
    LayerError, WeightsError: for layers unknown or not covered by weights.
  """
  config = config.for_network(backbone)
  features = feature_model.feature_model(backbone, config.statistic_layers)
  inputs = keras.Input((None, None, 3), name="images")
  outputs = TextureDescriptor(features, config, name=DESCRIPTOR)(inputs)
  return keras.Model(inputs, outputs, name=f"{config.kind}_encoder")


def smallest_image_size(backbone: feature_model.Backbone,
                        layers: Sequence[str]) -> int:
  """The smallest side of square images the network admits up to `layers`
  (`input_size.smallest_input`: each pooling halves the maps, which must
  keep one pixel).

  Raises:
    LayerError: for unknown layers.
  """
  return max(max(input_size.smallest_input(backbone.model,
                                           backbone.canonical_name(layer)))
             for layer in layers)


def check_image_sizes(backbone: feature_model.Backbone,
                      configs: Sequence[EncoderConfig],
                      image_size: int) -> None:
  """Raises ArgumentError if a scale makes the images too small for the
  encoder's layers (`smallest_image_size`)."""
  for config in configs:
    config = config.for_network(backbone)
    needed = smallest_image_size(backbone, config.statistic_layers)
    for scale in config.scales:
      side = round(image_size * scale)
      if side < needed:
        raise errors.ArgumentError(
            f"scale {scale:g} makes {image_size} px images {side} px a "
            f"side; the {config.kind} encoder's layers "
            f"({', '.join(config.statistic_layers)}) need at least {needed} "
            "px: use larger scales or image size")


def descriptor_layer(encoder: keras.Model) -> TextureDescriptor:
  """The `TextureDescriptor` layer of a model `build` made."""
  return encoder.get_layer(DESCRIPTOR)


def statistics_layer(backbone: feature_model.Backbone,
                     keys: Sequence[Statistic],
                     scale: float) -> LayerStatistics:
  """Statistics of any layers at one scale, for several encoders at once.

  Raises:
    LayerError, WeightsError: for layers unknown or not covered by weights.
  """
  layers = sorted({key.layer for key in keys})
  return LayerStatistics(feature_model.feature_model(backbone, layers), keys,
                         scale)


def default_layers_of_kind(backbone: feature_model.Backbone,
                           kind: str) -> tuple[str, ...]:
  """The layers an encoder of `kind` reads on the network unless told.

  Examples:
    >>> encoder.default_layers_of_kind(fmi_tf.network("vgg19"), "gram")
    ('block4_conv1', 'block5_conv1')

  Raises:
    ArgumentError: for an unknown kind.
  """
  errors.check_choice("encoder", kind, KINDS)
  if kind == "gap":
    return (default_layers.deepest(backbone),)
  style = default_layers.style_layers(backbone)
  return style[-2:] if kind == "gram" else style


def layer_names(names: Sequence[str]) -> tuple[str, ...]:
  """The layer names as given, stripped, without duplicates; the network
  checks them (`EncoderConfig.for_network`).

  Raises:
    LayerError: if `names` is not a list of texts.
  """
  if (isinstance(names, (str, bytes)) or not isinstance(names, (list, tuple))):
    raise errors.LayerError(
        f"layers must be a list of layer names, not {errors.shown(names)}")
  return tuple(dict.fromkeys(
      errors.check_text("layer", name, errors.LayerError).strip()
      for name in names))

"""Texture encoders: a Keras model mapping images to one descriptor each.

Three descriptors are built on `texture.Representation`:

* `energy`: the energies (first or second order) of every filter of the
  chosen layers, concatenated (448-D for relu1_1, relu2_1, relu3_1);
* `gram`: the Gram (bilinear) baseline of the same layers. Gram matrices
  are symmetric, so only the upper triangle is kept, off-diagonal entries
  scaled by sqrt(2) to keep the Frobenius norm: C (C + 1) / 2 values per
  layer, 43,232-D instead of 86,016-D for the default layers;
* `gap`: the global-average-pooling baseline, the spatial mean of the
  *deepest* chosen layer's activations (VGG's Keras convolutions include
  the ReLU, so these are post-ReLU). It equals the first-order energy of
  that one layer; `energy` differs by concatenating several layers.

Multi-scale: the statistics are averaged over copies of the image resized
by each factor in `scales`. Then each layer's part is optionally mapped by
the signed square root and L2-normalised, and the whole divided by the
square root of the number of layers, so every layer weighs the same and the
descriptor has unit norm.
"""

import dataclasses
from typing import Sequence

import keras
import numpy as np
import tensorflow as tf

from fmi_tf import errors
from fmi_tf import texture
from fmi_tf.nets import feature_model
from fmi_tf.nets import layers as vgg_layers

KINDS = ("energy", "gram", "gap")


@dataclasses.dataclass(frozen=True)
class EncoderConfig:
  """What a texture encoder computes.

  Attributes:
    kind: `energy`, `gram` or `gap`.
    layers: layers (VGG19's in either spelling; other networks' in network
      order); `gap` uses the last (deepest) only.
    order: energy order, 1 (mean) or 2 (root mean square).
    scales: image resize factors whose statistics are averaged.
    signed_sqrt: apply sign(x) sqrt(|x|) to each statistic.
    l2: L2-normalise each layer's part.
  """
  kind: str = "energy"
  layers: tuple[str, ...] = texture.DEFAULT_LAYERS
  order: int = 1
  scales: tuple[float, ...] = (1.0,)
  signed_sqrt: bool = True
  l2: bool = True

  def __post_init__(self):
    if self.kind not in KINDS:
      raise errors.ArgumentError(
          f"encoder must be one of {', '.join(KINDS)}, not {self.kind!r}")
    if not self.layers:
      raise errors.ArgumentError("an encoder needs at least one layer")
    if not self.scales or min(self.scales) <= 0:
      raise errors.ArgumentError(
          f"scales must be positive factors, not {self.scales}")
    object.__setattr__(self, "layers", layer_list(self.layers))
    object.__setattr__(self, "scales", tuple(float(s) for s in self.scales))
    texture.Representation(self.layers, "energy", self.order)

  @property
  def statistic_layers(self) -> tuple[str, ...]:
    """The layers whose statistics form the descriptor."""
    return self.layers[-1:] if self.kind == "gap" else self.layers

  def representation(self) -> texture.Representation:
    kind = "gram" if self.kind == "gram" else "energy"
    order = 1 if self.kind == "gap" else self.order
    return texture.Representation(self.statistic_layers, kind, order)

  def to_dict(self) -> dict:
    return dataclasses.asdict(self)

  @classmethod
  def from_dict(cls, record: dict) -> "EncoderConfig":
    return cls(**{k: tuple(v) if isinstance(v, list) else v
                  for k, v in record.items()})


def _upper_triangle(grams: tf.Tensor) -> tf.Tensor:
  """[B, C, C] symmetric -> [B, C (C + 1) / 2], off-diagonal times sqrt 2."""
  channels = grams.shape[-1]
  rows, cols = np.triu_indices(channels)
  weights = np.where(rows == cols, 1.0, np.sqrt(2.0)).astype(np.float32)
  flat = tf.reshape(grams, [-1, channels * channels])
  return tf.gather(flat, rows * channels + cols, axis=1) * weights


class TextureDescriptor(keras.layers.Layer):
  """Images RGB [0, 1] [B, H, W, 3] -> descriptors [B, D]."""

  def __init__(self, features: keras.Model, config: EncoderConfig,
               **kwargs):
    super().__init__(**kwargs)
    self.features = features
    self.config = config
    self.representation = config.representation()

  def _statistics(self, images: tf.Tensor) -> list[tf.Tensor]:
    stats = self.representation(self.features(images))
    return [_upper_triangle(stats[layer]) if self.config.kind == "gram"
            else stats[layer] for layer in self.config.statistic_layers]

  def call(self, images):
    per_scale = []
    for scale in self.config.scales:
      scaled = images
      if scale != 1.0:
        size = tf.cast(tf.round(tf.cast(tf.shape(images)[1:3], tf.float32)
                                * scale), tf.int32)
        scaled = tf.image.resize(images, size, antialias=True)
      per_scale.append(self._statistics(scaled))
    parts = [tf.add_n(list(p)) / len(per_scale) for p in zip(*per_scale)]
    if self.config.signed_sqrt:
      parts = [tf.sign(p) * tf.sqrt(tf.abs(p)) for p in parts]
    if self.config.l2:
      parts = [tf.math.l2_normalize(p, axis=-1) / np.sqrt(len(parts))
               for p in parts]
    return tf.concat(parts, axis=-1)


def descriptor_size(backbone: feature_model.Backbone,
                    config: EncoderConfig) -> int:
  """The length of the descriptors `build(backbone, config)` computes."""
  sizes = [backbone.num_filters(layer) for layer in config.statistic_layers]
  if config.kind == "gram":
    return sum(c * (c + 1) // 2 for c in sizes)
  return sum(sizes)


def build(backbone: feature_model.Backbone, config: EncoderConfig,
          pooling: str = "max") -> keras.Model:
  """Builds the encoder: images [B, H, W, 3] RGB [0, 1] -> [B, D].

  Raises:
    LayerError, WeightsError: for layers unknown or not covered by weights.
  """
  features = feature_model.feature_model(backbone, config.statistic_layers,
                                         pooling)
  inputs = keras.Input((None, None, 3), name="images")
  outputs = TextureDescriptor(features, config, name="descriptor")(inputs)
  return keras.Model(inputs, outputs, name=f"{config.kind}_encoder")


def layer_list(names: Sequence[str]) -> tuple[str, ...]:
  """Keras-spelled layer names, VGG19's in network order (for flags and
  records); other networks' layers keep the order given."""
  return tuple(vgg_layers.network_order(vgg_layers.spellings(names)))

"""The per-layer statistics of texture descriptors, and their pooling.

A descriptor (`encoder`) is built from statistics of one layer at one
scale, `Statistic` values (`statistic_keys`): first- or second-order
energies (`texture.energies`), or the upper triangle of a Gram matrix. A
layer wider than `gram_dim` channels is first reduced by a fixed 1x1
projection onto `gram_dim` orthonormal directions (drawn once from a seeded
Gaussian, so every build of the encoder has the same one): the Gram matrix
of the projected maps is P^T G P, a random low-rank view of the full Gram
matrix G. Gram matrices are symmetric, so only the upper triangle is kept,
off-diagonal entries scaled by sqrt(2) to keep the Frobenius norm.

`LayerStatistics` computes them at one scale; `pool` averages them over
scales, maps each layer's part by the signed square root and
L2-normalises it, as the configuration asks. The descriptor cache stores
statistics per scale, so that encoders sharing layers and scales share one
encoding of the images (`pool` combines them the same way as the encoder).
"""

import dataclasses
from typing import Sequence

import keras
import numpy as np
import tensorflow as tf

from fmi_tf import errors
from fmi_tf import texture
from fmi_tf.nets import feature_model
from fmi_tf.recognition import encoder_config

STATISTICS = ("energy", "gram")
_PROJECTION_SEED = 1608


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


def statistic_keys(config: encoder_config.EncoderConfig
                   ) -> tuple[Statistic, ...]:
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


def pool(config: encoder_config.EncoderConfig,
         per_scale: Sequence[Sequence]) -> tf.Tensor:
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

"""Texture statistics of feature maps: energies, energy shares, Gram matrices.

The energy of a feature map is the spatial mean of its activations (first
order, as in the authors' code) or the root of the spatial mean of its squared
activations (second order: the root of the Gram matrix's diagonal). An image's
texture representation is the vector of energies of every filter over a set
of layers. The Gram matrix of Gatys et al. is the baseline representation,
behind the same interface: a `Representation` maps a feature model's
activations to one statistic per layer, and `flatten` concatenates them.
"""

import dataclasses
from typing import Mapping, Sequence

import tensorflow as tf

from fmi_tf import errors

ORDERS = (1, 2)
# relu1_1 ... relu5_1, the layers of Gatys et al.
DEFAULT_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1",
                  "block4_conv1", "block5_conv1")


def energies(code: tf.Tensor, order: int = 1) -> tf.Tensor:
  """Returns the energy of each map of [B, H, W, C] activations: [B, C].

  Args:
    code: activations (non-negative after VGG's ReLU).
    order: 1 for the spatial mean, 2 for the root mean square.

  Raises:
    ArgumentError: for another order.
  """
  if order == 1:
    return tf.reduce_mean(code, axis=[1, 2])
  if order == 2:
    return tf.sqrt(tf.reduce_mean(tf.square(code), axis=[1, 2]) + 1e-12)
  raise errors.ArgumentError(f"energy order must be 1 or 2, not {order}")


def energy_shares(code: tf.Tensor) -> tf.Tensor:
  """Returns each map's share of the layer's first-order energy: [B, C]."""
  e = energies(code)
  return tf.math.divide_no_nan(e, tf.reduce_sum(e, axis=-1, keepdims=True))


def gram(code: tf.Tensor) -> tf.Tensor:
  """Returns Gram matrices [B, C, C]: sum over positions of F F^T / (H W)."""
  shape = tf.shape(code)
  positions = tf.cast(shape[1] * shape[2], code.dtype)
  return tf.einsum("bhwc,bhwd->bcd", code, code) / positions


@dataclasses.dataclass(frozen=True)
class Representation:
  """A per-layer texture statistic over chosen layers.

  Attributes:
    layers: canonical layer names.
    kind: `"energy"` or `"gram"`.
    order: energy order (1 or 2); ignored by `"gram"`.
  """
  layers: tuple[str, ...] = DEFAULT_LAYERS
  kind: str = "energy"
  order: int = 1

  def __post_init__(self):
    if self.kind not in ("energy", "gram"):
      raise errors.ArgumentError(
          f"representation must be energy or gram, not {self.kind!r}")
    if self.order not in ORDERS:
      raise errors.ArgumentError(
          f"energy order must be 1 or 2, not {self.order}")

  def __call__(self, activations: Mapping[str, tf.Tensor]
               ) -> dict[str, tf.Tensor]:
    """Returns {layer: [B, C] energies or [B, C, C] Gram matrices}."""
    if self.kind == "gram":
      return {layer: gram(activations[layer]) for layer in self.layers}
    return {layer: energies(activations[layer], self.order)
            for layer in self.layers}


def flatten(statistics: Mapping[str, tf.Tensor],
            layers: Sequence[str]) -> tf.Tensor:
  """Concatenates per-layer statistics into one [B, D] vector, layer order."""
  batch = tf.shape(next(iter(statistics.values())))[0]
  return tf.concat([tf.reshape(statistics[layer], [batch, -1])
                    for layer in layers], axis=-1)

"""Texture statistics of feature maps: energies, energy shares, Gram matrices.

The energy of a feature map is the spatial mean of its activations (first
order, as in the authors' code) or the root of the spatial mean of its squared
activations (second order: the root of the Gram matrix's diagonal). An image's
texture representation is the vector of energies of every filter over a set
of layers. The Gram matrix of Gatys et al. is the baseline representation.
"""

import tensorflow as tf

from fmi_tf import errors

ORDERS = (1, 2)


def energies(code: tf.Tensor, order: int = 1) -> tf.Tensor:
  """Returns the energy of each map of [B, H, W, C] activations: [B, C].

  Args:
    code: activations (non-negative after a ReLU).
    order: 1 for the spatial mean, 2 for the root mean square.

  Raises:
    ArgumentError: for another order.
  """
  errors.check_choice("energy order", order, ORDERS)
  if order == 1:
    return tf.reduce_mean(code, axis=[1, 2])
  return tf.sqrt(tf.reduce_mean(tf.square(code), axis=[1, 2]) + 1e-12)


def energy_shares(code: tf.Tensor) -> tf.Tensor:
  """Returns each map's share of the layer's first-order energy: [B, C].

  A map's energy here is the spatial mean of its positive part: after a ReLU
  the map itself; after swish, GELU or ELU, whose outputs dip below zero,
  the part that fires. So shares stay in [0, 1] and sum to 1 on every
  invertible layer, and a filter is active exactly when its share is
  positive.
  """
  e = energies(tf.nn.relu(code))
  return tf.math.divide_no_nan(e, tf.reduce_sum(e, axis=-1, keepdims=True))


def gram(code: tf.Tensor) -> tf.Tensor:
  """Returns Gram matrices [B, C, C]: sum over positions of F F^T / (H W)."""
  shape = tf.shape(code)
  positions = tf.cast(shape[1] * shape[2], code.dtype)
  return tf.einsum("bhwc,bhwd->bcd", code, code) / positions

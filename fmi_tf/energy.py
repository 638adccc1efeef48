"""Energies of feature maps and each filter's share of a layer's energy.

The energy of a feature map is the spatial mean of its activations (first
order, as in the authors' code). A filter's energy share is its map's energy
over the sum of all maps' energies at that layer: feature-map inversion should
raise the share of the filter it enhances.
"""

import tensorflow as tf


def map_energies(code: tf.Tensor) -> tf.Tensor:
  """Returns the spatial mean of each map of [B, H, W, C] activations: [B, C]."""
  return tf.reduce_mean(code, axis=[1, 2])


def energy_shares(code: tf.Tensor) -> tf.Tensor:
  """Returns each map's share of the layer's energy: [B, C], rows sum to 1."""
  energies = map_energies(code)
  return tf.math.divide_no_nan(
      energies, tf.reduce_sum(energies, axis=-1, keepdims=True))

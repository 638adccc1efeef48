"""The codes of energy reallocation: an image's maps with new energies.

Every map of a layer keeps its spatial pattern; only its energy (the spatial
mean, `texture.energies`) changes, by scaling the map. A map with no
activation at all has no pattern to scale and takes its new energy as a
uniform map, so the target code always holds exactly the energies asked for.

* `random`: the layer's total energy is shared among its maps in random
  proportions drawn from the symmetric Dirichlet distribution (normalised
  gamma variates), seeded by (seed, layer index + 1) with TensorFlow's
  stateless generator. Its concentration sets how unequal the shares are:
  1 is uniform on the simplex, where every map keeps a share of similar size
  and the images differ little; well below 1, most of the energy goes to a
  few maps per layer, so each seed brings out other texture primitives.
* `rank`: the map with the i-th largest energy in the content takes the i-th
  largest energy of the style image at the same layer (purposeful).

`fmi_tf.style.reallocation` inverts these codes to images.
"""

from typing import Sequence

import tensorflow as tf

from fmi_tf import texture


def with_energies(code: tf.Tensor, new_energies: tf.Tensor) -> tf.Tensor:
  """Scales each map of a [1, H, W, C] code to new first-order energies.

  Args:
    code: non-negative activations of one image.
    new_energies: [B, C] energies wanted.

  Returns:
    [B, H, W, C] codes whose maps have the energies `new_energies`.
  """
  current = texture.energies(code)
  scale = tf.math.divide_no_nan(new_energies, current)
  scaled = code * scale[:, None, None, :]
  uniform = tf.ones_like(scaled) * new_energies[:, None, None, :]
  return tf.where((current > 0)[:, None, None, :], scaled, uniform)


def random_shares(seed: int, layer_index: int, num_filters: int,
                  concentration: float = 1.0) -> tf.Tensor:
  """Returns [C] shares drawn from the symmetric Dirichlet distribution.

  Args:
    seed: the draw's seed.
    layer_index: makes the draws of different layers independent.
    num_filters: number of shares C.
    concentration: the Dirichlet parameter; 1 is uniform on the simplex.

  Returns:
    Non-negative shares summing to one; well below concentration 1 a share
    can be too small for float32 and is then exactly zero.
  """
  weights = tf.random.stateless_gamma([num_filters], [seed, layer_index + 1],
                                      alpha=concentration, dtype=tf.float64)
  return tf.cast(weights / tf.reduce_sum(weights), tf.float32)


def random_code(code: tf.Tensor, seeds: Sequence[int], layer_index: int = 0,
                concentration: float = 1.0) -> tf.Tensor:
  """Shares a [1, H, W, C] code's total energy at random, once per seed.

  Args:
    code: one image's activations at a layer.
    seeds: one reallocation per seed.
    layer_index: makes the draws of different layers independent.
    concentration: the Dirichlet parameter of the shares.

  Returns:
    [len(seeds), H, W, C] codes with the same total energy as `code`.
  """
  total = tf.reduce_sum(texture.energies(code))
  shares = tf.stack([
      random_shares(seed, layer_index, code.shape[-1], concentration)
      for seed in seeds])
  return with_energies(code, total * shares)


def rank_code(code: tf.Tensor, style_energies: tf.Tensor) -> tf.Tensor:
  """Gives the content's i-th strongest map the style's i-th largest energy.

  Args:
    code: [1, H, W, C] content activations at a layer.
    style_energies: [1, C] the style image's energies at that layer.

  Returns:
    [1, H, W, C] code whose energies are the style's, reassigned by rank.
  """
  order = tf.argsort(texture.energies(code)[0], direction="DESCENDING",
                     stable=True)
  sorted_style = tf.sort(style_energies[0], direction="DESCENDING")
  rank_of_map = tf.argsort(order, stable=True)
  return with_energies(code, tf.gather(sorted_style, rank_of_map)[None])

"""Objectives that compare the images of a batch, or give each its own.

`diversity` and `alignment` couple a batch's images (the loop then runs and
stops the batch as a whole); `per_image` gives image i of a batch its own
objective. See `objectives` for the whole vocabulary.
"""

from typing import Sequence

import numpy as np
import tensorflow as tf

from fmi_tf import errors
from fmi_tf.optim.objective import Objective
from fmi_tf.optim.objective import per_element

_ALIGNMENT_OFFSETS = 4


def _check_batch(what: str):
  def check(network, shapes, batch):
    del network, shapes
    if batch < 2:
      raise errors.ArgumentError(
          f"{what} compares the images of a batch: render at least 2 "
          "images together")
  return check


def diversity(layer: str) -> Objective:
  """Pushes the images of a batch apart in style at `layer`.

  Each image's loss is the mean cosine similarity of its flattened Gram
  matrix to the other images' (Olah et al. 2017): minimising it makes the
  batch show different facets of the same objective.

  Examples:
    >>> objectives.channel("block4_conv1", [7] * 4) + objectives.diversity(
    ...     "block3_conv1")
  """

  def similarity(activations, images, targets):
    del images, targets
    maps = activations[layer]
    positions = tf.cast(tf.shape(maps)[1] * tf.shape(maps)[2], maps.dtype)
    grams = tf.einsum("bhwc,bhwd->bcd", maps, maps) / positions
    flat = tf.math.l2_normalize(
        tf.reshape(grams, [tf.shape(grams)[0], -1]), axis=1)
    cosines = tf.matmul(flat, flat, transpose_b=True)
    others = tf.cast(tf.shape(flat)[0] - 1, flat.dtype)
    return (tf.reduce_sum(cosines, axis=1) - tf.linalg.diag_part(cosines)
            ) / others

  return Objective.of(similarity, f"loss/diversity/{layer}", [layer],
                      couples_batch=True, check=_check_batch("diversity"))


def alignment(layer: str, decay_ratio: float = 2.0) -> Objective:
  """Pulls neighbouring images of a batch together at `layer`.

  For each offset d of 1 to 4, the mean squared difference of the codes of
  images i and i + d, divided by `decay_ratio`^d, is shared between the two
  (lucid's `alignment`): with an objective that moves across the batch (an
  interpolation), the images change smoothly.

  Examples:
    >>> objectives.alignment("block3_conv1")
  """
  errors.check_non_negative("decay_ratio", decay_ratio)
  if not decay_ratio > 0:
    raise errors.ArgumentError("decay_ratio must be positive")

  def distance(activations, images, targets):
    del images, targets
    maps = activations[layer]
    batch = tf.shape(maps)[0]
    positions = tf.range(batch)
    total = tf.zeros([batch])
    for offset in range(1, _ALIGNMENT_OFFSETS + 1):
      partner = tf.minimum(positions + offset, batch - 1)
      valid = tf.cast(positions + offset < batch, maps.dtype)
      pair = valid * tf.reduce_mean(
          tf.square(maps - tf.gather(maps, partner)), axis=[1, 2, 3]
      ) / (2.0 * decay_ratio ** offset)
      # Each pair's share goes to both of its images.
      total += pair + tf.scatter_nd(partner[:, None], pair, [batch])
    return total

  return Objective.of(distance, f"loss/alignment/{layer}", [layer],
                      couples_batch=True, check=_check_batch("alignment"))


def per_image(parts: Sequence[Objective]) -> Objective:
  """Image i of a batch optimises `parts[i]`: many objectives in one call.

  Each part is evaluated on the whole batch (the network runs once) and each
  image keeps its own; for many filters of one layer, `channel(layer,
  filters)` is cheaper.

  Args:
    parts: one objective per image, none with per-image targets of its own
      or coupling a batch.
  """
  parts = list(parts)
  for part in parts:
    if part.elements is not None or part.couples_batch:
      raise errors.ArgumentError(
          f"{part!r} already spans a batch: it cannot be one image's "
          "objective in a list")

  def chosen(activations, images, targets):
    values = tf.stack([part(activations, images, targets) for part in parts])
    rows = per_element(np.arange(len(parts), dtype=np.int32)[:, None],
                       targets, tf.shape(images)[0])[:, 0]
    return tf.gather(tf.transpose(values), rows, axis=1, batch_dims=1)

  def check(network, shapes, batch):
    for part in parts:
      part.check(network, shapes, batch)

  layers = tuple(dict.fromkeys(
      layer for part in parts for layer in part.layers))
  references = tuple(ref for part in parts for ref in part.references)
  return Objective.of(chosen, "loss/per_image", layers, elements=len(parts),
                      check=check, references=references)

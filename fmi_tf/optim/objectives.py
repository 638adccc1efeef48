"""Objectives: what the optimiser makes an image do to the network.

Every objective is a loss to minimise (`objective.Objective`), one value per
image; maximising an activation is minimising its negative, so `channel`
is the negative mean of a map and `-channel(...)` switches the map off.
They add, scale and subtract (`2 * a - b`, `sum([...])`) and declare the
layers they read, so `fmi_tf.render` builds only the network they need.

Activation maximisation (lucid's and xplique's vocabulary):

  >>> from fmi_tf import objectives
  >>> objectives.channel("block4_conv1", 7)            # one map's mean
  >>> objectives.channel("block4_conv1", range(16))    # one map per image
  >>> objectives.neuron("block4_conv1", 7)             # its centre unit
  >>> objectives.direction("block4_conv1", vector, cossim_pow=1.0)
  >>> objectives.channel_weights("block4_conv1", {7: 1.0, 9: -0.5})
  >>> objectives.deepdream("block4_conv1")             # a whole layer
  >>> objectives.class_logit(281)                      # a network with a head
  >>> (objectives.channel("block4_conv1", range(4))
  ...  + 0.5 * objectives.diversity("block3_conv1"))   # 4 different images

A string `"block4_conv1:7"` (or `"block4_conv1:0:16"`, one filter per image)
stands for `channel` wherever an objective is taken (`as_objective`).
Priors and codes: `total_variation`, `l2`, `code_distance` (to a code passed
in the targets) and `closeness` (to the code of a given image: with an image
start, feature accentuation).

A per-image target list fixes the number of images; `diversity` and
`alignment` compare the images of a batch, which the loop then runs and
stops as a whole.
"""

from typing import Any

import tensorflow as tf

from fmi_tf import errors
from fmi_tf.io import index_lists
# The vocabulary, gathered here as `fmi_tf.objectives`.
# pylint: disable=unused-import
from fmi_tf.optim.batch_objectives import alignment
from fmi_tf.optim.batch_objectives import diversity
from fmi_tf.optim.batch_objectives import per_image
from fmi_tf.optim.objective import ELEMENT
from fmi_tf.optim.objective import Objective
from fmi_tf.optim.objective import Reference
from fmi_tf.optim.objective import Term
from fmi_tf.optim.unit_objectives import LOGITS
from fmi_tf.optim.unit_objectives import channel
from fmi_tf.optim.unit_objectives import channel_weights
from fmi_tf.optim.unit_objectives import class_logit
from fmi_tf.optim.unit_objectives import deepdream
from fmi_tf.optim.unit_objectives import direction
from fmi_tf.optim.unit_objectives import neuron
# pylint: enable=unused-import


def relative_squared_distance(value: tf.Tensor,
                              target: tf.Tensor) -> tf.Tensor:
  """Returns ||value - target||^2 / ||target||^2 per batch element: [B]."""
  axes = list(range(1, len(target.shape)))
  numerator = tf.reduce_sum(tf.square(value - target), axis=axes)
  return numerator / tf.maximum(tf.reduce_sum(tf.square(target), axis=axes),
                                1e-12)


def code_distance(layer: str) -> Objective:
  """Normalised squared distance to a dense target code `targets[layer]`.

  ||phi(x) - T||^2 / ||T||^2 per batch element, T of shape [B, H, W, C].
  """

  def distance(activations, images, targets):
    del images
    return relative_squared_distance(activations[layer], targets[layer])

  return Objective.of(distance, f"loss/code/{layer}", [layer])


def closeness(layer: str, image: Any = None) -> Objective:
  """Normalised squared distance to an image's code at `layer`.

  With the render started from the same image, a filter objective plus
  closeness at an earlier layer is feature accentuation (Hamblin et al.
  2024): the photo changed just enough to drive the filter.

  Examples:
    >>> accentuate = (objectives.channel("block4_conv1", 7)
    ...               + 10.0 * objectives.closeness("block2_conv1", "cat.jpg"))
    >>> fmi_tf.render(net, accentuate, init="cat.jpg")

  Args:
    layer: the layer whose codes are compared.
    image: a path, an [H, W, 3] array in [0, 1], a Pillow image, or None for
      the embedded photo; read at the render's size.
  """
  reference = Reference(layer, image)

  def distance(activations, images, targets):
    del images
    return relative_squared_distance(activations[layer],
                                     targets[reference.key])

  return Objective.of(distance, f"loss/closeness/{layer}", [layer],
                      references=(reference,))


def total_variation() -> Objective:
  """Mean squared difference between neighbouring pixels, per image."""

  def variation(activations, images, targets):
    del activations, targets
    dy = images[:, 1:, :-1, :] - images[:, :-1, :-1, :]
    dx = images[:, :-1, 1:, :] - images[:, :-1, :-1, :]
    return tf.reduce_mean(tf.square(dx) + tf.square(dy), axis=[1, 2, 3])

  return Objective.of(variation, "loss/tv")


def l2() -> Objective:
  """Mean squared distance of the pixels from mid-grey, per image."""

  def norm(activations, images, targets):
    del activations, targets
    return tf.reduce_mean(tf.square(images - 0.5), axis=[1, 2, 3])

  return Objective.of(norm, "loss/l2")


def as_objective(spec) -> Objective:
  """An objective from what a user wrote.

  Examples:
    >>> objectives.as_objective("block4_conv1:7")      # channel 7
    >>> objectives.as_objective("block4_conv1:0:16")   # 16 images
    >>> objectives.as_objective(["block4_conv1:7", "block5_conv1:3"])

  Args:
    spec: an `Objective`; `"layer:filters"` (filters as `7`, `0,5,9` or
      `0:16`) for `channel`; or a list of those, one per image.

  Raises:
    ArgumentError: for anything else.
  """
  if isinstance(spec, Objective):
    return spec
  if isinstance(spec, str):
    layer, colon, filters = spec.partition(":")
    if not colon or not layer.strip() or not filters.strip():
      raise errors.ArgumentError(
          f"objective {errors.shown(spec)}: write 'layer:filter' (e.g. "
          "'block4_conv1:7' or 'block4_conv1:0:16'), or build one with "
          "fmi_tf.objectives")
    ids = index_lists.parse(filters, "filter", "7, 0,5,9 or 0:16",
                            lambda k: None)
    return channel(layer.strip(), ids if len(ids) > 1 else ids[0])
  if isinstance(spec, (list, tuple)) and spec:
    parts = [as_objective(item) for item in spec]
    layers = {part.layers for part in parts}
    if all(isinstance(item, str) for item in spec) and len(layers) == 1 and (
        all(part.elements is None for part in parts)):
      # One filter per image of one layer: one batched channel objective.
      layer = spec[0].partition(":")[0].strip()
      return channel(layer, [int(item.partition(":")[2]) for item in spec])
    return per_image(parts)
  raise errors.ArgumentError(
      f"objective must be an fmi_tf.objectives value, a 'layer:filter' "
      f"string or a list of them, not {errors.shown(spec)}")

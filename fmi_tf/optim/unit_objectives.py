"""Objectives on single units of a network: maps, neurons, directions.

Each is a loss (the negative of what it maximises), one value per image, and
takes one target for every image or one per image (a batch of that many),
read through `objective.per_element` so that a narrowed batch keeps each
image's own. See `objectives` for the whole vocabulary.
"""

import itertools
import numbers
from typing import Iterable, Mapping, Sequence

import numpy as np
import tensorflow as tf

from fmi_tf import errors
from fmi_tf import limits
from fmi_tf.optim.objective import Objective
from fmi_tf.optim.objective import per_element

# The layer name by which `class_logit` reads the network's head (its
# pre-softmax output), resolved by the renderer.
LOGITS = "logits"
_EPSILON = 1e-4
# lucid's floor of the cosine in `direction`: an image pointing away from the
# direction still gets a gradient.
_COSINE_FLOOR = 0.1


def _is_integer(value) -> bool:
  return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _indices(index, what: str) -> np.ndarray:
  """One index or an iterable of them as an int32 array."""
  if _is_integer(index):
    values = [int(index)]
  else:
    try:
      values = (None if isinstance(index, (str, bytes, Mapping))
                else list(itertools.islice(index, limits.MAX_CHANNELS + 1)))
    except TypeError:
      values = None
    if values is not None and len(values) > limits.MAX_CHANNELS:
      raise errors.ArgumentError(
          f"{what} lists more than {limits.MAX_CHANNELS} indices")
    if not values or not all(_is_integer(k) for k in values):
      raise errors.ArgumentError(
          f"{what} must be an integer or a non-empty list of integers, "
          f"not {index!r}")
  if min(values) < 0:
    raise errors.LayerError(f"{what} {min(values)} is negative")
  return np.asarray(values, np.int32)


def _elements(values: np.ndarray):
  return None if values.shape[0] == 1 else int(values.shape[0])


def _check_channels(layer: str, indices: np.ndarray, what: str):
  def check(network, shapes, batch):
    del network, batch
    channels = shapes[layer][2]
    if indices.max() >= channels:
      raise errors.LayerError(
          f"{what} {indices.max()} is out of range: {layer} has {channels} "
          f"filters (0 to {channels - 1})")
  return check


def _map_means(activations, layer: str) -> tf.Tensor:
  return tf.reduce_mean(activations[layer], axis=[1, 2])


def channel(layer: str, index: "int | Iterable[int]") -> Objective:
  """Maximises the spatial mean of a feature map.

  Examples:
    >>> objectives.channel("block4_conv1", 7)
    >>> objectives.channel("block4_conv1", range(16))  # 16 images at once

  Args:
    layer: the layer.
    index: the filter, or one filter per image (a batch of that many).
  """
  indices = _indices(index, "channel")

  def mean_activation(activations, images, targets):
    del images
    means = _map_means(activations, layer)
    chosen = per_element(indices, targets, tf.shape(means)[0])
    return -tf.gather(means, chosen, axis=1, batch_dims=1)

  return Objective.of(mean_activation, f"loss/channel/{layer}", [layer],
                      elements=_elements(indices),
                      check=_check_channels(layer, indices, "channel"))


def neuron(layer: str, index: "int | Iterable[int]",
           position: "tuple[int, int] | None" = None) -> Objective:
  """Maximises one unit of a feature map: the map's value at one position.

  Examples:
    >>> objectives.neuron("block4_conv1", 7)           # the centre unit
    >>> objectives.neuron("block4_conv1", 7, (2, 5))   # row 2, column 5

  Args:
    layer: the layer.
    index: the filter, or one filter per image.
    position: (row, column) in the map; None: its centre.
  """
  indices = _indices(index, "neuron")
  if position is not None:
    position = tuple(_indices(list(position), "neuron position"))
    if len(position) != 2:
      raise errors.ArgumentError(
          f"a neuron position is (row, column), not {position!r}")
  check_channel = _check_channels(layer, indices, "neuron")

  def check(network, shapes, batch):
    check_channel(network, shapes, batch)
    height, width = shapes[layer][:2]
    if position is not None and not (position[0] < height
                                     and position[1] < width):
      raise errors.ArgumentError(
          f"neuron position {position} is outside {layer}'s "
          f"{height}x{width} map at this image size")

  def unit(activations, images, targets):
    del images
    maps = activations[layer]
    shape = tf.shape(maps)
    row, column = ((shape[1] // 2, shape[2] // 2) if position is None
                   else position)
    values = maps[:, row, column, :]
    chosen = per_element(indices, targets, shape[0])
    return -tf.gather(values, chosen, axis=1, batch_dims=1)

  return Objective.of(unit, f"loss/neuron/{layer}", [layer],
                      elements=_elements(indices), check=check)


def _vectors(vector, what: str) -> np.ndarray:
  try:
    values = np.asarray(vector, np.float32)
  except (TypeError, ValueError):
    values = None
  if values is None or values.ndim not in (1, 2) or values.size == 0:
    raise errors.ArgumentError(
        f"{what} must be a vector of one weight per filter (or one such "
        f"vector per image), not {vector!r}")
  if not np.all(np.isfinite(values)):
    raise errors.ArgumentError(f"{what} holds NaN or infinite values")
  return values[None] if values.ndim == 1 else values


def _check_length(layer: str, vectors: np.ndarray, what: str):
  def check(network, shapes, batch):
    del network, batch
    channels = shapes[layer][2]
    if vectors.shape[1] != channels:
      raise errors.ArgumentError(
          f"{what} has {vectors.shape[1]} weights but {layer} has "
          f"{channels} filters")
  return check


def direction(layer: str, vector, cossim_pow: float = 0.0) -> Objective:
  """Maximises the activations' dot product with a direction of the layer.

  At each position, the dot product of the activations with `vector` is
  multiplied by their cosine similarity (floored at 0.1) to the power
  `cossim_pow`, then averaged over the positions: with a power of 1 to 4,
  the image is pushed to point the way of `vector`, not only far along it
  (Olah et al., lucid's `direction` objectives).

  Examples:
    >>> objectives.direction("block4_conv1", np.eye(512)[7], cossim_pow=1.0)

  Args:
    layer: the layer.
    vector: one weight per filter of the layer, or one such vector per image.
    cossim_pow: the cosine's power; 0 is the plain dot product.
  """
  vectors = _vectors(vector, "a direction")
  errors.check_non_negative("cossim_pow", cossim_pow)

  def along(activations, images, targets):
    del images
    maps = activations[layer]
    chosen = per_element(vectors, targets, tf.shape(maps)[0])
    dot = tf.einsum("bhwc,bc->bhw", maps, chosen)
    if cossim_pow:
      norms = (_EPSILON + tf.norm(maps, axis=-1)) * (
          _EPSILON + tf.norm(chosen, axis=-1))[:, None, None]
      cosine = tf.maximum(dot / norms, _COSINE_FLOOR)
      dot *= cosine ** cossim_pow
    return -tf.reduce_mean(dot, axis=[1, 2])

  return Objective.of(along, f"loss/direction/{layer}", [layer],
                      elements=_elements(vectors),
                      check=_check_length(layer, vectors, "the direction"))


def channel_weights(layer: str,
                    weights: "Mapping[int, float] | Sequence[float]"
                    ) -> Objective:
  """Maximises a weighted sum of map means (negative weights lower them).

  Examples:
    >>> objectives.channel_weights("block4_conv1", {7: 1.0, 9: -0.5})

  Args:
    layer: the layer.
    weights: {filter: weight}, or one weight per filter of the layer.
  """
  if isinstance(weights, Mapping):
    indices = _indices(list(weights), "channel")
    values = _vectors([weights[k] for k in weights], "channel weights")[0]

    def weighted(activations, images, targets):
      del images, targets
      means = tf.gather(_map_means(activations, layer), indices, axis=1)
      return -tf.reduce_sum(means * values, axis=1)

    return Objective.of(weighted, f"loss/channel_weights/{layer}", [layer],
                        check=_check_channels(layer, indices, "channel"))
  vectors = _vectors(weights, "channel weights")

  def dense(activations, images, targets):
    del images
    means = _map_means(activations, layer)
    chosen = per_element(vectors, targets, tf.shape(means)[0])
    return -tf.reduce_sum(means * chosen, axis=1)

  return Objective.of(dense, f"loss/channel_weights/{layer}", [layer],
                      elements=_elements(vectors),
                      check=_check_length(layer, vectors, "channel weights"))


def deepdream(layer: str) -> Objective:
  """Maximises the mean squared activation of a whole layer (DeepDream).

  Examples:
    >>> objectives.deepdream("block4_conv1")
  """

  def energy(activations, images, targets):
    del images, targets
    return -tf.reduce_mean(tf.square(activations[layer]), axis=[1, 2, 3])

  return Objective.of(energy, f"loss/deepdream/{layer}", [layer])


def class_logit(index: "int | Iterable[int]") -> Objective:
  """Maximises a class's logit (pre-softmax score) of a network with a head.

  Examples:
    >>> net = fmi_tf.network(keras.applications.MobileNet(alpha=0.25),
    ...                      preprocessing="tf")
    >>> fmi_tf.render(net, objectives.class_logit(281))

  Args:
    index: the class, or one class per image.
  """
  indices = _indices(index, "class")

  def logit(activations, images, targets):
    del images
    logits = activations[LOGITS]
    chosen = per_element(indices, targets, tf.shape(logits)[0])
    return -tf.gather(logits, chosen, axis=1, batch_dims=1)

  return Objective.of(logit, "loss/class_logit", [LOGITS],
                      elements=_elements(indices),
                      check=_check_channels(LOGITS, indices, "class"))

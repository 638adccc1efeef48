"""The modified code of feature-map inversion: one filter enhanced.

For filter k of a layer whose code (activations) for an image is F [H, W, C]:

* `transfer` (the authors' choice): map k receives, at every position, the
  sum over all channels of F; every other map is zero. The total is kept.
* `gain`: map k is multiplied by `alpha`, every other map by `beta`.

Both have the form "every map other than k is `s * F`, map k is `T`", which
`FilterTarget` stores per batch element (one element per filter) without ever
building the dense [B, H, W, C] target; `dense` builds it when asked, and
`filter_code_distance` is the objective that measures distance to it.
"""

from typing import NamedTuple

import tensorflow as tf

from fmi_tf import errors
from fmi_tf.optim import objectives

MODES = ("transfer", "gain")
DEFAULT_ALPHA = 5.0
DEFAULT_BETA = 0.2


class FilterTarget(NamedTuple):
  """The modified code of one image for a batch of filters, in factored form.

  For batch element b, every map other than `filter_ids[b]` should equal
  `others_scale[b] * code[0]` and map `filter_ids[b]` should equal
  `target_maps[b]`.

  Attributes:
    code: [1, H, W, C] the image's original code.
    filter_ids: [B] int32, the filter enhanced in each batch element.
    others_scale: [B] float32, the factor of every other map.
    target_maps: [B, H, W] float32, the target of the enhanced map.
  """
  code: tf.Tensor
  filter_ids: tf.Tensor
  others_scale: tf.Tensor
  target_maps: tf.Tensor


def filter_target(code: tf.Tensor,
                  filter_ids,
                  mode: str = "transfer",
                  alpha: float = DEFAULT_ALPHA,
                  beta: float = DEFAULT_BETA) -> FilterTarget:
  """Builds the modified codes that enhance each of `filter_ids`.

  Args:
    code: [1, H, W, C] activations of one image at one layer.
    filter_ids: the B filters to enhance, one per batch element.
    mode: `"transfer"` or `"gain"` (see the module docstring).
    alpha: gain of the enhanced map in `gain` mode.
    beta: gain of the other maps in `gain` mode.

  Returns:
    The factored modified code for the B filters.

  Raises:
    ArgumentError: for an unknown mode or a negative gain.
  """
  errors.check_choice("mode", mode, MODES)
  if alpha < 0 or beta < 0:
    raise errors.ArgumentError(
        f"alpha and beta must be non-negative, not {alpha} and {beta}")
  code = tf.convert_to_tensor(code, tf.float32)
  filter_ids = tf.convert_to_tensor(filter_ids, tf.int32)
  batch = tf.shape(filter_ids)[0]
  if mode == "transfer":
    total = tf.reduce_sum(code[0], axis=-1)
    target_maps = tf.repeat(total[None], batch, axis=0)
    others_scale = tf.zeros([batch])
  else:
    maps = tf.gather(code[0], filter_ids, axis=-1)  # [H, W, B]
    target_maps = alpha * tf.transpose(maps, [2, 0, 1])
    others_scale = tf.fill([batch], float(beta))
  return FilterTarget(code, filter_ids, others_scale, target_maps)


def dense(target: FilterTarget) -> tf.Tensor:
  """Returns the modified codes as a dense [B, H, W, C] tensor."""
  num_channels = tf.shape(target.code)[-1]
  is_target = tf.one_hot(target.filter_ids, num_channels)[:, None, None, :]
  others = target.others_scale[:, None, None, None] * target.code
  return (1.0 - is_target) * others + is_target * target.target_maps[..., None]


def filter_code_distance(layer: str) -> objectives.Objective:
  """Normalised squared distance to a `FilterTarget` at `layer`.

  ||phi(x) - T||^2 / ||T||^2 per batch element (Mahendran & Vedaldi), where T
  is the factored modified code `targets[layer]`; the dense T is never built:
  the enhanced map is picked by contracting the channels with a one-hot
  vector (`einsum`), which costs one pass over the code and, unlike a
  batched gather on the last axis, no transposes.

  Args:
    layer: canonical layer name; `targets[layer]` must be a `FilterTarget`.

  Returns:
    The objective.
  """

  def distance(activations, images, targets):
    del images
    target: FilterTarget = targets[layer]
    phi = activations[layer]
    code = target.code[0]
    scale = target.others_scale
    chosen = tf.one_hot(target.filter_ids, tf.shape(phi)[-1], dtype=phi.dtype)
    phi_k = tf.einsum("bhwc,bc->bhw", phi, chosen)
    code_k = tf.einsum("hwc,bc->bhw", code, chosen)
    residual = phi - scale[:, None, None, None] * code
    residual_k = phi_k - scale[:, None, None] * code_k
    numerator = (tf.reduce_sum(tf.square(residual), axis=[1, 2, 3])
                 - tf.reduce_sum(tf.square(residual_k), axis=[1, 2])
                 + tf.reduce_sum(tf.square(phi_k - target.target_maps),
                                 axis=[1, 2]))
    denominator = (
        tf.square(scale)
        * (tf.reduce_sum(tf.square(code)) - tf.reduce_sum(tf.square(code_k),
                                                          axis=[1, 2]))
        + tf.reduce_sum(tf.square(target.target_maps), axis=[1, 2]))
    return numerator / tf.maximum(denominator, 1e-12)

  return objectives.Objective.of(distance, f"loss/code/{layer}", [layer])

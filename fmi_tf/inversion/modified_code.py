"""The modified code of feature-map inversion: one filter enhanced.

For filter k of a layer whose code (activations) for an image is F [H, W, C]:

* `transfer` (the authors' choice): map k receives, at every position, the
  sum over all channels of F; every other map is zero. The total is kept.
* `gain`: map k is multiplied by `alpha`, every other map by `beta`.

Both have the form "every map other than k is `s * F`, map k is `T`", which
`FilterTarget` stores per batch element (one element per filter) without ever
building the dense [B, H, W, C] target; `dense` builds it when asked.
"""

from typing import NamedTuple

import tensorflow as tf

from fmi_tf import errors

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
  if mode not in MODES:
    raise errors.ArgumentError(
        f"mode must be one of {', '.join(MODES)}, not {mode!r}")
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

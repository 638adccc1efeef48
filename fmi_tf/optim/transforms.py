"""Random transforms of the images the network sees at each step.

A transform is a function `(images, seeds, steps) -> images`: `images` is
[B, H, W, 3], `seeds` [B, 2] int32 (one stateless seed pair per element) and
`steps` [B] float32 (each element's step count). It draws its randomness from
each element's own seed and step only, so an element's result never depends
on its batch, and a run is repeatable. Transforms are plain values that a
user composes in a list (`compose`), their own functions among them.

Examples:
  >>> from fmi_tf.optim import transforms
  >>> jitter_then_scale = transforms.compose(
  ...     [transforms.jitter(0.02), transforms.scale(0.05)])
"""

import math
from typing import Callable, Sequence

import tensorflow as tf

Transform = Callable[[tf.Tensor, tf.Tensor, tf.Tensor], tf.Tensor]


def uniform_draws(seeds: tf.Tensor, steps: tf.Tensor, salt: int,
                  count: int) -> tf.Tensor:
  """[B, count] draws in [-1, 1), from each element's (seed, step, salt)."""

  def draw(seed_and_step):
    seed = tf.random.experimental.stateless_fold_in(seed_and_step[:2],
                                                    seed_and_step[2])
    seed = tf.random.experimental.stateless_fold_in(seed, salt)
    return tf.random.stateless_uniform([count], seed, -1.0, 1.0)

  return tf.map_fn(
      draw, tf.concat([seeds, tf.cast(steps, tf.int32)[:, None]], 1),
      fn_output_signature=tf.float32)


class Affine:
  """A random affine warp, drawn per element as a matrix.

  `sampling(images, seeds, steps)` returns [B, 3, 3] matrices mapping each
  output pixel (x, y, 1) to the input position it reads. Consecutive affine
  transforms of a `compose` chain are multiplied into one warp, so the
  image is resampled once (bilinear, reflected borders) however many of
  them there are.
  """

  def __init__(self, sampling: Callable[[tf.Tensor, tf.Tensor, tf.Tensor],
                                        tf.Tensor]):
    self.sampling = sampling

  def __call__(self, images, seeds, steps):
    return _warp(images, self.sampling(images, seeds, steps))


def _warp(images: tf.Tensor, sampling: tf.Tensor) -> tf.Tensor:
  """Resamples [B, H, W, 3] images by [B, 3, 3] sampling matrices."""
  height, width = images.shape[1], images.shape[2]
  rows = tf.reshape(sampling, [-1, 9])[:, :8]
  return tf.raw_ops.ImageProjectiveTransformV3(
      images=images, transforms=rows, output_shape=[height, width],
      fill_value=0.0, interpolation="BILINEAR", fill_mode="REFLECT")


def _about_centre(images: tf.Tensor, linear: tf.Tensor) -> tf.Tensor:
  """[B, 3, 3] sampling of output p at L (p - c) + c: L is [B, 2, 2]
  `linear`, c the image centre."""
  height, width = images.shape[1], images.shape[2]
  centre = tf.constant([(width - 1) / 2, (height - 1) / 2], tf.float32)
  offset = centre[None] - tf.linalg.matvec(linear, centre[None])
  top = tf.concat([linear, offset[:, :, None]], 2)
  bottom = tf.broadcast_to(tf.constant([[[0.0, 0.0, 1.0]]]),
                           [tf.shape(linear)[0], 1, 3])
  return tf.concat([top, bottom], 1)


def jitter(max_shift: float = 0.02, salt: int = 1) -> Affine:
  """Shifts each image by up to `max_shift` of its side, at random.

  Args:
    max_shift: the largest shift, as a fraction of the width and height.
    salt: sets this transform's draws apart from the others'.
  """

  def sampling(images, seeds, steps):
    draws = uniform_draws(seeds, steps, salt, 2)
    size = tf.constant([images.shape[2], images.shape[1]], tf.float32)
    shift = max_shift * size * draws
    eye = tf.broadcast_to(tf.eye(2), [tf.shape(shift)[0], 2, 2])
    return _about_centre(images, eye) + tf.pad(
        -shift[:, :, None], [[0, 0], [0, 1], [2, 0]])

  return Affine(sampling)


def scale(max_scale: float = 0.05, salt: int = 2) -> Affine:
  """Zooms each image about its centre by a factor within 1 +- `max_scale`.

  Args:
    max_scale: the largest relative change of size.
    salt: sets this transform's draws apart from the others'.
  """

  def sampling(images, seeds, steps):
    inverse = 1.0 / (1.0 + max_scale * uniform_draws(seeds, steps, salt,
                                                      1)[:, 0])
    eye = tf.eye(2)[None]
    return _about_centre(images, inverse[:, None, None] * eye)

  return Affine(sampling)


def rotate(max_degrees: float = 5.0, salt: int = 3) -> Affine:
  """Rotates each image about its centre by up to `max_degrees`, at random.

  Args:
    max_degrees: the largest angle, either way.
    salt: sets this transform's draws apart from the others'.
  """

  def sampling(images, seeds, steps):
    angle = (math.radians(max_degrees)
             * uniform_draws(seeds, steps, salt, 1)[:, 0])
    cos, sin = tf.cos(angle), tf.sin(angle)
    return _about_centre(images, tf.reshape(
        tf.stack([cos, sin, -sin, cos], 1), [-1, 2, 2]))

  return Affine(sampling)


def compose(chain: Sequence[Transform]) -> Transform:
  """Applies the transforms of `chain` in order (none: the identity).

  Runs of `Affine` transforms are merged into one warp.
  """
  groups = []
  for transform in chain:
    if (isinstance(transform, Affine) and groups
        and isinstance(groups[-1], list)):
      groups[-1].append(transform)
    else:
      groups.append([transform] if isinstance(transform, Affine)
                    else transform)

  def composed(images, seeds, steps):
    for group in groups:
      if isinstance(group, list):
        # Applying T1 then T2 reads T1's input at S1 (S2 p).
        sampling = group[0].sampling(images, seeds, steps)
        for transform in group[1:]:
          sampling = sampling @ transform.sampling(images, seeds, steps)
        images = _warp(images, sampling)
      else:
        images = group(images, seeds, steps)
    return images

  return composed

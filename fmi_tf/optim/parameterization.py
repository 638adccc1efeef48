"""How the optimised variables become images: pixels, or a coloured spectrum.

A `Parameterization` maps a batch of parameter tensors to RGB images in
[0, 1] and back (for the starting images), keeps the parameters valid after
each step (`project`), and may apply a random transform to the images before
the network sees them (`transform`), so that the optimum cannot rely on exact
pixel positions.

* `pixel`: the parameters are the pixels, clipped to [0, 1] after each step;
  no transform.
* `fourier`: as in lucid (Olah et al., "Feature Visualization", 2017), the
  parameters are the 2-D spectrum of each of three decorrelated colour
  channels, scaled by 1/f so that Adam's equal steps per coefficient give
  natural-image-like (1/f) images; the channels are mapped to RGB with the
  square root of ImageNet's colour correlation matrix and a sigmoid keeps the
  values in (0, 1). Each step, the image is shifted by up to 2 % of its side
  and scaled by up to 5 % (bilinear, reflected borders) before the network,
  with parameters drawn from each element's own seed and step, so an
  element's result never depends on its batch.
"""

import math
from typing import Protocol

import numpy as np
import tensorflow as tf

from fmi_tf import errors

PARAMS = ("pixel", "fourier")

# Square root of ImageNet's RGB colour correlation matrix (from lucid).
_COLOR_CORRELATION_SQRT = np.array([[0.26, 0.09, 0.02],
                                    [0.27, 0.00, -0.05],
                                    [0.27, -0.09, 0.03]], np.float32)
_COLOR = _COLOR_CORRELATION_SQRT / np.max(
    np.linalg.norm(_COLOR_CORRELATION_SQRT, axis=0))
_SPECTRUM_SCALE = 4.0
_EDGE = 1e-3
_MAX_SHIFT = 0.02
_MAX_SCALE = 0.05


class Parameterization(Protocol):
  """Parameters <-> RGB images in [0, 1]."""

  def to_parameters(self, images: tf.Tensor) -> tf.Tensor:
    """Returns parameters whose images are `images` [B, H, W, 3]."""

  def to_images(self, parameters: tf.Tensor) -> tf.Tensor:
    """Returns [B, H, W, 3] float32 images in [0, 1] (differentiable)."""

  def project(self, parameters: tf.Tensor) -> tf.Tensor:
    """Returns the nearest valid parameters after a step."""

  def transform(self, images: tf.Tensor, seeds: tf.Tensor,
                steps: tf.Tensor) -> tf.Tensor:
    """Returns the images the network sees at this step.

    Args:
      images: [B, H, W, 3].
      seeds: [B, 2] int32, one stateless seed pair per element.
      steps: [B] float32, each element's step count.
    """


class Pixel:
  """The pixels themselves, clipped to [0, 1]."""

  def to_parameters(self, images):
    return tf.clip_by_value(images, 0.0, 1.0)

  def to_images(self, parameters):
    return parameters

  def project(self, parameters):
    return tf.clip_by_value(parameters, 0.0, 1.0)

  def transform(self, images, seeds, steps):
    del seeds, steps
    return images


def _frequencies(height: int, width: int) -> np.ndarray:
  """Returns |f| of the rfft2d coefficients of an image, [H, W // 2 + 1]."""
  fy = np.fft.fftfreq(height)[:, None]
  fx = np.fft.rfftfreq(width)[None, :]
  return np.sqrt(fx * fx + fy * fy)


class Fourier:
  """A 1/f-scaled spectrum of decorrelated colour, through a sigmoid."""

  def __init__(self, height: int, width: int):
    """Prepares the spectrum scale of [height, width] images."""
    self._height, self._width = height, width
    frequencies = _frequencies(height, width)
    scale = 1.0 / np.maximum(frequencies, 1.0 / max(height, width))
    scale *= math.sqrt(height * width) / _SPECTRUM_SCALE
    self._scale = tf.constant(scale.astype(np.complex64))
    self._color = tf.constant(_COLOR.T)
    self._color_inverse = tf.constant(np.linalg.inv(_COLOR.T))

  def to_parameters(self, images):
    images = tf.clip_by_value(images, _EDGE, 1.0 - _EDGE)
    logits = tf.math.log(images) - tf.math.log1p(-images)
    channels = tf.transpose(logits @ self._color_inverse, [0, 3, 1, 2])
    spectrum = tf.signal.rfft2d(channels) / self._scale
    return tf.stack([tf.math.real(spectrum), tf.math.imag(spectrum)], -1)

  def to_images(self, parameters):
    spectrum = tf.complex(parameters[..., 0], parameters[..., 1])
    channels = tf.signal.irfft2d(spectrum * self._scale,
                                 fft_length=[self._height, self._width])
    return tf.sigmoid(tf.transpose(channels, [0, 2, 3, 1]) @ self._color)

  def project(self, parameters):
    return parameters

  def transform(self, images, seeds, steps):
    def draw(seed_and_step):
      seed = tf.random.experimental.stateless_fold_in(
          seed_and_step[:2], seed_and_step[2])
      return tf.random.stateless_uniform([3], seed, -1.0, 1.0)

    draws = tf.map_fn(
        draw, tf.concat([seeds, tf.cast(steps, tf.int32)[:, None]], 1),
        fn_output_signature=tf.float32)
    zoom = 1.0 + _MAX_SCALE * draws[:, 0]
    size = tf.constant([self._width, self._height], tf.float32)
    shift = _MAX_SHIFT * size * draws[:, 1:]
    centre = (size - 1.0) / 2.0
    # Output pixel p reads input pixel (p - centre) / zoom + centre - shift.
    offset = centre[None] * (1.0 - 1.0 / zoom[:, None]) - shift
    zeros = tf.zeros_like(zoom)
    transforms = tf.stack([1.0 / zoom, zeros, offset[:, 0], zeros, 1.0 / zoom,
                           offset[:, 1], zeros, zeros], axis=1)
    return tf.raw_ops.ImageProjectiveTransformV3(
        images=images, transforms=transforms,
        output_shape=[self._height, self._width], fill_value=0.0,
        interpolation="BILINEAR", fill_mode="REFLECT")


def make(param: str, height: int, width: int) -> Parameterization:
  """Returns the parameterisation named `param` for [height, width] images.

  Raises:
    ArgumentError: for an unknown name.
  """
  check(param)
  if param == "pixel":
    return Pixel()
  return Fourier(height, width)


def check(param: str) -> None:
  """Raises ArgumentError unless `param` is one of `PARAMS`."""
  errors.check_choice("param", param, PARAMS)

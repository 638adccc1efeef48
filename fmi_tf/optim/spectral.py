"""Spatial parts that live in the frequency domain: a spectrum, or a phase.

`FourierSpace` optimises the whole 2-D spectrum of each channel, scaled by
1/f so that Adam's equal steps per coefficient give natural-image-like, 1/f
images (lucid). `PhaseSpace` optimises the phase only, with the magnitude
fixed to a natural spectrum (MaCo, Fel et al. 2023).
"""

import math

import numpy as np
import tensorflow as tf

_SPECTRUM_SCALE = 4.0


def _frequencies(height: int, width: int) -> np.ndarray:
  """Returns |f| of the rfft2d coefficients of an image, [H, W // 2 + 1]."""
  fy = np.fft.fftfreq(height)[:, None]
  fx = np.fft.rfftfreq(width)[None, :]
  return np.sqrt(fx * fx + fy * fy)


class FourierSpace:
  """A 1/f-scaled 2-D spectrum per channel (real and imaginary parts)."""

  def __init__(self, height: int, width: int):
    """Prepares the spectrum scale of [height, width] images."""
    self._height, self._width = height, width
    frequencies = _frequencies(height, width)
    scale = 1.0 / np.maximum(frequencies, 1.0 / max(height, width))
    scale *= math.sqrt(height * width) / _SPECTRUM_SCALE
    self._scale = tf.constant(scale.astype(np.complex64))

  def to_values(self, parameters):
    spectrum = tf.complex(parameters[..., 0], parameters[..., 1])
    channels = tf.signal.irfft2d(spectrum * self._scale,
                                 fft_length=[self._height, self._width])
    return tf.transpose(channels, [0, 2, 3, 1])

  def from_values(self, values):
    spectrum = tf.signal.rfft2d(tf.transpose(values, [0, 3, 1, 2]))
    spectrum /= self._scale
    return tf.stack([tf.math.real(spectrum), tf.math.imag(spectrum)], -1)


def power_law_magnitude(height: int, width: int, exponent: float = 1.0,
                        std: float = 1.0) -> np.ndarray:
  """A natural-image-like magnitude: 1/f^exponent, no mean, for 3 channels.

  Scaled so that an image of that magnitude and any phase has a standard
  deviation of about `std` per channel (Parseval's theorem).

  Args:
    height: image height.
    width: image width.
    exponent: the power law's exponent (natural images: about 1).
    std: the images' standard deviation per channel.

  Returns:
    [3, H, W // 2 + 1] float32 magnitudes of `tf.signal.rfft2d`.
  """
  frequencies = _frequencies(height, width)
  magnitude = 1.0 / np.maximum(frequencies, 1.0 / max(height, width)
                               ) ** exponent
  magnitude[0, 0] = 0.0
  # rfft2d keeps the columns 0 .. W // 2; the others mirror columns 1 ..
  # (W - 1) // 2, which count twice in the image's energy.
  counts = np.full(magnitude.shape[1], 2.0)
  counts[0] = 1.0
  if width % 2 == 0:
    counts[-1] = 1.0
  energy = np.sum(counts * magnitude ** 2) / (height * width) ** 2
  magnitude *= std / math.sqrt(energy)
  return np.repeat(magnitude[None], 3, axis=0).astype(np.float32)


class PhaseSpace:
  """The phase of each channel's 2-D spectrum; its magnitude is fixed.

  The parameters are [B, 3, H, W // 2 + 1] phases in radians; the values are
  `irfft2d(magnitude * exp(i * phase))`. Optimising only the phase keeps the
  image's power spectrum that of the magnitude given (MaCo: Fel et al.,
  "Unlocking Feature Visualization for Deeper Networks with MAgnitude
  Constrained Optimization", NeurIPS 2023).
  """

  def __init__(self, height: int, width: int, magnitude: np.ndarray):
    """Fixes the magnitude of [height, width] images.

    Args:
      height: image height.
      width: image width.
      magnitude: [3, H, W // 2 + 1] magnitudes of `tf.signal.rfft2d`, e.g.
        `power_law_magnitude` or a dataset's mean spectrum.

    Raises:
      ValueError: if the magnitude's shape does not fit the images.
    """
    expected = (3, height, width // 2 + 1)
    if tuple(magnitude.shape) != expected:
      raise ValueError(f"a magnitude of shape {expected} is needed for "
                       f"{height}x{width} images, not {magnitude.shape}")
    self._height, self._width = height, width
    self._magnitude = tf.constant(magnitude, tf.float32)

  def to_values(self, parameters):
    spectrum = tf.complex(self._magnitude * tf.cos(parameters),
                          self._magnitude * tf.sin(parameters))
    channels = tf.signal.irfft2d(spectrum,
                                 fft_length=[self._height, self._width])
    return tf.transpose(channels, [0, 2, 3, 1])

  def from_values(self, values):
    spectrum = tf.signal.rfft2d(tf.transpose(values, [0, 3, 1, 2]))
    return tf.math.angle(spectrum)

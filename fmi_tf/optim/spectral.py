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

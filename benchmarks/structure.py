"""How intricate an image's local structure is: two measures that can tell.

Gradient-orientation entropy cannot: any texture with edges in many
directions, a simple blob pattern as much as an intricate one, is near 1.
Intricacy is rather how much must be said to describe the image:

* `bits_per_pixel`: the size of the image's 8-bit luminance compressed
  losslessly (zlib, level 9, rows predicted from the row above as PNG's
  "up" filter does), in bits per pixel. A flat image costs almost
  nothing, a smooth gradient or a plain grating little (the prediction and
  the repeats remove them), and structure that changes from place to place
  costs more; independent noise costs the most (about 8 bits per pixel when
  uniform). It is a computable stand-in for Kolmogorov complexity.
* `spectral_entropy`: the entropy of the luminance's power spectrum (mean
  removed, Hann-windowed), as a share of its maximum, the log of the number
  of frequencies: 0 for a single sinusoid, small when a few frequencies
  carry the power (simple periodic structure), 1 for white noise, whose
  power is spread evenly.

Both grow with intricacy and both are raised by pixel noise, so they are
read together with the images (and the dataset crops, which have none of an
inversion's noise).
"""

import math
import zlib

import numpy as np

from fmi_tf.atlas import texture_measures

MEASURES = ("bits_per_pixel", "spectral_entropy")
_FLAT = 1e-12


def bits_per_pixel(rgb: np.ndarray) -> float:
  """Lossless compressed size of the 8-bit luminance, bits per pixel."""
  y = np.clip(np.round(texture_measures.luminance(rgb) * 255.0), 0, 255)
  y = y.astype(np.uint8)
  residual = np.concatenate([y[:1], (y[1:].astype(np.int16) - y[:-1]) % 256])
  data = zlib.compress(residual.astype(np.uint8).tobytes(), 9)
  return 8.0 * len(data) / y.size


def spectral_entropy(rgb: np.ndarray) -> float:
  """Entropy of the luminance's power spectrum over its maximum, in [0, 1]."""
  y = texture_measures.luminance(rgb)
  height, width = y.shape
  y = (y - y.mean()) * np.outer(np.hanning(height), np.hanning(width))
  power = np.abs(np.fft.rfft2(y))**2
  power[0, 0] = 0.0
  total = power.sum()
  if total < _FLAT:
    return 0.0
  p = power[power > 0] / total
  return float(-(p * np.log(p)).sum() / math.log(power.size - 1))


def measure(rgb: np.ndarray) -> dict[str, float]:
  """Both measures of an [H, W, 3] image in [0, 1]."""
  return {"bits_per_pixel": bits_per_pixel(rgb),
          "spectral_entropy": spectral_entropy(rgb)}

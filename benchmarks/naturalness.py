"""How natural an image looks: the share of its power at high frequencies.

  high-frequency share: the fraction of an image's spectral power (luminance,
  mean removed, Hann window) at radial frequencies above half the Nyquist
  frequency (0.25 cycles per pixel).

Natural textures keep little power there (their spectra fall roughly as
1/f^2); checkerboard-like noise puts much of its power there. Lower is more
natural. Used by parameterization.py and peers.py.
"""

import numpy as np


def high_frequency_share(image: np.ndarray) -> float:
  """Fraction of the spectral power above half the Nyquist frequency."""
  luma = image @ np.array([0.299, 0.587, 0.114], np.float32)
  luma = luma - luma.mean()
  window = np.outer(np.hanning(luma.shape[0]), np.hanning(luma.shape[1]))
  power = np.abs(np.fft.fft2(luma * window)) ** 2
  fy = np.fft.fftfreq(luma.shape[0])[:, None]
  fx = np.fft.fftfreq(luma.shape[1])[None, :]
  radius = np.sqrt(fx * fx + fy * fy)
  return float(power[radius > 0.25].sum() / max(power.sum(), 1e-12))

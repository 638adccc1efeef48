"""Which filters of a layer look alike, from their inversions alone.

`texture_statistics` describes an inversion: its log power in 8 octave
bands of spatial frequency, its gradient orientations in 8 bins (both as
shares), and the mean and spread of each colour channel. `nearest` ranks a
layer's filters by the distance between these statistics, standardised over
the layer, so each filter page can list the filters whose pictures are
nearest to its own.
"""

import math

import numpy as np

from fmi_tf.atlas import texture_measures
from fmi_tf.microscope import site_data

_BANDS = 8
_ORIENTATIONS = 8


def texture_statistics(rgb: np.ndarray) -> np.ndarray:
  """Octave-band power, orientation shares and colour moments of an image."""
  y = texture_measures.luminance(rgb)
  y = y - y.mean()
  power = np.abs(np.fft.fft2(y))**2
  fy = np.fft.fftfreq(y.shape[0])[:, None]
  fx = np.fft.fftfreq(y.shape[1])[None, :]
  radius = np.hypot(fy, fx)
  edges = 0.5 * 2.0**-np.arange(_BANDS, -1, -1)
  bands = np.array([power[(radius > lo) & (radius <= hi)].sum()
                    for lo, hi in zip(edges[:-1], edges[1:])])
  bands = np.log1p(bands / max(bands.sum(), 1e-12) * 100.0)
  gy, gx = np.gradient(y)
  magnitude = np.hypot(gx, gy)
  histogram, _ = np.histogram(np.mod(np.arctan2(gy, gx), math.pi),
                              bins=_ORIENTATIONS, range=(0.0, math.pi),
                              weights=magnitude)
  histogram = histogram / max(histogram.sum(), 1e-12)
  colour = rgb.reshape(-1, 3)
  return np.concatenate([bands, histogram, colour.mean(0), colour.std(0)])


def nearest(layer: site_data.Layer, count: int) -> dict[int, list[int]]:
  """Each readable filter's nearest filters of its layer by texture
  statistics (standardised, Euclidean), nearest first."""
  readable = [f for f in layer.filters if f.image is not None]
  if len(readable) < 2:
    return {}
  features = np.stack([texture_statistics(f.image / 255.0)
                       for f in readable])
  features = (features - features.mean(0)) / (features.std(0) + 1e-9)
  distances = np.linalg.norm(features[:, None] - features[None], axis=-1)
  np.fill_diagonal(distances, np.inf)
  order = np.argsort(distances, axis=1, kind="stable")[:, :count]
  return {readable[i].index: [readable[j].index for j in row]
          for i, row in enumerate(order)}

"""How colourful and how intricate a texture primitive is: four numbers.

The paper's depth claim is that low layers give monotonous colour and simple
local structure and higher layers plentiful colour and intricate structure.
These measures put numbers on both halves of it, for an RGB image in [0, 1].
Colour is measured as seen: the eye does not resolve colour at the finest
scale (S-CIELAB, Zhang & Wandell 1996, blurs the chromatic channels for the
same reason), and inverted textures often carry single-pixel green/magenta
fringes on grey, so both colour measures first smooth the image with a
binomial filter of about one pixel (`seen_colour`).

* `colourfulness`: Hasler & Süsstrunk's M (2003), on the 0-255 scale of the
  paper, where 0 is grey, about 15 "slightly", 33 "moderately", 45
  "averagely", 59 "quite", 82 "highly" and 109 "extremely" colourful.
* `distinct_hues`: how many of 12 hue sectors of 30 degrees (centred on red,
  orange, yellow, ... at multiples of 30 degrees) hold at least
  `HUE_MIN_SHARE` of the chromatic pixels, those whose chroma (max - min of
  R, G, B) is at least `CHROMATIC_MIN_CHROMA`. An image with fewer than
  `CHROMATIC_MIN_SHARE` chromatic pixels has 0 hues.
* `orientation_entropy`: the entropy of the gradient orientations of the
  luminance (36 bins over 180 degrees, weighted by gradient magnitude),
  divided by its maximum, log 36: 0 for a single orientation (a grating),
  near 1 when every orientation is as common (noise, intricate structure);
  0 for a flat image. Along a side of one pixel there is no gradient: a
  one-row image has only vertical edges, a 1 x 1 image is flat.
* `dominant_period`: the period, in pixels, of the strongest component of the
  luminance's power spectrum (Hann-windowed, mean removed); 0 for a flat
  image. Small for fine, local structure; large for big motifs.
"""

import math

import numpy as np

MEASURES: tuple[str, ...] = ("colourfulness", "distinct_hues",
                             "orientation_entropy", "dominant_period")

HUE_SECTORS = 12
CHROMATIC_MIN_CHROMA = 0.15
CHROMATIC_MIN_SHARE = 0.01
HUE_MIN_SHARE = 0.05
ORIENTATION_BINS = 36

# Rec. 601 luma weights.
_LUMA = np.array([0.299, 0.587, 0.114])
_FLAT = 1e-8
_BINOMIAL = np.array([1.0, 4.0, 6.0, 4.0, 1.0]) / 16.0


def seen_colour(rgb: np.ndarray) -> np.ndarray:
  """Smooths an RGB image with the binomial filter [1, 4, 6, 4, 1] / 16.

  The filter is close to a Gaussian of one pixel; edges are repeated.
  """
  result = rgb.astype(np.float64)
  for axis in (0, 1):
    padded = np.pad(result, [(2, 2) if a == axis else (0, 0)
                             for a in range(3)], mode="edge")
    length = result.shape[axis]
    result = sum(weight * np.take(padded, range(i, i + length), axis=axis)
                 for i, weight in enumerate(_BINOMIAL))
  return result


def colourfulness(rgb: np.ndarray) -> float:
  """Hasler & Süsstrunk's M of an [H, W, 3] image in [0, 1], as seen."""
  r, g, b = np.moveaxis(255.0 * seen_colour(rgb), -1, 0)
  rg = r - g
  yb = 0.5 * (r + g) - b
  spread = math.hypot(rg.std(), yb.std())
  mean = math.hypot(rg.mean(), yb.mean())
  return float(spread + 0.3 * mean)


def hues(rgb: np.ndarray) -> np.ndarray:
  """Returns the hue, in turns [0, 1), of every pixel of an RGB image."""
  rgb = rgb.astype(np.float64)
  r, g, b = np.moveaxis(rgb, -1, 0)
  # The hue angle of the pixel's projection onto the chromaticity plane.
  angle = np.arctan2(math.sqrt(3) * (g - b), 2 * r - g - b)
  return np.mod(angle / (2 * math.pi), 1.0)


def distinct_hues(rgb: np.ndarray) -> int:
  """The number of hue sectors holding a fair share of chromatic pixels."""
  rgb = seen_colour(rgb).reshape(-1, 3)
  chroma = rgb.max(axis=1) - rgb.min(axis=1)
  chromatic = rgb[chroma >= CHROMATIC_MIN_CHROMA]
  if len(chromatic) < CHROMATIC_MIN_SHARE * len(rgb) or not len(chromatic):
    return 0
  # Shift by half a sector so that sector 0 is centred on pure red.
  sectors = np.floor(np.mod(hues(chromatic) * HUE_SECTORS + 0.5,
                            HUE_SECTORS)).astype(int)
  counts = np.bincount(sectors, minlength=HUE_SECTORS)
  return int(np.sum(counts >= HUE_MIN_SHARE * len(chromatic)))


def luminance(rgb: np.ndarray) -> np.ndarray:
  """Returns the [H, W] Rec. 601 luma of an RGB image."""
  return rgb.astype(np.float64) @ _LUMA


def orientation_entropy(rgb: np.ndarray) -> float:
  """Normalised entropy of the luminance's gradient orientations, in [0, 1]."""
  y = luminance(rgb)
  # No change is seen along a side of one pixel (a 1 x N image).
  gy, gx = (np.gradient(y, axis=axis) if y.shape[axis] > 1
            else np.zeros_like(y) for axis in (0, 1))
  magnitude = np.hypot(gx, gy)
  total = magnitude.sum()
  if total < _FLAT * magnitude.size:
    return 0.0
  orientation = np.mod(np.arctan2(gy, gx), math.pi)
  histogram, _ = np.histogram(orientation, bins=ORIENTATION_BINS,
                              range=(0.0, math.pi), weights=magnitude)
  p = histogram[histogram > 0] / total
  return float(max(0.0, -(p * np.log(p)).sum() / math.log(ORIENTATION_BINS)))


def dominant_period(rgb: np.ndarray) -> float:
  """Period, in pixels, of the strongest non-constant spectral component."""
  y = luminance(rgb)
  height, width = y.shape
  window = np.outer(np.hanning(height), np.hanning(width))
  y = (y - y.mean()) * window
  power = np.abs(np.fft.rfft2(y))**2
  power[0, 0] = 0.0
  if power.max() < _FLAT:
    return 0.0
  row, column = np.unravel_index(np.argmax(power), power.shape)
  fy = np.fft.fftfreq(height)[row]
  fx = np.fft.rfftfreq(width)[column]
  return float(1.0 / math.hypot(fx, fy))


def measure(rgb: np.ndarray) -> dict[str, float]:
  """Returns every measure of `MEASURES` for an [H, W, 3] image in [0, 1]."""
  return {
      "colourfulness": colourfulness(rgb),
      "distinct_hues": distinct_hues(rgb),
      "orientation_entropy": orientation_entropy(rgb),
      "dominant_period": dominant_period(rgb),
  }

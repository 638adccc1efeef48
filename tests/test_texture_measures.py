"""Colourfulness, hues, orientation entropy and period of known images."""

import math

import numpy as np
import pytest

from fmi_tf.atlas import texture_measures


def _flat(colour, shape=(48, 64)):
  return np.broadcast_to(np.asarray(colour, np.float32), shape + (3,)).copy()


def _grating(period_x, period_y=None, shape=(64, 96)):
  """A grey sinusoidal grating with the given periods along x and y."""
  y, x = np.mgrid[:shape[0], :shape[1]].astype(np.float64)
  phase = 2 * math.pi * x / period_x
  if period_y:
    phase += 2 * math.pi * y / period_y
  grey = 0.5 + 0.4 * np.sin(phase)
  return np.repeat(grey[..., None], 3, axis=2)


def _noise(seed=0, shape=(64, 64), colour=False):
  generator = np.random.default_rng(seed)
  if colour:
    return generator.uniform(size=shape + (3,))
  return np.repeat(generator.uniform(size=shape + (1,)), 3, axis=2)


def test_grey_has_no_colour_no_hue_and_no_structure():
  measures = texture_measures.measure(_flat([0.5, 0.5, 0.5]))
  assert measures == {"colourfulness": 0.0, "distinct_hues": 0,
                      "orientation_entropy": 0.0, "dominant_period": 0.0}


def test_a_single_colour_has_one_hue_and_the_formula_s_colourfulness():
  # rg = 0.6 * 255 and yb = (0.5 - 0.2) * 255, no spread: M = 0.3 |mean|.
  expected = 0.3 * math.hypot(0.6 * 255, 0.3 * 255)
  red = _flat([0.8, 0.2, 0.2])
  assert texture_measures.colourfulness(red) == pytest.approx(expected)
  assert texture_measures.distinct_hues(red) == 1


def test_spread_of_colour_adds_to_colourfulness():
  halves = _flat([0.8, 0.2, 0.2])
  halves[:, 32:] = [0.2, 0.2, 0.8]
  assert texture_measures.colourfulness(halves) > (
      texture_measures.colourfulness(_flat([0.8, 0.2, 0.2])))


def test_primaries_and_secondaries_are_six_hues():
  colours = [[1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 1, 1], [0, 0, 1], [1, 0, 1]]
  stripes = np.concatenate([_flat(c, (48, 32)) for c in colours], axis=1)
  assert texture_measures.distinct_hues(stripes) == 6
  assert texture_measures.distinct_hues(stripes[:, :64]) == 2


def test_hues_of_a_few_pixels_do_not_count():
  image = _flat([0.5, 0.5, 0.5], (100, 100))
  image[:4, :10] = [1, 0, 0]  # 0.4 % of the pixels
  image[50:, :] = [0, 0, 1]
  assert texture_measures.distinct_hues(image) == 1


def test_single_pixel_colour_fringes_on_grey_are_not_seen_as_colour():
  fringes = _flat([0.5, 0.5, 0.5], (64, 64))
  fringes[::2, ::2] = [0.3, 0.7, 0.3]
  fringes[1::2, 1::2] = [0.7, 0.3, 0.7]
  patches = fringes.copy()
  patches[:, :32] = [0.3, 0.7, 0.3]
  patches[:, 32:] = [0.7, 0.3, 0.7]
  assert texture_measures.distinct_hues(fringes) == 0
  assert texture_measures.distinct_hues(patches) == 2
  assert texture_measures.colourfulness(fringes) < 0.2 * (
      texture_measures.colourfulness(patches))


@pytest.mark.parametrize("period", [4, 8, 16, 32])
def test_a_vertical_grating_has_its_period_and_one_orientation(period):
  grating = _grating(period)
  assert texture_measures.dominant_period(grating) == pytest.approx(period)
  assert texture_measures.orientation_entropy(grating) < 0.05


def test_an_oblique_grating_has_its_period_and_low_entropy():
  # 4 cycles along x and 4 along y of a 64 x 64 image.
  grating = _grating(16, 16, shape=(64, 64))
  assert texture_measures.dominant_period(grating) == pytest.approx(
      64 / math.hypot(4, 4))
  assert texture_measures.orientation_entropy(grating) < 0.3


def test_noise_has_high_orientation_entropy_and_a_short_period():
  noise = _noise()
  assert texture_measures.orientation_entropy(noise) > 0.95
  assert texture_measures.dominant_period(noise) < 8
  assert texture_measures.distinct_hues(noise) == 0


def test_colour_noise_has_many_hues_and_is_colourful():
  noise = _noise(colour=True, shape=(128, 128))
  smooth = np.repeat(np.repeat(noise[::8, ::8], 8, axis=0), 8, axis=1)
  assert texture_measures.distinct_hues(smooth) >= 10
  assert texture_measures.colourfulness(smooth) > 60

"""The faithfulness benchmark's structure measures order images from flat to
noise."""

import numpy as np
import pytest

from benchmarks import structure


def _images(rng):
  side = 64
  y, x = np.mgrid[:side, :side] / side
  grating = 0.5 + 0.5 * np.sin(2 * np.pi * 8 * x)
  blobs = rng.uniform(size=(8, 8))
  blobs = np.kron(blobs, np.ones((8, 8)))  # coarse patches
  fine = rng.uniform(size=(side, side))
  grey = lambda a: np.repeat(a[..., None], 3, axis=2)
  return {"flat": grey(np.full((side, side), 0.4)), "grating": grey(grating),
          "patches": grey(blobs), "noise": grey(fine)}


def test_bits_per_pixel_grow_from_flat_to_noise(rng):
  values = {n: structure.bits_per_pixel(i) for n, i in _images(rng).items()}
  assert (values["flat"] < values["grating"] < values["patches"]
          < values["noise"])
  assert values["flat"] < 0.1 and values["noise"] > 7.0


def test_spectral_entropy_is_low_for_one_frequency_high_for_noise(rng):
  values = {n: structure.spectral_entropy(i)
            for n, i in _images(rng).items() if n != "flat"}
  assert values["grating"] < 0.35 < values["noise"]
  assert values["grating"] < values["patches"] < values["noise"]
  assert structure.spectral_entropy(_images(rng)["flat"]) == 0.0
  assert values["noise"] == pytest.approx(1.0, abs=0.1)

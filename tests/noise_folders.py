"""Folder datasets of noise pictures, one class a subfolder."""

import os
from typing import Mapping

import numpy as np
from PIL import Image


def noise_classes(root, counts: Mapping[str, int], shape=(30, 36, 3),
                  striped: tuple[str, ...] = ()) -> str:
  """Writes `counts[name]` PNGs of noise into `root/<name>/` and returns
  `root` as a string.

  A class named `dark` is noise in 0-80, every other class in 0-255; the
  rows of a `striped` class are white every fourth row. One generator,
  seeded 0, draws the classes in the order given, so a folder is the same
  bytes on every run.
  """
  rng = np.random.default_rng(0)
  for name, count in counts.items():
    os.makedirs(os.path.join(root, name))
    for i in range(count):
      pixels = rng.uniform(0, 80 if name == "dark" else 255, shape)
      if name in striped:
        pixels[::4] = 255
      Image.fromarray(pixels.astype(np.uint8)).save(
          os.path.join(root, name, f"{i}.png"))
  return str(root)

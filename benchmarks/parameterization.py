r"""Pixel against Fourier parameterisation: gains, naturalness, pictures.

For one layer per block (and block5_conv4), 8 filters spread over the layer
are inverted on the embedded photo with fmi_tf's defaults, once with
`--param=pixel` and once with `--param=fourier`. Per layer and
parameterisation it prints the median and minimum energy-share gain and a
naturalness figure:

  high-frequency share: the fraction of an image's spectral power (luminance,
  mean removed, Hann window) at radial frequencies above half the Nyquist
  frequency (0.25 cycles per pixel).

Natural textures keep little power there (their spectra fall roughly as
1/f^2); the checkerboard-like noise of pixel-parameterised deep inversions
puts much of its power there. The same figure is printed for real textures:
DTD images at the same size. A result closer to DTD's figure looks more like
a texture photograph.

With `--pictures=DIR`, writes DIR/<layer>.png: the pixel results (top row)
above the Fourier results (bottom row) of the same filters.

Usage:
  python benchmarks/parameterization.py --weights=PATH --dtd=DTD10_DIR \
      [--size=128] [--pictures=docs/param]
"""

import dataclasses
import os
import statistics

from absl import app
from absl import flags
import numpy as np

from fmi_tf.inversion import filters
from fmi_tf.io import grid
from fmi_tf.io import images
from fmi_tf.io import outputs
from fmi_tf.nets import feature_model

import machine
import naturalness

_WEIGHTS = flags.DEFINE_string("weights", None, "VGG19 weights (HDF5).",
                               required=True)
_DTD = flags.DEFINE_string("dtd", None, "DTD directory (one folder per "
                           "class).", required=True)
_SIZE = flags.DEFINE_integer("size", 128, "Longer side, pixels.")
_PICTURES = flags.DEFINE_string("pictures", None,
                                "Directory for the side-by-side pictures.")
_LAYERS = flags.DEFINE_list(
    "layers", ["block1_conv1", "block2_conv1", "block3_conv1",
               "block4_conv1", "block5_conv1", "block5_conv4"], "Layers.")
_FILTERS = 8
_DTD_PER_CLASS = 10
_PARAMS = ("pixel", "fourier")


def dtd_share(root: str, size: int) -> tuple[float, float]:
  """Median and 90th percentile high-frequency share of DTD images."""
  shares = []
  for name in sorted(os.listdir(root)):
    folder = os.path.join(root, name)
    if not os.path.isdir(folder):
      continue
    for file in sorted(os.listdir(folder))[:_DTD_PER_CLASS]:
      shares.append(naturalness.high_frequency_share(
          images.load_image(os.path.join(folder, file), size)))
  return statistics.median(shares), float(np.percentile(shares, 90))


def main(argv):
  del argv
  machine.print_header()
  backbone = feature_model.vgg19(_WEIGHTS.value)
  photo = images.load_image(None, _SIZE.value)
  defaults = filters.InversionConfig()
  median, high = dtd_share(_DTD.value, _SIZE.value)
  print(f"{_FILTERS} filters per layer, embedded photo at "
        f"{photo.shape[1]}x{photo.shape[0]} px, precision "
        f"{defaults.precision}")
  print(f"DTD textures: high-frequency share median {median:.4f}, "
        f"90th percentile {high:.4f}")
  print("layer | param | median gain | min gain | high-frequency share "
        "(median) | seconds")
  for layer in _LAYERS.value:
    num_filters = backbone.num_filters(layer)
    ids = [i * num_filters // _FILTERS for i in range(_FILTERS)]
    rows = []
    for param in _PARAMS:
      config = dataclasses.replace(
          defaults,
          optimizer=dataclasses.replace(defaults.optimizer, param=param))
      results = list(filters.FilterInverter(backbone, layer, config).invert(
          photo, ids))
      gains = [r.gain for r in results if r.gain is not None]
      shares = [naturalness.high_frequency_share(r.image) for r in results]
      seconds = sum(r.seconds for r in results)
      print(f"{layer} | {param} | {statistics.median(gains):.2f} | "
            f"{min(gains):.2f} | {statistics.median(shares):.4f} | "
            f"{seconds:.0f}", flush=True)
      rows.append(results)
    if _PICTURES.value:
      pictures = [r.image for row in rows for r in row]
      labels = [f"{param} {r.filter}" for param, row in zip(_PARAMS, rows)
                for r in row]
      sheet = grid.labelled_grid(
          pictures, labels, f"{layer}: pixel (top) and fourier (bottom)",
          columns=_FILTERS)
      os.makedirs(_PICTURES.value, exist_ok=True)
      outputs.write_png(os.path.join(_PICTURES.value, f"{layer}.png"), sheet)


if __name__ == "__main__":
  app.run(main)

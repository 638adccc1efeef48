r"""Pixel against Fourier parameterisation: gains, naturalness, steps, time.

For one layer per block (and block5_conv4), 8 filters spread over the layer
are inverted on the embedded photo with fmi_tf's defaults, once per row of
`ROWS`: `pixel`; `fourier` with the settings it brings
(`fmi_tf.inversion.defaults`, as `--param=fourier` runs it); and
`fourier-bare`, fourier without them and with the early stop of before
(every 10 steps at 3 %), as `--param=fourier` ran before it brought any.
Per layer and row it prints the median and minimum energy-share gain, a
naturalness figure, the mean steps per filter and the CPU seconds of the
inversion (`time.process_time`, compiling included):

  high-frequency share: the fraction of an image's spectral power (luminance,
  mean removed, Hann window) at radial frequencies above half the Nyquist
  frequency (0.25 cycles per pixel), measured on the image rounded to 8 bits
  as its PNG holds it.

Natural textures keep little power there (their spectra fall roughly as
1/f^2); the checkerboard-like noise of pixel-parameterised deep inversions
puts much of its power there. The same figure is printed for real textures:
DTD images at the same size. A result closer to DTD's figure looks more like
a texture photograph.

With `--pictures=DIR`, writes DIR/<layer>.png: one row per row of `ROWS`,
the same filters in every row.

Usage:
  python benchmarks/parameterization.py --weights=PATH --dtd=DTD10_DIR \
      [--size=128] [--layers=block2_conv1,block4_conv1] [--pictures=DIR]
"""

import os
import statistics
import time

from absl import app
from absl import flags
import numpy as np

from fmi_tf.inversion import defaults
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
# (label, keyword settings as fmi_tf.invert takes them).
ROWS = (
    ("pixel", {"param": "pixel"}),
    ("fourier", {"param": "fourier"}),
    ("fourier-bare", {"param": "fourier", "tv_weight": 0.0,
                      "steps_per_call": 10, "tolerance": 0.03}),
)


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
  precision = filters.InversionConfig().precision
  median, high = dtd_share(_DTD.value, _SIZE.value)
  print(f"{_FILTERS} filters per layer, embedded photo at "
        f"{photo.shape[1]}x{photo.shape[0]} px, precision "
        f"{precision}")
  print(f"DTD textures: high-frequency share median {median:.4f}, "
        f"90th percentile {high:.4f}")
  print("layer | row | median gain | min gain | high-frequency share "
        "(median) | mean steps | CPU s")
  for layer in _LAYERS.value:
    num_filters = backbone.num_filters(layer)
    ids = [i * num_filters // _FILTERS for i in range(_FILTERS)]
    rows = []
    for label, settings in ROWS:
      config = defaults.resolve(backbone, **settings).config
      began = time.process_time()
      results = list(filters.FilterInverter(backbone, layer, config).invert(
          photo, ids))
      cpu = time.process_time() - began
      gains = [r.gain for r in results if r.gain is not None]
      shares = [naturalness.high_frequency_share(
          np.round(r.image * 255.0) / 255.0) for r in results]
      steps = statistics.mean(r.steps for r in results)
      print(f"{layer} | {label} | {statistics.median(gains):.2f} | "
            f"{min(gains):.2f} | {statistics.median(shares):.4f} | "
            f"{steps:.1f} | {cpu:.0f}", flush=True)
      rows.append(results)
    if _PICTURES.value:
      pictures = [r.image for row in rows for r in row]
      labels = [f"{label} {r.filter}" for (label, _), row in zip(ROWS, rows)
                for r in row]
      sheet = grid.labelled_grid(
          pictures, labels, f"{layer}, rows: "
          + ", ".join(label for label, _ in ROWS), columns=_FILTERS)
      os.makedirs(_PICTURES.value, exist_ok=True)
      outputs.write_png(os.path.join(_PICTURES.value, f"{layer}.png"), sheet)


if __name__ == "__main__":
  app.run(main)

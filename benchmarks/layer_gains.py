r"""Energy-share gains of 16 filters of every VGG19 layer, per precision.

For each convolution of blocks 1-5, 16 filters spread evenly over the layer
(0, C/16, 2C/16, ...) are inverted on the embedded photo with fmi_tf's
default settings, once per `--precision` and `--param` given. Per layer it
prints the median and minimum gain of the filter's energy share (inverted
image against the photo), the filters the inversion could not activate, the
filters silent in the photo itself (share 0: their gain is undefined and
left out of the median and minimum), the mean steps a filter took before
early stop and the seconds taken.

Usage:
  python benchmarks/layer_gains.py --weights=PATH [--size=64] \
      [--precision=float32,bfloat16] [--param=pixel]
"""

import dataclasses
import statistics
import time

from absl import app
from absl import flags

from fmi_tf.inversion import defaults
from fmi_tf.inversion import filters
from fmi_tf.io import images
from fmi_tf.nets import feature_model
from fmi_tf.nets import vgg19_names

import machine

_WEIGHTS = flags.DEFINE_string("weights", None, "VGG19 weights (HDF5).",
                               required=True)
_SIZE = flags.DEFINE_integer("size", 64, "Longer side of the photo, pixels.")
_PRECISIONS = flags.DEFINE_list("precision", ["float32", "bfloat16"],
                                "Precisions to compare.")
_PARAMS = flags.DEFINE_list("param", ["pixel"], "Parameterisations.")
_LAYERS = flags.DEFINE_list("layers", list(vgg19_names.CONV_LAYERS),
                            "Layers; default all 16 convolutions.")
_FILTERS = 16


def spread_filters(num_filters: int, count: int = _FILTERS) -> list[int]:
  """Returns `count` filter indices spread evenly over the layer."""
  return [i * num_filters // count for i in range(count)]


def layer_row(backbone, layer: str, photo, config) -> dict:
  """Inverts the layer's 16 filters; returns its row of the table."""
  ids = spread_filters(backbone.num_filters(layer))
  began = time.perf_counter()
  results = list(filters.FilterInverter(backbone, layer, config).invert(
      photo, ids))
  seconds = time.perf_counter() - began
  gains = [r.gain for r in results if r.gain is not None]
  return {"median": statistics.median(gains), "min": min(gains),
          "inactive": sum(not r.activated for r in results),
          "silent": len(results) - len(gains),
          "steps": statistics.mean(r.steps for r in results),
          "seconds": seconds}


def main(argv):
  del argv
  machine.print_header()
  backbone = feature_model.vgg19(_WEIGHTS.value)
  photo = images.load_image(None, _SIZE.value)
  base = defaults.resolve(backbone).config
  columns = [(param, precision) for param in _PARAMS.value
             for precision in _PRECISIONS.value]
  print(f"{_FILTERS} filters per layer, embedded photo at "
        f"{photo.shape[1]}x{photo.shape[0]} px, default settings")
  header = " | ".join(f"{param}/{precision} median, min, inactive, steps, s"
                      for param, precision in columns)
  print(f"layer | silent | {header}")
  for layer in _LAYERS.value:
    cells, silent = [], 0
    for param, precision in columns:
      config = dataclasses.replace(
          base, precision=precision,
          optimizer=dataclasses.replace(base.optimizer, param=param))
      row = layer_row(backbone, layer, photo, config)
      silent = row["silent"]
      cells.append(f"{row['median']:.2f}, {row['min']:.2f}, "
                   f"{row['inactive']}, {row['steps']:.0f}, "
                   f"{row['seconds']:.0f}")
    print(f"{layer} | {silent} | {' | '.join(cells)}", flush=True)


if __name__ == "__main__":
  app.run(main)

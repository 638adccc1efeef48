r"""Chooses the inversion loop's learning rate, schedule and step budget.

Inverts the same 16 filters of `--layer` (block2_conv1; filters 0-15, or
with `--spread` 16 spread over the layer as in layer_gains.py; 96 px,
embedded photo, real weights) under several settings of the compiled loop
and prints, for each,
the median and minimum gain of the filters' energy share and the wall time
(compiling included, once per setting).
The defaults of `fmi_tf.optim.optimization.OptimizerConfig` are the fastest
setting that matches the best median and minimum gain.

Usage:
  python benchmarks/optimizers.py --weights=PATH [--layer=block4_conv1 --spread]
"""

import statistics
import time

from absl import app
from absl import flags

from fmi_tf.inversion import filters
from fmi_tf.optim import optimization
from fmi_tf.io import images
from fmi_tf.nets import feature_model
from fmi_tf.tools import cli

import machine

_WEIGHTS = flags.DEFINE_string("weights", None, "VGG19 weights (HDF5).")
_LAYER = flags.DEFINE_string("layer", "block2_conv1", "Layer to invert.")
_SIZE = flags.DEFINE_integer("size", 96, "Longer side of the image.")
_FILTERS = flags.DEFINE_integer("filters", 16, "Filters 0..N-1.")
_SPREAD = flags.DEFINE_bool(
    "spread", False, "Spread the --filters over the layer (0, C/N, ...).")

# (learning rate, schedule, steps, steps per call, tolerance, patience)
_SETTINGS = [
    (0.02, "constant", 300, 25, 0.0, 1),
    (0.1, "cosine", 100, 25, 0.0, 1),
    (0.1, "cosine", 60, 25, 0.0, 1),
    (0.1, "cosine", 100, 25, 0.003, 1),
    (0.1, "cosine", 100, 10, 0.008, 1),
    (0.1, "cosine", 100, 10, 0.015, 2),
    (0.1, "cosine", 100, 10, 0.03, 3),
]


def main(argv):
  machine.print_header()
  cli.no_stray_arguments(argv)
  backbone = feature_model.vgg19(cli.weights_source(_WEIGHTS.value))
  image = images.load_image(None, _SIZE.value)
  if _SPREAD.value:
    num_filters = backbone.num_filters(_LAYER.value)
    filter_ids = [i * num_filters // _FILTERS.value
                  for i in range(_FILTERS.value)]
  else:
    filter_ids = list(range(_FILTERS.value))
  print(f"{_LAYER.value}, {len(filter_ids)} filters "
        f"({'spread' if _SPREAD.value else 'the first'}), "
        f"{image.shape[:2]} px, "
        "batched (batch = all filters)")
  print(f"{'lr':>5} {'schedule':>9} {'steps':>5} {'call':>4} {'tol':>6} "
        f"{'pat':>3} | "
        f"{'median gain':>11} {'min gain':>8} {'mean steps':>10} "
        f"{'seconds':>8}")
  for rate, schedule, steps, steps_per_call, tolerance, patience in _SETTINGS:
    config = filters.InversionConfig(
        batch_size=len(filter_ids),
        optimizer=optimization.OptimizerConfig(
            steps=steps, learning_rate=rate, schedule=schedule,
            steps_per_call=steps_per_call, tolerance=tolerance,
            patience=patience))
    inverter = filters.FilterInverter(backbone, _LAYER.value, config)
    began = time.perf_counter()
    results = [r.record() for r in inverter.invert(image, filter_ids)]
    seconds = time.perf_counter() - began
    gains = [r["energy_share_gain"] for r in results
             if r["energy_share_gain"] is not None]
    mean_steps = statistics.mean(r["steps"] for r in results)
    print(f"{rate:5.2f} {schedule:>9} {steps:5d} {steps_per_call:4d} "
          f"{tolerance:6.3f} {patience:3d} | "
          f"{statistics.median(gains):11.2f} {min(gains):8.2f} "
          f"{mean_steps:10.0f} {seconds:8.1f}", flush=True)


if __name__ == "__main__":
  app.run(main)

r"""Chooses the inversion loop's optimiser, schedule, step budget and stop rule.

Inverts the same 16 filters (0-15) of block2_conv1 and of block4_conv1
(`--layers`; 128 px, fmi-invert's default size; embedded photo, real
weights, all filters in one batch) under several settings of the compiled
loop, interleaved (every setting runs on every layer before the next
setting), and prints for each setting and layer the median and minimum gain
of the filters' energy share, the mean steps per filter, and the CPU seconds
(`time.process_time`, every thread of this process) and wall seconds,
compiling included (once per setting and layer). The first row is
`OptimizerConfig()`'s defaults; the others change them as their label says.
A summary per layer then gives each setting's figures relative to the
defaults'.

The defaults of `fmi_tf.optim.optimization.OptimizerConfig` are the setting
with the fewest mean steps whose median and minimum gains are within about
2 % of the best on every layer.

Usage:
  python benchmarks/optimizers.py --weights=PATH [--layers=block2_conv1] \
      [--settings=defaults,call5]
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
from fmi_tf.optim import parameterization
from fmi_tf.tools import cli

import machine

_WEIGHTS = flags.DEFINE_string("weights", None, "VGG19 weights (HDF5).")
_LAYERS = flags.DEFINE_list("layers", ["block2_conv1", "block4_conv1"],
                            "Layers to invert.")
_SIZE = flags.DEFINE_integer("size", 128, "Longer side of the image.")
_FILTERS = flags.DEFINE_integer("filters", 16, "Filters 0..N-1.")
_SETTINGS = flags.DEFINE_list(
    "settings", None, "Labels of the settings to run (default: all).")


def decorrelated_pixel(height: int, width: int):
  """Pixels of decorrelated colour: ImageNet's colour correlation, then a
  sigmoid (the colour part of `fourier`, the spatial part of `pixel`)."""
  del height, width
  return parameterization.Parameterization(
      parameterization.PixelSpace(), parameterization.DecorrelatedColor())


# (label, changes to OptimizerConfig()'s defaults). The defaults judge early
# stop every 5 steps at 1.5 %; `call10 tol.03` is the rule they replaced.
SETTINGS = [
    ("defaults", {}),
    ("call10 tol.03", {"steps_per_call": 10, "tolerance": 0.03}),
    ("tol.03", {"tolerance": 0.03}),
    ("pat4", {"patience": 4}),
    ("call10 tol.05 pat2", {"steps_per_call": 10, "tolerance": 0.05,
                            "patience": 2}),
    ("steps80", {"steps": 80}),
    ("lr0.2", {"learning_rate": 0.2}),
    ("lr0.2 warmup10", {"learning_rate": 0.2, "warmup_steps": 10}),
    ("beta2 .99", {"beta_2": 0.99}),
    ("beta1 .8 beta2 .99", {"beta_1": 0.8, "beta_2": 0.99}),
    ("eps1e-12", {"epsilon": 1e-12}),
    ("decorrelated lr0.4", {"param": decorrelated_pixel,
                            "learning_rate": 0.4}),
]


def invert(backbone, layer: str, image, filter_ids, changes) -> dict:
  """One setting on one layer: gains, mean steps, CPU and wall seconds."""
  base = defaults.resolve(backbone).config
  config = dataclasses.replace(
      base, batch_size=len(filter_ids),
      optimizer=dataclasses.replace(base.optimizer, **changes))
  cpu, wall = time.process_time(), time.perf_counter()
  inverter = filters.FilterInverter(backbone, layer, config)
  results = [r.record() for r in inverter.invert(image, filter_ids)]
  gains = [r["energy_share_gain"] for r in results
           if r["energy_share_gain"] is not None]
  return {"median": statistics.median(gains), "min": min(gains),
          "steps": statistics.mean(r["steps"] for r in results),
          "cpu": time.process_time() - cpu,
          "wall": time.perf_counter() - wall}


def _row(label: str, layer: str, figures: dict) -> str:
  return (f"{label:>20} {layer:>13} | {figures['median']:11.2f} "
          f"{figures['min']:8.2f} {figures['steps']:10.1f} "
          f"{figures['cpu']:7.1f} {figures['wall']:7.1f}")


def main(argv):
  machine.print_header()
  cli.no_stray_arguments(argv)
  chosen = [(label, changes) for label, changes in SETTINGS
            if _SETTINGS.value is None or label in _SETTINGS.value]
  backbone = feature_model.vgg19(cli.weights_source(_WEIGHTS.value))
  image = images.load_image(None, _SIZE.value)
  filter_ids = list(range(_FILTERS.value))
  print(f"filters 0-{len(filter_ids) - 1} of {', '.join(_LAYERS.value)}, "
        f"{image.shape[1]}x{image.shape[0]} px, embedded photo, one batch; "
        f"precision {filters.InversionConfig().compute_precision.name}")
  print(f"{'setting':>20} {'layer':>13} | {'median gain':>11} "
        f"{'min gain':>8} {'mean steps':>10} {'CPU s':>7} {'wall s':>7}")
  table = {}
  for label, changes in chosen:
    for layer in _LAYERS.value:
      table[label, layer] = invert(backbone, layer, image, filter_ids,
                                   changes)
      print(_row(label, layer, table[label, layer]), flush=True)
  base = chosen[0][0]
  print(f"\nrelative to {base!r}: median gain, min gain, mean steps, CPU s")
  for layer in _LAYERS.value:
    reference = table[base, layer]
    for label, _ in chosen:
      figures = table[label, layer]
      print(f"{label:>20} {layer:>13} | " + " ".join(
          f"{figures[key] / reference[key] - 1:+7.1%}"
          for key in ("median", "min", "steps", "cpu")))


if __name__ == "__main__":
  app.run(main)

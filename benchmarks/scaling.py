r"""Filters per second on 1 against 2 local replicas.

One run measures two configurations of the same job (the first `--filters`
filters of `--layer` on the embedded photo, fixed steps, no early stop): 1
device, and 2 logical CPU devices under MirroredStrategy.

Each configuration runs in a fresh process; the clock covers the inversion
only (network built and loop traced beforehand on one filter). Efficiency is
speed-up / 2. It then prints the loop's FLOP/s against a matmul's, and the
convolution FLOPs of the whole 5,504-filter atlas at `--size=224`
(docs/results/scaling.md) for the images' real shape: the embedded photo's longer
side is resized to 224, its shorter side to 149 (a square 224 x 224 image,
for comparison, costs 1.5 times as much).

Usage:
  python benchmarks/scaling.py --weights=PATH
  python benchmarks/scaling.py --part=atlas   # the FLOP table only
"""

import json
import os
import subprocess
import sys
import tempfile
import time

from absl import app
from absl import flags
import flops
import machine

_WEIGHTS = flags.DEFINE_string("weights", None, "VGG19 weights (HDF5).")
_LAYER = flags.DEFINE_string("layer", "block2_conv1", "Layer inverted.")
_FILTERS = flags.DEFINE_integer("filters", 16, "Filters inverted.")
_SIZE = flags.DEFINE_integer("size", 64, "Longer side of the photo, px.")
_STEPS = flags.DEFINE_integer("steps", 50, "Steps per filter.")
_ROLE = flags.DEFINE_enum("role", "compare", ["compare", "run"],
                          "compare: everything; run: one process's share.")
_DEVICES = flags.DEFINE_integer("devices", 1, "run: logical CPU devices.")
_STRATEGY = flags.DEFINE_string("strategy", "default", "run: strategy.")
_OUT = flags.DEFINE_string("out", None, "run: JSON file of its timing.")
_PART = flags.DEFINE_enum("part", "all", ["all", "atlas"],
                          "compare: everything, or the atlas FLOPs only.")


def run_share() -> None:
  """Inverts this process's share of the job and records its wall time."""
  # pylint: disable=g-import-not-at-top
  import tensorflow as tf
  cpu = tf.config.list_physical_devices("CPU")[0]
  tf.config.set_logical_device_configuration(
      cpu, [tf.config.LogicalDeviceConfiguration()] * _DEVICES.value)
  from fmi_tf.inversion import distribution
  from fmi_tf.inversion import filters
  from fmi_tf.optim import optimization
  from fmi_tf.io import images
  from fmi_tf.nets import feature_model

  # pylint: enable=g-import-not-at-top
  strategy = distribution.make_strategy(_STRATEGY.value)
  config = filters.InversionConfig(optimizer=optimization.OptimizerConfig(
      steps=_STEPS.value, steps_per_call=_STEPS.value, tolerance=0.0))
  image = images.load_image(None, _SIZE.value)
  mine = list(range(_FILTERS.value))
  inverter = distribution.DistributedInverter(
      feature_model.vgg19(_WEIGHTS.value), _LAYER.value, config, strategy)
  per_replica = distribution.contiguous_slices(mine, len(inverter.devices))
  list(inverter.invert(image, [s[0] for s in per_replica]))  # trace
  began = time.perf_counter()
  list(inverter.invert(image, mine))
  with open(_OUT.value, "w") as f:
    json.dump({"seconds": time.perf_counter() - began, "filters": len(mine),
               "shape": list(image.shape[:2])}, f)


def _launch(out: str, devices: int, strategy: str):
  return subprocess.Popen([
      sys.executable, __file__, "--role=run", f"--weights={_WEIGHTS.value}",
      f"--layer={_LAYER.value}", f"--filters={_FILTERS.value}",
      f"--size={_SIZE.value}", f"--steps={_STEPS.value}",
      f"--devices={devices}", f"--strategy={strategy}", f"--out={out}"],
                          stderr=subprocess.DEVNULL)


def _rate(tmp: str, name: str, devices: int,
          strategy: str) -> tuple[float, dict]:
  """Filters/s of one configuration, run in its own process."""
  out = os.path.join(tmp, f"{name}.json")
  if _launch(out, devices, strategy).wait() != 0:
    raise RuntimeError(f"{name} failed")
  with open(out) as f:
    record = json.load(f)
  return record["filters"] / record["seconds"], record


def compare() -> None:
  with tempfile.TemporaryDirectory() as tmp:
    one_device, record = _rate(tmp, "one_device", 1, "default")
    two_devices, _ = _rate(tmp, "two_devices", 2, "mirrored")
  print(f"{_FILTERS.value} filters of {_LAYER.value}, {_STEPS.value} steps, "
        f"{record['shape'][1]}x{record['shape'][0]} px, {os.cpu_count()} cores")
  print(f"{'':28} {'filters/s':>9} {'speed-up':>8} {'efficiency':>10}")
  for name, base, rate in [("1 device", one_device, one_device),
                           ("2 logical devices (mirrored)", one_device,
                            two_devices)]:
    replicas = 2 if rate is not base else 1
    print(f"{name:28} {rate:9.3f} {rate / base:8.2f} "
          f"{rate / base / replicas:10.2f}")
  height, width = record["shape"]
  loop = flops.conv_flops_per_step(_LAYER.value, height, width) * _STEPS.value
  loop_rate, matmul = loop * one_device, flops.matmul_flops_per_second()
  print(f"loop: {loop_rate / 1e9:.1f} GFLOP/s, 2048^2 matmul: "
        f"{matmul / 1e9:.1f} GFLOP/s, ratio {loop_rate / matmul:.2f}")


def atlas_flops() -> None:
  """Prints the convolution FLOPs of the whole atlas at --size=224."""
  # pylint: disable=g-import-not-at-top
  from fmi_tf.io import images
  from fmi_tf.nets import vgg19_names
  # pylint: enable=g-import-not-at-top
  height, width = images.load_image(None, 224).shape[:2]
  total = square = 0.0
  for name in vgg19_names.CONV_LAYERS:
    per_step = flops.conv_flops_per_step(name, height, width)
    count = flops.VGG19_WIDTHS[int(name[5])]
    total += per_step * count * 100
    square += flops.conv_flops_per_step(name, 224, 224) * count * 100
    print(f"  {name}: {per_step / 1e9:7.2f} GFLOP/step x {count} filters")
  print(f"whole atlas at {width}x{height} px (the embedded photo at "
        f"--size=224), 100 steps: {total / 1e15:.2f} PFLOP "
        f"(224x224: {square / 1e15:.2f} PFLOP)")


def main(argv):
  del argv
  machine.print_header()
  if _ROLE.value == "run":
    run_share()
    return
  if _PART.value == "all":
    compare()
  atlas_flops()


if __name__ == "__main__":
  app.run(main)

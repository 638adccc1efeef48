r"""fmi_tf's inversion against the usual tutorial loop, in one run.

Both invert the same 16 filters of block2_conv1 on the embedded photo at
96 px with the same modified code (transfer mode) and the same initial image:

* tutorial: one filter at a time; a `tf.function` step called from Python
  every step; `keras.optimizers.Adam(0.02)` on a [0, 1] image, clipped; 300
  steps.
* fmi_tf: `fmi-invert` with its default settings (all 16 filters in one
  batch, many steps per compiled call, early stop), once with
  `--precision=float32` and once with `--precision=bfloat16`.

Each runs as a whole process, timed from launch to exit; each is run
`--repeats` times, interleaved, and its median time is reported (on a shared
2-core machine one process of a few seconds can run 30 % slower than the
next). Quality is the median and minimum gain of the filters' energy share.
The start-up and exit of each kind of process (`startup.py`: a plain
TensorFlow script, and fmi_tf's tools) are timed in the same rounds, and the
speed-up is also given net of them, for the work alone.

Then the loop's throughput: 16 filters at `--flops_size` px (224 by default)
run 25 steps per precision after a warm-up call, in this process; its
convolution FLOP/s (forward and input gradient) is printed beside a 2048^2
matmul's in the same precision (the machine's peak for that precision),
measured in the same run. `--role=throughput` runs this part alone.

Usage:
  python benchmarks/inversion.py --weights=PATH [--role=throughput]
"""

import json
import os
import statistics
import sys
import tempfile

from absl import app
from absl import flags
import flops
import machine
import processes

_WEIGHTS = flags.DEFINE_string("weights", None, "VGG19 weights (HDF5).")
_ROLE = flags.DEFINE_enum(
    "role", "compare", ["compare", "tutorial", "throughput"],
    "compare: run both, then the throughput; tutorial: the baseline only; "
    "throughput: the loop's FLOP/s alone.")
_OUT = flags.DEFINE_string("out", None, "tutorial: where to write records.")
_FLOPS_SIZE = flags.DEFINE_integer("flops_size", 224,
                                   "Image side of the throughput test.")
_REPEATS = flags.DEFINE_integer("repeats", 3, "Timed runs of each loop.",
                                lower_bound=1)
_PRECISIONS = ("float32", "bfloat16")
_LAYER = "block2_conv1"
_SIZE = 96
_FILTERS = 16
_TUTORIAL_STEPS = 300
_TUTORIAL_RATE = 0.02


def tutorial(weights: str, out_dir: str) -> None:
  """The baseline: one filter at a time, one Python call per step."""
  # pylint: disable=g-import-not-at-top
  import keras
  import tensorflow as tf

  from fmi_tf import texture
  from fmi_tf.inversion import filter_result
  from fmi_tf.inversion import filters
  from fmi_tf.inversion import modified_code
  from fmi_tf.io import images
  from fmi_tf.nets import feature_model

  # pylint: enable=g-import-not-at-top

  backbone = feature_model.vgg19(weights)
  features = feature_model.feature_model(backbone, [_LAYER])
  image = images.load_image(None, _SIZE)
  code = features(image[None])[_LAYER]
  before = texture.energy_shares(code)[0].numpy()
  objective = modified_code.filter_code_distance(_LAYER)
  config = filters.InversionConfig()
  for k in range(_FILTERS):
    target = {_LAYER: modified_code.filter_target(code, [k])}
    x = tf.Variable(filters.initial_images(image, [k], config))
    optimizer = keras.optimizers.Adam(_TUTORIAL_RATE)

    @tf.function
    def step(x=x, optimizer=optimizer, target=target):
      with tf.GradientTape() as tape:
        loss = tf.reduce_sum(objective(features(x), x, target))
      optimizer.apply_gradients([(tape.gradient(loss, x), x)])
      x.assign(tf.clip_by_value(x, 0.0, 1.0))
      return loss

    for _ in range(_TUTORIAL_STEPS):
      step()
    after = texture.energy_shares(features(x)[_LAYER])[0, k].numpy()
    with open(os.path.join(out_dir, f"{_LAYER}_{k:04d}.json"), "w") as f:
      gain = (None if before[k] < filter_result.SILENT_SHARE
              else float(after / before[k]))
      json.dump({"energy_share_gain": gain,
                 "energy_share_before": float(before[k]),
                 "steps": _TUTORIAL_STEPS}, f)


def _gains(out_dir: str) -> tuple[list[float], list[int]]:
  """Gains of the filters that fire in the photo, and every filter's steps.

  A filter silent in the photo (`filter_result.SILENT_SHARE`) has no gain.
  """
  records = []
  for k in range(_FILTERS):
    with open(os.path.join(out_dir, f"{_LAYER}_{k:04d}.json")) as f:
      records.append(json.load(f))
  return ([r["energy_share_gain"] for r in records
           if r["energy_share_gain"] is not None],
          [r["steps"] for r in records])


def _loop_flops_per_second(weights: str, precision: str, size: int) -> float:
  """Convolution FLOP/s of the compiled loop on 16 filters at size x size."""
  return (flops.conv_flops_per_step(_LAYER, size, size) * _FILTERS
          / flops.loop_seconds_per_step(weights, _LAYER, precision, size,
                                        _FILTERS))


def _run(name: str, weights: str, out_dir: str) -> float:
  """Runs one loop as a whole process, writing records; returns seconds."""
  if name == "tutorial":
    return processes.seconds([
        sys.executable, __file__, "--role=tutorial", f"--weights={weights}",
        f"--out={out_dir}"])
  return processes.seconds([
      "fmi-invert", f"--layer={_LAYER}", f"--filters=0:{_FILTERS}",
      f"--size={_SIZE}", f"--weights={weights}", f"--out={out_dir}",
      f"--precision={name}"])


def compare(weights: str) -> None:
  """Times the tutorial and fmi_tf in both precisions; prints the table."""
  names = ("tutorial", *_PRECISIONS)
  times = {name: [] for name in names}
  starts = {name: [] for name in processes.STARTUPS}
  runs = {}
  for _ in range(_REPEATS.value):
    for name in names:
      with tempfile.TemporaryDirectory() as out_dir:
        times[name].append(_run(name, weights, out_dir))
        runs[name] = (statistics.median(times[name]), *_gains(out_dir))
    for name, process in processes.STARTUPS.items():
      starts[name].append(processes.seconds(process))
  plain = statistics.median(starts["plain"])
  tools = statistics.median(starts["fmi_tf.tools"])
  from fmi_tf.io import images  # pylint: disable=g-import-not-at-top
  shape = images.load_image(None, _SIZE).shape[:2]
  print(f"{_FILTERS} filters of {_LAYER} at {shape[1]}x{shape[0]} px, "
        f"whole processes, median of {_REPEATS.value} runs")
  print(f"{'':10} {'seconds':>8} {'median gain':>11} {'min gain':>8} "
        f"{'steps/filter':>12} {'speed-up':>8} {'net':>6}")
  base = runs["tutorial"][0]
  for name, (seconds, gains, steps) in runs.items():
    start = plain if name == "tutorial" else tools
    print(f"{name:10} {seconds:8.1f} {statistics.median(gains):11.2f} "
          f"{min(gains):8.2f} {statistics.mean(steps):12.0f} "
          f"{base / seconds:8.2f} {(base - plain) / (seconds - start):6.2f}")
  print(f"net: without start-up and exit, {plain:.1f} s for the tutorial's "
        f"plain script, {tools:.1f} s for a tool (startup.py)")
  _, gains_32, _ = runs["float32"]
  _, gains_16, _ = runs["bfloat16"]
  print("bfloat16 against float32: median "
        f"{statistics.median(gains_16) / statistics.median(gains_32) - 1:+.1%}"
        f", min {min(gains_16) / min(gains_32) - 1:+.1%}")
  throughput(weights)


def throughput(weights: str) -> None:
  """Prints each precision's loop FLOP/s against a matmul in its precision."""
  size = _FLOPS_SIZE.value
  print(f"loop throughput, {_FILTERS} filters of {_LAYER} at {size}x{size} "
        "px (convolutions fwd + input grad), against a 2048^2 matmul in the "
        "same precision, same run:")
  for precision in _PRECISIONS:
    rate = _loop_flops_per_second(weights, precision, size)
    matmul = flops.matmul_flops_per_second(dtype=precision)
    print(f"  {precision:9} {rate / 1e9:7.1f} GFLOP/s, {rate / matmul:.2f} "
          f"of the {precision} matmul ({matmul / 1e9:.1f} GFLOP/s)",
          flush=True)


def main(argv):
  del argv
  machine.print_header()
  if _ROLE.value == "tutorial":
    tutorial(_WEIGHTS.value, _OUT.value)
  elif _ROLE.value == "throughput":
    throughput(_WEIGHTS.value)
  else:
    compare(_WEIGHTS.value)


if __name__ == "__main__":
  app.run(main)

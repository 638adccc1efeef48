r"""fmi_tf's inversion against the usual tutorial loop, in one run.

Both invert the same 16 filters of block2_conv1 on the embedded photo at
96 px with the same modified code (transfer mode) and the same initial image:

* tutorial: one filter at a time; a `tf.function` step called from Python
  every step; `keras.optimizers.Adam(0.02)` on a [0, 1] image, clipped; 300
  steps.
* fmi_tf: `fmi-invert` with its default settings (all 16 filters in one
  batch, many steps per compiled call, early stop).

Each runs as a whole process, timed from launch to exit. Quality is the
median and minimum gain of the filters' energy share. The loop's achieved
FLOP/s is printed beside a large matmul's, measured in the same run.

Usage:
  python benchmarks/filters.py --weights=PATH
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from absl import app
from absl import flags
import flops

_WEIGHTS = flags.DEFINE_string("weights", None, "VGG19 weights (HDF5).")
_ROLE = flags.DEFINE_enum("role", "compare", ["compare", "tutorial"],
                          "compare: run both; tutorial: the baseline only.")
_OUT = flags.DEFINE_string("out", None, "tutorial: where to write records.")
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
  from fmi_tf.inversion import filters
  from fmi_tf.inversion import modified_code
  from fmi_tf.inversion import objectives
  from fmi_tf.io import images
  from fmi_tf.nets import feature_model

  # pylint: enable=g-import-not-at-top

  backbone = feature_model.vgg19(weights)
  features = feature_model.feature_model(backbone, [_LAYER])
  image = images.load_image(None, _SIZE)
  code = features(image[None])[_LAYER]
  before = texture.energy_shares(code)[0].numpy()
  objective = objectives.filter_code_distance(_LAYER)
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
      json.dump({"energy_share_gain": float(after / max(before[k], 1e-12)),
                 "steps": _TUTORIAL_STEPS}, f)


def _timed(argv: list[str]) -> float:
  began = time.perf_counter()
  subprocess.run(argv, check=True, stderr=subprocess.DEVNULL)
  return time.perf_counter() - began


def _gains(out_dir: str) -> list[float]:
  records = []
  for k in range(_FILTERS):
    with open(os.path.join(out_dir, f"{_LAYER}_{k:04d}.json")) as f:
      records.append(json.load(f))
  return [r["energy_share_gain"] for r in records], [r["steps"] for r in records]


def compare(weights: str) -> None:
  with tempfile.TemporaryDirectory() as ours, \
      tempfile.TemporaryDirectory() as theirs:
    tutorial_seconds = _timed([sys.executable, __file__, "--role=tutorial",
                               f"--weights={weights}", f"--out={theirs}"])
    ours_seconds = _timed([
        "fmi-invert", f"--layer={_LAYER}", f"--filters=0:{_FILTERS}",
        f"--size={_SIZE}", f"--weights={weights}", f"--out={ours}"])
    tutorial_gains, _ = _gains(theirs)
    our_gains, our_steps = _gains(ours)
  from fmi_tf.io import images  # pylint: disable=g-import-not-at-top
  shape = images.load_image(None, _SIZE).shape[:2]
  loop_flops = flops.conv_flops_per_step(_LAYER, *shape) * sum(our_steps)
  matmul = flops.matmul_flops_per_second()
  print(f"{_FILTERS} filters of {_LAYER} at {shape[1]}x{shape[0]} px, "
        "whole processes")
  print(f"{'':10} {'seconds':>8} {'median gain':>11} {'min gain':>8} "
        f"{'steps/filter':>12}")
  print(f"{'tutorial':10} {tutorial_seconds:8.1f} "
        f"{statistics.median(tutorial_gains):11.2f} "
        f"{min(tutorial_gains):8.2f} {_TUTORIAL_STEPS:12d}")
  print(f"{'fmi_tf':10} {ours_seconds:8.1f} "
        f"{statistics.median(our_gains):11.2f} {min(our_gains):8.2f} "
        f"{statistics.mean(our_steps):12.0f}")
  print(f"time ratio fmi_tf/tutorial: {ours_seconds / tutorial_seconds:.3f} "
        "(target <= 0.333)")
  print(f"quality: median {statistics.median(our_gains):.2f} vs "
        f"{statistics.median(tutorial_gains):.2f}, min {min(our_gains):.2f} "
        f"vs {min(tutorial_gains):.2f} (target: both >=)")
  print(f"loop FLOP/s (whole process, convolutions fwd+input grad): "
        f"{loop_flops / ours_seconds / 1e9:.1f} GFLOP/s; 2048^2 matmul: "
        f"{matmul / 1e9:.1f} GFLOP/s; ratio {loop_flops / ours_seconds / matmul:.2f}")


def main(argv):
  del argv
  if _ROLE.value == "tutorial":
    tutorial(_WEIGHTS.value, _OUT.value)
  else:
    compare(_WEIGHTS.value)


if __name__ == "__main__":
  app.run(main)

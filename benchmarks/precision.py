r"""Which precision is faster on this CPU, and whether `auto` picks it.

For each kind of CPU that can be had on this machine, the inversion loop (16
filters of `--layer` at `--size` px, forward and input gradient, Adam) runs
in float32 and in bfloat16, each in its own process, interleaved over
`--repeats` rounds; the median seconds per step are compared side by side.

* native: the CPU as it is (on an AVX512_BF16 or AMX CPU, bfloat16 runs on
  its bfloat16 units);
* avx2: this CPU made to compute as an AVX2-only one does. float32 runs in
  oneDNN capped at AVX2 (`ONEDNN_MAX_CPU_ISA=AVX2`). bfloat16 runs with
  oneDNN off (`TF_ENABLE_ONEDNN_OPTS=0`): on a CPU without AVX512, TensorFlow
  leaves bfloat16 convolutions to Eigen, which emulates them; and oneDNN
  capped at AVX2 refuses bfloat16 convolutions outright. This models such a
  CPU; it is not one (its caches and clocks are this CPU's).

Each process also measures a 2048^2 matmul in its precision, so the loop's
FLOP/s are given against the same machine's matmul peak in the same
precision. The last column says whether `--precision=auto` chose the faster
of the two.

Usage:
  python benchmarks/precision.py --weights=PATH [--size=128] [--repeats=3]
"""

import json
import os
import statistics
import subprocess
import sys

from absl import app
from absl import flags
import flops
import machine

_WEIGHTS = flags.DEFINE_string("weights", None, "VGG19 weights (HDF5).",
                               required=True)
_LAYER = flags.DEFINE_string("layer", "block2_conv1", "Layer inverted.")
_SIZE = flags.DEFINE_integer("size", 128, "Image side, pixels.")
_REPEATS = flags.DEFINE_integer("repeats", 3, "Rounds of both precisions.",
                                lower_bound=1)
_ROLE = flags.DEFINE_enum("role", "compare", ["compare", "measure"],
                          "compare: the table; measure: one process's row.")
_PRECISION = flags.DEFINE_string("precision", "float32",
                                 "measure: the precision timed.")
_FILTERS = 16
# The environment of each (kind of CPU, precision).
_CPU_KINDS = {
    "native": {"float32": {}, "bfloat16": {}},
    "avx2": {"float32": {"ONEDNN_MAX_CPU_ISA": "AVX2"},
             "bfloat16": {"TF_ENABLE_ONEDNN_OPTS": "0"}},
}
_PRECISIONS = ("float32", "bfloat16")


def measure() -> dict:
  """One process's figures: seconds per step, FLOP/s, the matmul's, auto."""
  from fmi_tf.nets import precision  # pylint: disable=g-import-not-at-top
  size, layer = _SIZE.value, _LAYER.value
  seconds = flops.loop_seconds_per_step(_WEIGHTS.value, layer,
                                        _PRECISION.value, size, _FILTERS)
  rate = flops.conv_flops_per_step(layer, size, size) * _FILTERS / seconds
  return {"seconds_per_step": seconds, "flops": rate,
          "matmul_flops": flops.matmul_flops_per_second(
              dtype=_PRECISION.value),
          "auto": precision.resolve("auto").name}


def _measured(kind: str, name: str) -> dict:
  process = subprocess.run(
      [sys.executable, __file__, "--role=measure", f"--precision={name}",
       f"--weights={_WEIGHTS.value}", f"--layer={_LAYER.value}",
       f"--size={_SIZE.value}"],
      env={**os.environ, **_CPU_KINDS[kind][name]}, capture_output=True, text=True,
      check=True)
  return json.loads(process.stdout.strip().splitlines()[-1])


def compare() -> None:
  """Prints, per kind of CPU, both precisions side by side and auto's pick."""
  rows = {(kind, name): [] for kind in _CPU_KINDS for name in _PRECISIONS}
  for _ in range(_REPEATS.value):
    for kind in _CPU_KINDS:
      for name in _PRECISIONS:
        rows[kind, name].append(_measured(kind, name))
  print(f"{_FILTERS} filters of {_LAYER.value} at {_SIZE.value}x{_SIZE.value}"
        f" px, median of {_REPEATS.value} interleaved processes")
  print(f"{'cpu':7} {'precision':9} {'ms/step':>8} {'GFLOP/s':>8} "
        f"{'matmul GFLOP/s':>14} {'of matmul':>9}")
  for (kind, name), runs in rows.items():
    seconds = statistics.median(r["seconds_per_step"] for r in runs)
    rate = statistics.median(r["flops"] for r in runs)
    matmul = statistics.median(r["matmul_flops"] for r in runs)
    print(f"{kind:7} {name:9} {seconds * 1e3:8.1f} {rate / 1e9:8.1f} "
          f"{matmul / 1e9:14.1f} {rate / matmul:9.2f}")
  for kind in _CPU_KINDS:
    step = {name: statistics.median(r["seconds_per_step"]
                                    for r in rows[kind, name])
            for name in _PRECISIONS}
    faster = min(step, key=step.get)
    auto = rows[kind, "float32"][0]["auto"]  # under float32's environment
    print(f"{kind}: bfloat16 takes {step['bfloat16'] / step['float32']:.2f}x "
          f"float32's time per step; auto picks {auto}, "
          f"{'the faster' if auto == faster else 'NOT the faster'}")


def main(argv):
  del argv
  machine.print_header()
  if _ROLE.value == "measure":
    print(json.dumps(measure()))
  else:
    compare()


if __name__ == "__main__":
  app.run(main)

"""The machine a benchmark runs on: the first line of every benchmark's output.

Times depend on the CPU (bfloat16 is fast only where the CPU has bfloat16
units) and on what else runs, so each benchmark prints the CPU's model, its
cores, its widest vector instructions and the load average before its
figures, and the docs quote that line beside them.
"""

import os

from fmi_tf.nets import precision

# The widest vector instructions that matter here, widest first, as
# /proc/cpuinfo spells them and as the docs name them.
_VECTOR_TIERS = (("amx_bf16", "AMX-BF16"), ("avx512_bf16", "AVX512_BF16"),
                 ("avx512f", "AVX512F"), ("avx2", "AVX2"))
_CPUINFO = "/proc/cpuinfo"


def cpu_model(cpuinfo: str = _CPUINFO) -> str:
  """The first `model name` of `cpuinfo`, or "unknown CPU"."""
  try:
    with open(cpuinfo, encoding="utf8", errors="replace") as f:
      for line in f:
        key, _, value = line.partition(":")
        if key.strip() == "model name":
          return value.strip()
  except OSError:
    pass
  return "unknown CPU"


def vector_tier(flags: frozenset[str]) -> str:
  """The widest of AMX-BF16, AVX512_BF16, AVX512F, AVX2 in `flags`."""
  for flag, name in _VECTOR_TIERS:
    if flag in flags:
      return name
  return "no AVX2"


def describe() -> str:
  """`cpu: <model>, <n> cores, <widest vector ISA>; load <1-min average>`."""
  cores = len(os.sched_getaffinity(0))
  load = os.getloadavg()[0]
  return (f"cpu: {cpu_model()}, {cores} cores, "
          f"{vector_tier(precision.cpu_flags())}; load {load:.1f}")


def print_header() -> None:
  """Prints `describe()`: call it first in a benchmark's main."""
  print(describe(), flush=True)

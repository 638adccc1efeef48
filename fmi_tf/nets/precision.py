"""The precision a network computes in, chosen to fit the machine.

`bfloat16` computes the convolutions and poolings in bfloat16 (mixed
precision: weights, image, loss and optimiser state stay float32). Its gains
match float32's, and where the hardware has bfloat16 arithmetic (a CPU with
AVX512_BF16 or AMX-BF16, a GPU of compute capability 8.0 or more) it is up to
about twice as fast. Elsewhere (an AVX2-only CPU, an older GPU) bfloat16 is
emulated and several times slower than float32.

`auto`, the default, therefore picks bfloat16 only where the device that
runs the network has bfloat16 arithmetic: the first visible GPU's compute
capability, else the CPU's flags in `/proc/cpuinfo`, read with oneDNN's own
limits (`ONEDNN_MAX_CPU_ISA` below AVX512_CORE_BF16, or oneDNN turned off
by `TF_ENABLE_ONEDNN_OPTS=0`, leave bfloat16 emulated). The choice and its
reason go into every record of a run (the tools also log them).

Examples:
  >>> choice = precision.resolve("auto")
  >>> choice.name, choice.reason  # doctest: +SKIP
  ('float32', 'auto: the CPU has no bfloat16 arithmetic (AVX512_BF16 or AMX-BF16)')
"""

import dataclasses
import functools
import os
from typing import Mapping, Optional

import tensorflow as tf

from fmi_tf import errors

AUTO = "auto"
FLOAT32 = "float32"
BFLOAT16 = "bfloat16"
PRECISIONS = (AUTO, FLOAT32, BFLOAT16)
COMPUTE_PRECISIONS = (FLOAT32, BFLOAT16)

# CPU flags (as /proc/cpuinfo spells them) of native bfloat16 arithmetic.
BFLOAT16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")
# oneDNN ISA caps under which it emulates bfloat16 (its ONEDNN_MAX_CPU_ISA).
_ISAS_WITHOUT_BFLOAT16 = frozenset({
    "SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX2_VNNI_2", "AVX512_CORE",
    "AVX512_CORE_VNNI"})
# oneDNN ISA caps under which it computes no bfloat16 at all: on a CPU with
# AVX-512, where TensorFlow hands bfloat16 convolutions to oneDNN, these
# fail (oneDNN emulates bfloat16 from AVX512_CORE up).
_ISAS_REFUSING_BFLOAT16 = frozenset({"SSE41", "AVX", "AVX2", "AVX2_VNNI",
                                     "AVX2_VNNI_2"})
_BFLOAT16_GPU_CAPABILITY = (8, 0)
_CPUINFO = "/proc/cpuinfo"


@dataclasses.dataclass(frozen=True)
class Choice:
  """A compute precision and why it was chosen.

  Attributes:
    name: `"float32"` or `"bfloat16"`.
    reason: one line for logs and records.
  """
  name: str
  reason: str


def check(precision: str) -> None:
  """Raises ArgumentError unless `precision` is one of `PRECISIONS`."""
  errors.check_choice("precision", precision, PRECISIONS)


def cpu_flags(cpuinfo: str = _CPUINFO) -> frozenset[str]:
  """The CPU's feature flags from the first `flags` line of `cpuinfo`.

  Returns an empty set where the file is missing (not Linux).
  """
  try:
    with open(cpuinfo, encoding="utf8", errors="replace") as f:
      for line in f:
        key, _, value = line.partition(":")
        if key.strip() == "flags":
          return frozenset(value.split())
  except OSError:
    pass
  return frozenset()


def onednn_isa_cap(environ: Mapping[str, str]) -> Optional[str]:
  """oneDNN's ISA cap in `environ` (`ONEDNN_MAX_CPU_ISA`, upper case; "" for
  none), or None when oneDNN is off (`TF_ENABLE_ONEDNN_OPTS=0`)."""
  if environ.get("TF_ENABLE_ONEDNN_OPTS", "").strip().lower() in (
      "0", "false"):
    return None
  return environ.get("ONEDNN_MAX_CPU_ISA", "").strip().upper()


def cpu_choice(flags: frozenset[str], environ: Mapping[str, str]) -> Choice:
  """What `auto` picks on a CPU with `flags`, under oneDNN's `environ`.

  Args:
    flags: the CPU's feature flags (`cpu_flags()`).
    environ: the environment oneDNN reads (`TF_ENABLE_ONEDNN_OPTS`,
      `ONEDNN_MAX_CPU_ISA`).
  """
  isa = onednn_isa_cap(environ)
  if isa is None:
    return Choice(FLOAT32, "auto: oneDNN is off (TF_ENABLE_ONEDNN_OPTS=0), "
                  "so bfloat16 would be emulated")
  if isa in _ISAS_WITHOUT_BFLOAT16:
    return Choice(FLOAT32, f"auto: ONEDNN_MAX_CPU_ISA={isa} leaves bfloat16 "
                  "emulated")
  native = [flag for flag in BFLOAT16_CPU_FLAGS if flag in flags]
  if native:
    return Choice(BFLOAT16, f"auto: the CPU has {native[0].upper()}")
  return Choice(FLOAT32, "auto: the CPU has no bfloat16 arithmetic "
                "(AVX512_BF16 or AMX-BF16)")


def cpu_refusal(flags: frozenset[str],
                environ: Mapping[str, str]) -> Optional[str]:
  """Why bfloat16 cannot run on a CPU with `flags` under oneDNN's `environ`,
  or None where it can (natively or emulated).

  Args:
    flags: the CPU's feature flags (`cpu_flags()`).
    environ: the environment oneDNN reads (`TF_ENABLE_ONEDNN_OPTS`,
      `ONEDNN_MAX_CPU_ISA`).
  """
  isa = onednn_isa_cap(environ)
  if isa in _ISAS_REFUSING_BFLOAT16 and "avx512f" in flags:
    return (f"bfloat16 cannot run here: ONEDNN_MAX_CPU_ISA={isa} leaves "
            "oneDNN no bfloat16 convolutions on this AVX-512 CPU; use "
            "precision float32 or auto, or lift the cap")
  return None


def gpu_choice(capability: tuple[int, int]) -> Choice:
  """What `auto` picks on a GPU of compute `capability` (major, minor)."""
  major, minor = capability
  if tuple(capability) >= _BFLOAT16_GPU_CAPABILITY:
    return Choice(BFLOAT16, f"auto: the GPU (compute capability "
                  f"{major}.{minor}) has bfloat16 units")
  return Choice(FLOAT32, f"auto: the GPU (compute capability {major}.{minor})"
                " has no bfloat16 units")


def _first_gpu_capability() -> Optional[tuple[int, int]]:
  gpus = tf.config.list_physical_devices("GPU")
  if not gpus:
    return None
  details = tf.config.experimental.get_device_details(gpus[0])
  return tuple(details.get("compute_capability", (0, 0)))


@functools.cache
def _auto() -> Choice:
  capability = _first_gpu_capability()
  if capability is not None:
    return gpu_choice(capability)
  return cpu_choice(cpu_flags(), os.environ)


def resolve(precision: str = AUTO) -> Choice:
  """Returns the compute precision that `precision` stands for here.

  Args:
    precision: `"auto"` (bfloat16 where the device has bfloat16 arithmetic,
      else float32), `"float32"` or `"bfloat16"`.

  Raises:
    ArgumentError: for any other name, or bfloat16 where it cannot run
      (`cpu_refusal`).
  """
  check(precision)
  if precision == AUTO:
    return _auto()
  if precision == BFLOAT16 and _first_gpu_capability() is None:
    refusal = cpu_refusal(cpu_flags(), os.environ)
    if refusal:
      raise errors.ArgumentError(refusal)
  return Choice(precision, "as asked")

"""Whether encoding at the asked scales fits in the machine's memory.

Encoding a batch at scale s resizes it to `round(image_size * s)` pixels a
side and runs the network on it; `encoding_bytes` estimates the memory of
that, from below: the float32 batch and two activations of the network's
first layer (for VGG19, 64 channels at full resolution), 4 x (3 + 2 x 64)
bytes a pixel. `check_encoding` refuses, before any work, scales, image
sizes and batch sizes whose estimate exceeds the memory available (Linux's
`MemAvailable`, within the cgroup's limit when it has one), so that
`scales=(1000,)` is one clear error instead of a process the kernel kills.
"""

import os
from typing import Iterable, Optional

from fmi_tf import errors
from fmi_tf.nets import feature_model

_BYTES_PER_FLOAT = 4
_GB = 1024**3


def _first_layer_floats_per_pixel(backbone: feature_model.Backbone) -> float:
  """Floats per input pixel of the first layer's output (channels over the
  pixels its strides skip)."""
  for layer in backbone.model.layers[1:]:
    try:
      shape = layer.output.shape
    except (AttributeError, ValueError):  # A layer used more than once.
      continue
    if shape is not None and len(shape) == 4 and shape[-1]:
      strides = getattr(layer, "strides", (1, 1))
      return shape[-1] / max(1, strides[0] * strides[1])
  return 3.0


def encoding_bytes(backbone: feature_model.Backbone, scale: float,
                   image_size: int, batch_size: int) -> float:
  """A lower estimate of the memory encoding one batch at `scale` takes."""
  side = float(round(image_size * scale))
  per_pixel = 3 + 2 * _first_layer_floats_per_pixel(backbone)
  return batch_size * side * side * per_pixel * _BYTES_PER_FLOAT


def _read_number(path: str) -> Optional[int]:
  try:
    with open(path, encoding="utf8") as f:
      return int(f.read().split()[0])
  except (OSError, ValueError, IndexError):
    return None


def available_bytes() -> Optional[int]:
  """Memory available to this process, or None where it cannot be read."""
  available = None
  try:
    with open("/proc/meminfo", encoding="utf8") as f:
      for line in f:
        if line.startswith("MemAvailable:"):
          available = int(line.split()[1]) * 1024
  except (OSError, ValueError, IndexError):
    pass
  if available is None:
    try:
      available = (os.sysconf("SC_AVPHYS_PAGES") *
                   os.sysconf("SC_PAGE_SIZE"))
    except (OSError, ValueError, AttributeError):
      return None
  limit = _read_number("/sys/fs/cgroup/memory.max")
  used = _read_number("/sys/fs/cgroup/memory.current")
  if limit is not None and used is not None:
    available = min(available, max(0, limit - used))
  return available


def check_encoding(backbone: feature_model.Backbone, scales: Iterable[float],
                   image_size: int, batch_size: int) -> None:
  """Raises ArgumentError if encoding at the largest scale cannot fit.

  Args:
    backbone: the network that encodes.
    scales: the scale factors asked for (of one or several encoders).
    image_size: the side of the square images before scaling.
    batch_size: images per encoder call.
  """
  largest = max(scales)
  needed = encoding_bytes(backbone, largest, image_size, batch_size)
  available = available_bytes()
  if available is not None and needed > available:
    raise errors.ArgumentError(
        f"encoding at scale {largest:g} ({image_size} px images become "
        f"{round(image_size * largest)} px a side) needs at least "
        f"{needed / _GB:.3g} GB a batch of {batch_size}; {available / _GB:.3g}"
        f" GB of memory is available: use smaller scales, image size or "
        f"batch size")

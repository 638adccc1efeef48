"""Lists of indices written as text: `0,5,9`, `0:64` or a mix (`0:4,9`).

Filters (`fmi-invert --filters`) and seeds (`fmi-reallocate --seeds`) are both
given this way; `a:b` is the half-open range a, a+1, ..., b-1, as in Python.
"""

from typing import Callable, Optional

from fmi_tf import errors

MAX_INDICES = 1_000_000


def parse(spec: str, what: str, example: str,
          valid: Optional[Callable[[int], None]] = None) -> list[int]:
  """Parses comma-separated indices and ranges, keeping the first of repeats.

  Every part is checked before any range is expanded, so `0:10000000000`
  is refused at once instead of filling memory.

  Args:
    spec: the text, e.g. `0:4,9`.
    what: what the indices are, for messages (`filter`, `seed`).
    example: a valid spec to show in messages.
    valid: raises for an index out of range; it is called with the first
      and last index of every range and with every single index.

  Returns:
    The indices in the order given, without duplicates.

  Raises:
    ArgumentError: if the text is malformed, names no index or more than
      MAX_INDICES; whatever `valid` raises.
  """
  parts = []
  for part in spec.strip().split(","):
    try:
      if ":" in part:
        start, stop = (int(value) for value in part.split(":"))
        parts.append(range(start, stop))
      else:
        parts.append(range(int(part), int(part) + 1))
    except ValueError:
      raise errors.ArgumentError(
          f"bad {what} list {spec!r}: use {example}") from None
  for values in parts:
    if valid and values:
      valid(values[0])
      valid(values[-1])
  if sum(len(values) for values in parts) > MAX_INDICES:
    raise errors.ArgumentError(
        f"{what} list {spec!r} names more than {MAX_INDICES:,} {what}s")
  indices = list(dict.fromkeys(i for values in parts for i in values))
  if not indices:
    raise errors.ArgumentError(f"{what} list {spec!r} names no {what}")
  return indices

"""Lists of indices written as text: `0,5,9`, `0:64` or a mix (`0:4,9`).

Filters (`fmi-invert --filters`) and seeds (`fmi-reallocate --seeds`) are both
given this way; `a:b` is the half-open range a, a+1, ..., b-1, as in Python.
"""

from fmi_tf import errors


def parse(spec: str, what: str, example: str) -> list[int]:
  """Parses comma-separated indices and ranges, keeping the first of repeats.

  Args:
    spec: the text, e.g. `0:4,9`.
    what: what the indices are, for messages (`filter`, `seed`).
    example: a valid spec to show in messages.

  Returns:
    The indices in the order given, without duplicates.

  Raises:
    ArgumentError: if the text is malformed or names no index.
  """
  indices = []
  for part in spec.strip().split(","):
    try:
      if ":" in part:
        start, stop = (int(value) for value in part.split(":"))
        values = range(start, stop)
      else:
        values = [int(part)]
    except ValueError:
      raise errors.ArgumentError(
          f"bad {what} list {spec!r}: use {example}") from None
    indices += [i for i in values if i not in indices]
  if not indices:
    raise errors.ArgumentError(f"{what} list {spec!r} names no {what}")
  return indices

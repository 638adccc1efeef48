"""The limits every count obeys, in the Python API and the tools alike.

No count a user gives (an image side, steps, filters, a batch, a shard) can
ask for unbounded memory or time: the API checks each against the limit
here, and the tools' integer flags take the same numbers as their upper
bounds, so a notebook and a command line refuse the same values.
"""

import numbers

from fmi_tf import errors

MAX_SIZE = 4096
MAX_STEPS = 1_000_000
MAX_BATCH = 4096
MAX_CHANNELS = 65536
MAX_IMAGES_PER_ITEM = 1_000_000


def check_count(what: str, value, low: int = 1, high: int = MAX_STEPS) -> int:
  """`value` as an int, if it is an integer in [low, high].

  Python and numpy integers are taken; booleans, floats (even whole ones,
  NaN and infinities), text and None are refused.

  Examples:
    >>> check_count("steps", np.int64(60))
    60

  Args:
    what: the setting's name, for the message.
    value: the value given.
    low: the smallest value allowed.
    high: the largest value allowed.

  Raises:
    ArgumentError: naming the setting, its range and the value.
  """
  if not (isinstance(value, numbers.Integral) and not isinstance(value, bool)
          and low <= value <= high):
    raise errors.ArgumentError(
        f"{what} must be an integer from {low} to {high}, not {value!r}")
  return int(value)


def check_shard(shard) -> tuple[int, int]:
  """`(i, n)` as ints, if 0 <= i < n <= MAX_IMAGES_PER_ITEM.

  Raises:
    ArgumentError: for anything else (`(5, 2)`, `(0, 0)`, `None`, ...).
  """
  if not (isinstance(shard, (tuple, list)) and len(shard) == 2):
    raise errors.ArgumentError(
        f"shard must be (i, n) or 'i/n' with 0 <= i < n, not {shard!r}")
  count = check_count("shard count n", shard[1], 1, MAX_IMAGES_PER_ITEM)
  return check_count("shard index i", shard[0], 0, count - 1), count

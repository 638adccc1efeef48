"""The limits every count obeys, in the Python API and the tools alike.

No count a user gives (an image side, steps, filters, a batch, a shard) can
ask for unbounded memory or time: the API checks each against the limit
here, and the tools' integer flags take the same numbers as their upper
bounds, so a notebook and a command line refuse the same values.
"""

import itertools
import numbers

from fmi_tf import errors

MAX_SIZE = 4096
MAX_STEPS = 1_000_000
MAX_BATCH = 4096
MAX_CHANNELS = 65536
MAX_IMAGES_PER_ITEM = 1_000_000
# The most pixels a served image may declare (4096 x 4096 at most by
# default; this is the ceiling of `fmi_tf.export`'s max_pixels).
MAX_PIXELS = 8192 * 8192
# The most folds one evaluation runs (DTD has 10).
MAX_FOLDS = 100
# Random seeds: what tf.random and numpy both take.
MAX_SEED = 2**31 - 1


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
        f"{what} must be an integer from {low} to {high}, not "
        f"{errors.shown(value)}")
  return int(value)


def check_counts(what: str, values, low: int, high: int,
                 most: int = MAX_IMAGES_PER_ITEM) -> list[int]:
  """`values` as a list of ints, each by `check_count`, at most `most`.

  Any iterable is read, lazily: an endless generator or `range(10**12)` is
  refused after `most + 1` items, before any list of them is built.

  Examples:
    >>> check_counts("seeds", range(3), 0, MAX_SEED)
    [0, 1, 2]

  Raises:
    ArgumentError: for no iterable, no item, too many items or an item
      that `check_count` refuses.
  """
  try:
    items = iter(values)
  except TypeError:
    raise errors.ArgumentError(
        f"{what} must be a list of integers, not "
        f"{errors.shown(values)}") from None
  if isinstance(values, (str, bytes)) or hasattr(values, "shape") and (
      len(getattr(values, "shape")) != 1):
    raise errors.ArgumentError(
        f"{what} must be a list of integers, not {errors.shown(values)}")
  result = [check_count(what, value, low, high)
            for value in itertools.islice(items, most + 1)]
  if not result or len(result) > most:
    raise errors.ArgumentError(
        f"{what} must list 1 to {most} integers, not {errors.shown(values)}")
  return result


def check_shard(shard) -> tuple[int, int]:
  """`(i, n)` as ints, if 0 <= i < n <= MAX_IMAGES_PER_ITEM.

  Raises:
    ArgumentError: for anything else (`(5, 2)`, `(0, 0)`, `None`, ...).
  """
  if not (isinstance(shard, (tuple, list)) and len(shard) == 2):
    raise errors.ArgumentError(
        f"shard must be (i, n) or 'i/n' with 0 <= i < n, not "
        f"{errors.shown(shard)}")
  count = check_count("shard count n", shard[1], 1, MAX_IMAGES_PER_ITEM)
  return check_count("shard index i", shard[0], 0, count - 1), count

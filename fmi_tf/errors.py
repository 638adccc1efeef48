"""Errors that fmi_tf raises for bad input.

Every error a user can cause (a bad path, an unknown layer, weights that do not
cover a layer, nonsense numbers) is an `FmiError`. The command-line tools turn
it into one line on stderr and a non-zero exit; anything else is a bug.
"""

import numbers


class FmiError(Exception):
  """Base class of every error caused by the user's input."""


class ImageError(FmiError):
  """An image is missing, unreadable, truncated or not an image."""


class LayerError(FmiError):
  """A layer name is unknown or a filter index is out of range."""


class WeightsError(FmiError):
  """A weights file is missing, malformed, or does not cover a layer."""


class OutputError(FmiError):
  """An output location cannot be written."""


class ArgumentError(FmiError):
  """A numeric or textual argument is out of its valid range."""


def check_choice(what: str, value, choices) -> None:
  """Raises ArgumentError unless `value` is one of `choices`.

  Args:
    what: what the value is, for the message (e.g. "pooling").
    value: the value given.
    choices: the valid values.
  """
  if value not in choices:
    raise ArgumentError(
        f"{what} must be one of {', '.join(map(str, choices))}, "
        f"not {value!r}")


# The largest float32: the networks compute in float32 (or less), where a
# larger setting would be infinite.
LARGEST_SETTING = 3.4028234663852886e38


def check_non_negative(what: str, value) -> None:
  """Raises ArgumentError unless `value` is a number in [0, LARGEST_SETTING].

  Args:
    what: the setting's name, for the message (e.g. "tv_weight").
    value: the value given; NaN, infinities and numbers too large for
      float32 are refused.
  """
  if not (isinstance(value, numbers.Real) and not isinstance(value, bool)
          and 0 <= value <= LARGEST_SETTING):
    raise ArgumentError(
        f"{what} must be a finite non-negative number of at most "
        f"{LARGEST_SETTING:.4g}, not {value!r}")

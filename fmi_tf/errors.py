"""Errors that fmi_tf raises for bad input.

Every error a user can cause (a bad path, an unknown layer, weights that do not
cover a layer, nonsense numbers) is an `FmiError`. The command-line tools turn
it into one line on stderr and a non-zero exit; anything else is a bug.
"""


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

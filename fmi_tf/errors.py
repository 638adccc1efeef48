"""Errors that fmi_tf raises for bad input.

Every error a user can cause (a bad path, an unknown layer, weights that do not
cover a layer, nonsense numbers) is an `FmiError`. The command-line tools turn
it into one line on stderr and a non-zero exit; anything else is a bug.

The checks here are the rules for arguments of each kind (a choice, text, a
flag, a path, a non-negative number) that the Python API shares with the
tools; each message names the argument and shows the value given in one
short line (`shown`), whatever the value is.
"""

import numbers
import os


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


class RecordError(FmiError):
  """A JSON record is unreadable, malformed, of a newer or unknown schema,
  or has a field of the wrong type (`fmi_tf.io.records`)."""


# The longest rendering of a value in a message.
_SHOWN_CHARACTERS = 60


def shown(value) -> str:
  """A value as a message shows it: one line, at most ~60 characters.

  An array (anything with a `shape` and a `dtype`) is described, not
  printed; anything else is its repr, cut short.

  Examples:
    >>> shown(np.zeros((8, 8, 3), np.int64))
    'an array of dtype int64 and shape (8, 8, 3)'
    >>> shown("relu1_1")
    "'relu1_1'"
  """
  shape, dtype = getattr(value, "shape", None), getattr(value, "dtype", None)
  if shape is not None and dtype is not None and shape != ():
    return f"an array of dtype {dtype} and shape {tuple(shape)}"
  try:
    text = " ".join(repr(value).split())
  except Exception:  # pylint: disable=broad-except  # a user's object
    text = f"a {type(value).__name__}"
  if len(text) > _SHOWN_CHARACTERS:
    text = text[:_SHOWN_CHARACTERS - 3] + "..."
  return text


def _kind(value) -> str:
  """What a value is, for comparing with a choice: "1" is not 1, True is
  not 1, but numpy's 1 is Python's."""
  if isinstance(value, str):
    return "text"
  if isinstance(value, bool) or type(value).__name__ == "bool_":
    return "flag"
  if isinstance(value, numbers.Number):
    return "number"
  return type(value).__name__


def check_choice(what: str, value, choices) -> None:
  """Raises ArgumentError unless `value` is one of `choices`.

  A value that cannot be compared with them (an array, an object whose
  equality raises) is not one of them.

  Args:
    what: what the value is, for the message (e.g. "pooling").
    value: the value given.
    choices: the valid values.
  """
  try:
    found = any(value is choice or (_kind(value) == _kind(choice)
                                    and bool(value == choice))
                for choice in choices)
  except (TypeError, ValueError):
    found = False
  if not found:
    raise ArgumentError(
        f"{what} must be one of {', '.join(map(str, choices))}, "
        f"not {shown(value)}")


def check_text(what: str, value, error: type = ArgumentError) -> str:
  """`value` if it is a string, else raises `error` naming `what`.

  Examples:
    >>> check_text("layer", "relu1_1")
    'relu1_1'
  """
  if not isinstance(value, str):
    raise error(f"{what} must be text, not {shown(value)}")
  return value


def check_flag(what: str, value) -> bool:
  """`value` as a bool, if it is one (Python's or numpy's).

  Examples:
    >>> check_flag("progress", np.bool_(False))
    False
  """
  if not (isinstance(value, bool) or type(value).__name__ == "bool_"):
    raise ArgumentError(f"{what} must be True or False, not {shown(value)}")
  return bool(value)


def check_path(what: str, value) -> str:
  """`value` as a path string, if it is a string or an `os.PathLike`.

  Examples:
    >>> check_path("out", pathlib.Path("atlas"))
    'atlas'

  Raises:
    ArgumentError: for anything else (None, a number, True, a list...) or
      an empty path.
  """
  if not isinstance(value, (str, os.PathLike)):
    raise ArgumentError(f"{what} must be a path, not {shown(value)}")
  path = os.fspath(value)
  if not isinstance(path, str) or not path:
    raise ArgumentError(f"{what} must be a non-empty path, not "
                        f"{shown(value)}")
  return path


def check_callable(what: str, value):
  """`value` if it is None or callable, else raises ArgumentError.

  Examples:
    >>> check_callable("progress", None) is None
    True
  """
  if value is not None and not callable(value):
    raise ArgumentError(f"{what} must be None or a callable, not "
                        f"{shown(value)}")
  return value


# The largest float32: the networks compute in float32 (or less), where a
# larger setting would be infinite.
LARGEST_SETTING = 3.4028234663852886e38


def check_fraction(what: str, value) -> float:
  """`value` as a float, if it is a number strictly between 0 and 1.

  Examples:
    >>> check_fraction("test_fraction", np.float32(0.25))
    0.25

  Raises:
    ArgumentError: for 0, 1, NaN, anything outside (0, 1) or no number.
  """
  if not (isinstance(value, numbers.Real) and not isinstance(value, bool)
          and 0 < value < 1):  # False for NaN as well.
    raise ArgumentError(f"{what} must be a number in (0, 1), not "
                        f"{shown(value)}")
  return float(value)


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
        f"{LARGEST_SETTING:.4g}, not {shown(value)}")

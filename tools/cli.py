"""What every fmi_tf command-line tool shares: flag parsing and failing cleanly.

A bad input ends a tool with one line on stderr (`fmi-invert: error: ...`) and
exit status 2: no traceback, and nothing half-written (outputs are written
atomically). Flag-parsing errors, stray arguments and any OSError (a full
disk, a path that cannot be written) are reported the same way.
"""

import logging
import math
import os
import sys
from typing import Callable, Optional

from absl import app
from absl import flags
from absl import logging as absl_logging
import keras
import tensorflow as tf

from fmi_tf import errors
from fmi_tf import limits
from fmi_tf.nets import weights as vgg_weights

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
# Upper bounds of the tools' integer flags: the API's limits (`limits`).
MAX_SIZE = limits.MAX_SIZE
MAX_STEPS = limits.MAX_STEPS
MAX_BATCH = limits.MAX_BATCH
MAX_CHANNELS = limits.MAX_CHANNELS
MAX_IMAGES_PER_ITEM = limits.MAX_IMAGES_PER_ITEM


def fail(message: str, status: int = EXIT_BAD_INPUT) -> None:
  """Prints `<tool>: error: message` on stderr and exits with `status`."""
  tool = os.path.basename(sys.argv[0]) if sys.argv else "fmi"
  print(f"{tool}: error: {message}", file=sys.stderr)
  sys.exit(status)


def _parse_flags(argv, known_only: bool = False):
  try:
    argv = flags.FLAGS(argv, known_only=known_only)
  except flags.Error as e:
    fail(str(e))
  _check_finite_floats()
  return argv


def _check_finite_floats() -> None:
  """Refuses NaN or an infinity in any float flag (absl's bounds let an
  infinity pass a lower bound, and NaN any bound)."""
  for name in flags.FLAGS:
    flag = flags.FLAGS[name]
    if not isinstance(flag.parser, flags.FloatParser):
      continue
    values = flag.value if isinstance(flag.value, list) else [flag.value]
    if any(v is not None and not math.isfinite(v) for v in values):
      fail(f"flag --{name}={flag.value!r}: must be a finite number")


def _print_help(main: Callable) -> None:
  """Prints the tool's docstring and the flags of the tool's own modules."""
  tool_module = main.__module__
  sections = [(sys.modules[tool_module].__doc__ or "").strip()]
  package = tool_module.split(".")[0]
  for module in sorted(flags.FLAGS.flags_by_module_dict()):
    if module == tool_module or module.startswith(package + "."):
      sections.append(flags.FLAGS.module_help(module))
  print("\n\n".join(sections))


def run(main: Callable[[list[str]], Optional[int]],
        pass_through: bool = False) -> None:
  """Runs an absl `main`: bad input is one line and exit status 2.

  `--help` prints the tool's usage and its own flags (`--helpfull`: all).
  With `pass_through`, flags the tool does not define reach `main` in its
  argv (for another parser: Beam's pipeline options).

  Ctrl-C ends it with one line and status 130; files already written are
  complete, since every output is written atomically.
  """

  def guarded(argv):
    _quiet_tensorflow_unless_verbose()
    try:
      return main(argv)
    except (errors.FmiError, app.UsageError) as e:
      fail(str(e))
    except OSError as e:
      fail(os_error_message(e))
    except KeyboardInterrupt:
      fail("interrupted; finished outputs are kept, a rerun resumes",
           EXIT_INTERRUPTED)

  if any(arg in ("-h", "--help", "--helpshort", "-?") for arg in sys.argv[1:]):
    _print_help(main)
    sys.exit(0)
  app.run(guarded,
          flags_parser=lambda argv: _parse_flags(argv, pass_through))


class _NoLibraryInfo(logging.Filter):
  """Drops INFO (and DEBUG) records logged from inside TensorFlow or Keras."""

  _DIRECTORIES = tuple(os.path.dirname(module.__file__) + os.sep
                       for module in (tf, keras))

  def filter(self, record: logging.LogRecord) -> bool:
    return (record.levelno > logging.INFO
            or not record.pathname.startswith(self._DIRECTORIES))


def _quiet_tensorflow_unless_verbose() -> None:
  """TensorFlow's and Keras's own INFO lines (SavedModel assets, signature
  renames, ...) only with an explicit --verbosity; the tools' and fmi_tf's
  own lines are unaffected."""
  if not flags.FLAGS["verbosity"].present:
    logging.getLogger("tensorflow").setLevel(logging.WARNING)
    absl_logging.get_absl_handler().addFilter(_NoLibraryInfo())


def os_error_message(error: OSError) -> str:
  """`<strerror>: <file>` of an OSError (both files for a rename)."""
  names = [n for n in (error.filename, error.filename2) if n is not None]
  reason = error.strerror or str(error)
  return reason + "".join(f": {os.fsdecode(n)}" for n in names)


def no_stray_arguments(argv: list[str]) -> None:
  """Raises UsageError if positional arguments follow the program name."""
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")


def weights_source(flag_value: Optional[str]) -> str:
  """The `--weights` value, else `$FMI_VGG19_WEIGHTS`, else `"imagenet"`."""
  return (flag_value or os.environ.get(vgg_weights.WEIGHTS_ENV_VAR)
          or vgg_weights.IMAGENET)

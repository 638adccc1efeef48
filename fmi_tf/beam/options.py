"""Apache Beam, if installed, and the pipeline options a run passes through.

Beam is an optional extra: `require_beam` says how to install it in one
line, and `pipeline_options` refuses an unknown runner or an option no Beam
options class defines (Beam itself would only log and drop it), before any
output is written.
"""

import logging
from typing import Sequence

from fmi_tf import errors

EXTRA = 'pip install "fmi_tf[beam]"'
RUNNERS = ("DirectRunner", "PrismRunner", "DataflowRunner", "FlinkRunner",
           "SparkRunner")
DEFAULT_RUNNER = "DirectRunner"


def require_beam():
  """Returns the `apache_beam` module.

  Beam's first import logs warnings about optional Google Cloud clients;
  they are silenced, so that a bad input stays one line.

  Raises:
    ArgumentError: if Apache Beam is not installed, naming the extra.
  """
  previous = logging.root.manager.disable
  logging.disable(logging.WARNING)
  try:
    import apache_beam  # pylint: disable=import-outside-toplevel
  except ImportError:
    raise errors.ArgumentError(
        f"the Beam pipelines need Apache Beam: {EXTRA}") from None
  finally:
    logging.disable(previous)
  return apache_beam


def _parser():
  """Beam's argument parser with every options class, failing with
  ArgumentError instead of printing usage and exiting."""
  beam = require_beam()
  # Beam's parser adds the value-provider arguments its classes declare.
  # pylint: disable-next=protected-access
  base = beam.options.pipeline_options._BeamArgumentParser

  class Parser(base):

    def error(self, message):
      raise errors.ArgumentError(f"bad Beam option: {message}")

  parser = Parser(allow_abbrev=False)
  classes = {}
  for cls in beam.options.pipeline_options.PipelineOptions.__subclasses__():
    classes.setdefault(str(cls), cls)
  for cls in classes.values():
    cls._add_argparse_args(parser)  # pylint: disable=protected-access
  return parser


def pipeline_options(args: Sequence[str]):
  """Returns Beam's `PipelineOptions` of command-line style `args`.

  Examples:
    >>> options = pipeline_options(["--runner=PrismRunner"])
    >>> options = pipeline_options([
    ...     "--runner=DirectRunner", "--direct_num_workers=2",
    ...     "--direct_running_mode=multi_processing"])

  Args:
    args: Beam's own flags, e.g. `["--runner=DataflowRunner",
      "--project=p", "--region=us-central1"]`; no `--runner` means
      `DirectRunner`.

  Raises:
    ArgumentError: if Beam is missing, for an unknown runner, an option no
      Beam options class defines, or a bad option value.
  """
  beam = require_beam()
  args = list(args)
  parsed, unknown = _parser().parse_known_args(args)
  if unknown:
    raise errors.ArgumentError(
        f"unknown Beam option {unknown[0]}: not one of Beam's pipeline "
        "options")
  runner = parsed.runner or DEFAULT_RUNNER
  errors.check_choice("runner", runner, RUNNERS)
  options = beam.options.pipeline_options.PipelineOptions(args)
  options.view_as(
      beam.options.pipeline_options.StandardOptions).runner = runner
  return options

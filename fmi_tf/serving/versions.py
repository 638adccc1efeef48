"""TF Serving's versioned layout, written all or nothing.

`<base>/<name>/<version>/` holds one SavedModel; a new version is one more
than the highest integer directory there (TF Serving ignores the others).
`write_all` first checks every target, then writes every model into one
temporary directory under the base, then renames each into place: on any
error nothing new is left, neither a version nor a directory it created.
"""

import os
import shutil
import tempfile
from typing import Callable

import tensorflow as tf

from fmi_tf import errors
from fmi_tf.io import paths

STAGING_PREFIX = ".export-"


def next_version(model_base: str) -> int:
  """One more than the highest integer version directory (1 if none)."""
  if not os.path.isdir(model_base):
    return 1
  versions = [int(d) for d in os.listdir(model_base) if d.isdigit()]
  return max(versions, default=0) + 1


def _missing_directories(path: str) -> list[str]:
  """The directories to create for path, outermost first.

  Raises:
    OutputError: if path, or a directory above it, is not a directory.
  """
  missing = []
  current = os.path.abspath(path)
  while not os.path.isdir(current):
    if os.path.lexists(current):
      raise errors.OutputError(
          f"cannot export into {path}: {current} is not a directory")
    missing.append(current)
    current = os.path.dirname(current)
  if not os.access(current, os.W_OK | os.X_OK):
    raise errors.OutputError(f"cannot export into {path}: {current} cannot "
                             "be written")
  return missing[::-1]


def _write_checked(write: Callable[[str], None], path: str, name: str,
                   base: str) -> None:
  """Runs a writer; TensorFlow's file errors (a full disk is a
  ResourceExhaustedError) become one OutputError line."""
  try:
    write(path)
  except tf.errors.OpError as e:
    reason = e.message.rsplit("; ", 1)[-1] if "; " in e.message else e.message
    raise errors.OutputError(
        f"cannot write {name} into {base}: {reason}") from None


def write_all(base: str, writers: dict[str, Callable[[str], None]]
              ) -> dict[str, str]:
  """Writes a new version of each model, or nothing at all.

  Args:
    base: the base directory (created if needed).
    writers: {model name: a function writing the model into a directory}.

  Returns:
    {model name: the version directory written}.

  Raises:
    OutputError: if a target is in the way (checked before any writing),
      or a writer cannot write (a full disk), after everything new has
      been removed; any other error of a writer, after the same.
  """
  created = []
  for name in writers:
    for directory in _missing_directories(paths.join_under(base, name)):
      if directory not in created:
        created.append(directory)
  placed = {}
  staging = None
  try:
    for directory in created:
      os.mkdir(directory)
    staging = tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=base)
    for name, write in writers.items():
      _write_checked(write, paths.join_under(staging, name), name, base)
    for name in writers:
      model_base = paths.join_under(base, name)
      path = os.path.join(model_base, str(next_version(model_base)))
      os.rename(paths.join_under(staging, name), path)
      placed[name] = path
  except BaseException:
    for path in placed.values():
      shutil.rmtree(path, ignore_errors=True)
    if staging:
      shutil.rmtree(staging, ignore_errors=True)
    for directory in reversed(created):
      try:
        os.rmdir(directory)
      except OSError:
        pass
    raise
  os.rmdir(staging)
  return placed

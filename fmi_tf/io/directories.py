"""Output directories: checked before any work, then written whole.

A run checks its output directory before any work, without making it
(`check`), so that a run refused later (a dataset whose images all fail to
decode, say) leaves nothing behind. At the end it writes the directory's
files into a temporary sibling and renames them into place
(`write_whole`): a directory that did not exist appears complete or not at
all, so a full disk midway leaves no `model/encoder.json` beside a partial
weights file. In a directory that exists each file and sub-directory
(`model/`, `logs/`) is replaced whole; other entries are kept.
"""

import contextlib
import os
import shutil
import uuid

from fmi_tf import errors


def check(path: str) -> str:
  """Checks that `path` can be made (or written, if it is a directory).

  Nothing is created.

  Raises:
    ArgumentError: if `path` is no path (`errors.check_path`).
    OutputError: if path is no directory, or its nearest existing parent
      is no writable directory.
  """
  path = errors.check_path("out", path)
  existing = os.path.abspath(path)
  while not os.path.lexists(existing):
    existing = os.path.dirname(existing)
  if not os.path.isdir(existing):
    raise errors.OutputError(
        f"cannot create output directory {path}: {existing} is not a "
        "directory")
  if not os.access(existing, os.W_OK | os.X_OK):
    raise errors.OutputError(
        f"output directory {path} is not writable" if existing ==
        os.path.abspath(path) else
        f"cannot create output directory {path}: {existing} is not writable")
  return path


def _replace(staged: str, target: str) -> None:
  """Moves a staged entry onto target, a directory replacing a directory."""
  if os.path.isdir(staged) and os.path.isdir(target) and not (
      os.path.islink(target)):
    old = f"{target}.{uuid.uuid4().hex}.old"
    os.rename(target, old)
    os.rename(staged, target)
    shutil.rmtree(old, ignore_errors=True)
  else:
    os.replace(staged, target)


@contextlib.contextmanager
def write_whole(path: str):
  """Yields a temporary directory whose files then become `path`'s.

  On an error inside the block the temporary directory is removed and
  nothing of it reaches `path`.

  Raises:
    OutputError: if the temporary sibling cannot be made.
  """
  path = os.path.abspath(path)
  parent = os.path.dirname(path)
  staging = os.path.join(
      parent, f".{os.path.basename(path)}.{uuid.uuid4().hex}.part")
  created = []
  try:
    existing = parent
    while not os.path.isdir(existing):
      created.append(existing)
      existing = os.path.dirname(existing)
    os.makedirs(staging)
  except OSError as e:
    _remove_created(created)
    raise errors.OutputError(
        f"cannot create output directory {path}: {e.strerror}") from None
  try:
    yield staging
    if not os.path.isdir(path):
      os.rename(staging, path)
      return
    for name in sorted(os.listdir(staging)):
      _replace(os.path.join(staging, name), os.path.join(path, name))
    os.rmdir(staging)
  except BaseException:
    shutil.rmtree(staging, ignore_errors=True)
    _remove_created(created)
    raise


def _remove_created(directories: list[str]) -> None:
  """Removes parents made for the staging directory, if left empty."""
  for directory in directories:
    with contextlib.suppress(OSError):
      os.rmdir(directory)

"""The run an output directory belongs to: the first to start owns it.

A run that fills a directory (an atlas, dataset examples) claims it before
it writes anything else: it creates `FILENAME` there, a JSON object of the
settings that decide its files' bytes (named without `.json`, so that no
listing of a directory's records takes it for one), only if no such file
exists (`object_store.create_new`). A second run finds the claim: with the same
settings it goes on (a resume, or a shard of the same run), with other
settings it is refused in one line naming the first setting that differs,
even while the first run has written nothing else yet. `overwrite` takes
the directory over, replacing the claim, and so does a run that finds the
claimed run `finished` where outputs of another run may replace finished
ones (dataset examples of another k).

Examples:
  >>> ownership.claim("atlas/", {"parameters.steps": 200}, what="atlas")
  >>> ownership.claim("s3://atlas/run1", settings, what="atlas")
"""

import contextlib
import json
import os
from typing import Any, Callable, Iterator, Mapping, Optional

from fmi_tf import errors
from fmi_tf.io import object_store
from fmi_tf.io import storage

FILENAME = ".fmi-claim"


def _encoded(settings: Mapping[str, Any]) -> bytes:
  return (json.dumps(dict(settings), indent=2, sort_keys=True) + "\n").encode(
      "utf8")


def _shown(value: Any) -> str:
  if isinstance(value, str) and len(value) > 32:  # a digest
    return json.dumps(value[:12] + "...")
  return "not set" if value is None else json.dumps(value)


def claim(out: str, settings: Mapping[str, Any], *, what: str,
          overwrite: bool = False,
          finished: Optional[Callable[[dict], bool]] = None,
          filename: str = FILENAME) -> bool:
  """Makes the directory (or URL) `out` this run's, unless another run's.

  Args:
    out: the output directory, which exists, or a URL.
    settings: {name: JSON value} of what decides the run's files.
    what: what the directory holds (`atlas`), for the message.
    overwrite: take the directory whatever its claim.
    finished: called with another run's claim, whether that run is over
      and its directory may be taken; None: never.
    filename: the claim's path relative to `out` (in a sub-directory that
      exists, to keep it out of a listing).

  Returns:
    Whether this call wrote the claim (False: a run of the same settings
    had).

  Raises:
    OutputError: if a run of other settings claimed `out` first, naming
      the first setting that differs, or if the claim cannot be written.
  """
  path = storage.join(out, filename)
  data = _encoded(settings)
  if overwrite:
    storage.write_bytes(path, data)
    return True
  if object_store.create_new(path, data):
    return True
  try:
    held = json.loads(storage.read_bytes(path))
  except ValueError:
    held = None
  if not isinstance(held, dict):
    raise errors.OutputError(
        f"{out} is claimed by another run ({FILENAME} is not a settings "
        "record); rerun with --overwrite (overwrite=True) to take it over, or "
        "choose another --out")
  mine = json.loads(data)
  if held != mine and finished is not None and finished(held):
    storage.write_bytes(path, data)
    return True
  for key in sorted(set(held) | set(mine)):
    if held.get(key) != mine.get(key):
      raise errors.OutputError(
          f"{out} belongs to another {what} run: its {key} is "
          f"{_shown(held.get(key))}, this run's {_shown(mine.get(key))}; "
          "rerun with --overwrite (overwrite=True) once it is done, or "
          "choose another --out")
  return False


@contextlib.contextmanager
def claimed(out: str, settings: Mapping[str, Any], *, what: str,
            overwrite: bool = False) -> Iterator[None]:
  """`claim`s the local directory `out` for a block; if the block raises
  and the directory holds nothing but the claim this call wrote, the claim
  is removed again (the run leaves nothing)."""
  wrote = claim(out, settings, what=what, overwrite=overwrite)
  try:
    yield
  except BaseException:
    if wrote and os.listdir(out) == [FILENAME]:
      os.remove(os.path.join(out, FILENAME))
    raise

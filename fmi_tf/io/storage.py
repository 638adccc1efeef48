"""Files at local paths or at URLs that Apache Beam's file systems speak.

An output or input may be a local path or a URL of any scheme Beam
registers (`gs://`, `s3://`, ...): `is_url` tells them apart, and the URL
side goes through `apache_beam.io.filesystems.FileSystems`, configured once
per process with the run's pipeline options (`configure`: `--s3_endpoint_url`,
`--s3_access_key_id`, ...). Objects in a store are written whole: an object
appears when its upload completes, so a worker killed mid-write leaves
nothing under the name, and a retried write replaces the object with the
same bytes.

`staged` runs code written for local directories against a URL: it yields a
local directory holding the named files of the URL, and `commit` uploads
what the code wrote there, one object at a time in the order given.

Examples:
  >>> storage.configure(["--s3_endpoint_url=http://127.0.0.1:9000"])
  >>> with storage.staged("s3://atlas/run1", ["conv1_1_0000.json"]) as local:
  ...   outputs.write_json(os.path.join(local, "a.json"), {"x": 1})
  ...   storage.commit(local, "s3://atlas/run1", ["a.json"])
"""

import contextlib
import logging
import os
import re
import shutil
import tempfile
from typing import Iterable, Iterator, Sequence

from fmi_tf import errors
from fmi_tf.io import outputs
from fmi_tf.io import paths

_URL = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://")
_BEAM = 'pip install "fmi_tf[beam]"'
# The pipeline options of `configure`, for clients that Beam does not make.
_CONFIGURED = []


def is_url(path) -> bool:
  """Whether `path` is a URL (`scheme://...`) rather than a local path."""
  return isinstance(path, str) and bool(_URL.match(path))


def scheme(url: str) -> str:
  """The scheme of a URL: `s3` for `s3://bucket/key`."""
  return _URL.match(url).group(1).lower()


def join(base: str, *names: str) -> str:
  """`base/name/...`: a URL's parts joined by `/`, a path's by the OS's.

  For fixed names only: a path built from a name (a layer's, a class's, a
  listed file's) is joined by `join_under`.
  """
  if not is_url(base):
    return os.path.join(base, *names)
  return "/".join([base.rstrip("/"), *names])


def join_under(base: str, relative: str) -> str:
  """`base/relative`, proven to stay under `base`, a path or a URL.

  `relative` is `/`-separated (as `list_names` gives names); each of its
  parts must be one plain component (`paths.check_parts`), and a local
  result must lie under `base` with every link resolved
  (`paths.join_under`).

  Examples:
    >>> join_under("s3://bucket/atlas", "block1_conv1_0000.png")
    's3://bucket/atlas/block1_conv1_0000.png'

  Raises:
    OutputError: if a part is `..`, empty or not plain, or the path leads
      out of `base`.
  """
  parts = relative.split("/") if isinstance(relative, str) else [relative]
  if not is_url(base):
    return paths.join_under(base, *parts)
  paths.check_parts(base, parts)
  return "/".join([base.rstrip("/"), *parts])


def _file_systems():
  """Beam's `FileSystems`, with its import-time warnings silenced."""
  previous = logging.root.manager.disable
  logging.disable(logging.WARNING)
  try:
    # pylint: disable-next=import-outside-toplevel
    from apache_beam.io import filesystems
  except ImportError:
    raise errors.ArgumentError(
        f"URLs as inputs and outputs need Apache Beam: {_BEAM}") from None
  finally:
    logging.disable(previous)
  return filesystems.FileSystems


def configure(options) -> None:
  """Points this process's file systems at the run's stores.

  Args:
    options: Beam `PipelineOptions`, their command-line flags, or the
      dictionary `carried` gave (what a worker receives).
  """
  file_systems = _file_systems()
  # pylint: disable-next=import-outside-toplevel
  from apache_beam.options import pipeline_options
  if isinstance(options, dict):
    options = pipeline_options.PipelineOptions.from_dictionary(options)
  elif not isinstance(options, pipeline_options.PipelineOptions):
    options = pipeline_options.PipelineOptions(list(options))
  file_systems.set_options(options)
  _CONFIGURED[:] = [options]


def configured_options():
  """The pipeline options `configure` gave this process (None if none)."""
  return _CONFIGURED[0] if _CONFIGURED else None


def carried() -> dict:
  """The options `configure` gave, as a dictionary a worker can be sent."""
  options = configured_options()
  return options.get_all_options(drop_default=True) if options else {}


def check_scheme(url: str, what: str = "output directory") -> None:
  """Refuses a URL of a scheme that no installed Beam file system speaks.

  Raises:
    OutputError: naming the scheme.
  """
  try:
    _file_systems().get_filesystem(url)
  except ValueError:
    raise errors.OutputError(
        f"cannot use {what} {url}: no file system for {scheme(url)}:// is "
        "installed (Beam speaks gs:// with apache-beam[gcp] and s3:// with "
        "apache-beam[aws])") from None


def exists(path: str) -> bool:
  """Whether a file (or, locally, a directory) is at `path`."""
  if not is_url(path):
    return os.path.exists(path)
  return _file_systems().exists(path)


def read_bytes(path: str) -> bytes:
  """The bytes of the file at `path`."""
  if not is_url(path):
    with open(path, "rb") as f:
      return f.read()
  with _file_systems().open(path, mime_type="application/octet-stream",
                            compression_type="uncompressed") as f:
    return f.read()


def write_bytes(path: str, data: bytes) -> None:
  """Writes `data` whole: renamed into place locally, uploaded to a URL."""
  if not is_url(path):
    outputs.write_bytes(path, data)
    return
  with _file_systems().create(path, mime_type="application/octet-stream",
                              compression_type="uncompressed") as f:
    f.write(data)


def list_names(base: str) -> set[str]:
  """The files under `base`, as `/`-separated paths relative to it."""
  if not is_url(base):
    found = set()
    for directory, _, files in os.walk(base):
      relative = os.path.relpath(directory, base)
      found.update(name if relative == "." else
                   f"{relative.replace(os.sep, '/')}/{name}"
                   for name in files)
    return found
  prefix = base.rstrip("/") + "/"
  file_systems = _file_systems()
  with _quiet():  # Beam's S3 client logs every listing on the root logger.
    matches = file_systems.match([prefix + "**"])[0].metadata_list
  return {m.path[len(prefix):] for m in matches}


@contextlib.contextmanager
def _quiet():
  """Silences log records below WARNING while the block runs."""
  previous = logging.root.manager.disable
  logging.disable(logging.INFO)
  try:
    yield
  finally:
    logging.disable(previous)


@contextlib.contextmanager
def staged(base: str, names: Iterable[str] = (),
           present: Iterable[str] = ()) -> Iterator[str]:
  """A local directory standing for `base` while a block works on it.

  A local `base` is yielded as it is. For a URL, a new temporary directory
  holds the files `names` that `base` has, and an empty file for each of
  `present` that `base` has (what only needs to be seen to exist); it is
  removed after the block. An `FmiError` of the block that names the
  temporary directory names `base` instead.

  Args:
    base: the directory or URL.
    names: relative paths of the files copied in.
    present: relative paths whose presence is copied, not their bytes.
  """
  if not is_url(base):
    yield base
    return
  local = tempfile.mkdtemp(prefix="fmi-staged-")
  try:
    names, present = list(names), list(present)
    committed = list_names(base) if names or present else set()
    for name in names:
      if name in committed:
        path = join_under(local, name)
        outputs.prepare_file(path)
        outputs.write_bytes(path, read_bytes(join_under(base, name)))
    for name in present:
      if name in committed and name not in names:
        path = join_under(local, name)
        outputs.prepare_file(path)
        outputs.write_bytes(path, b"")
    yield local
  except errors.FmiError as e:
    if local not in str(e):
      raise
    raise type(e)(str(e).replace(local, base.rstrip("/"))) from None
  finally:
    shutil.rmtree(local, ignore_errors=True)


def commit(local: str, base: str, names: Sequence[str]) -> None:
  """Uploads the files `names` of a staged directory to `base`, in order.

  A local `base` is the staged directory itself: nothing to do.
  """
  if local == base:
    return
  for name in names:
    write_bytes(join_under(base, name), read_bytes(join_under(local, name)))

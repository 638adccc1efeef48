"""Inputs at URLs: the store checked, then a local copy made once per process.

A pipeline's inputs (the weights file, a .keras model, the image, a
dataset's folder) may be URLs of any scheme Beam's file systems speak
(`gs://bucket/vgg19.h5`). Each process copies one the first time it is asked
for (`local_copy`) to a path that depends only on the URL, so that what
records the path (a dataset's name: `folder:/tmp/fmi_tf-inputs/...`) is the
same on every worker and every rerun. The store is asked first
(`object_store.check_store`), so a wrong endpoint, bucket or credentials is
one line, not a minute of retries.

Examples:
  >>> weights = inputs.local_copy("gs://models/vgg19_notop.h5")
  >>> spec = inputs.local_spec("dtd:s3://data/dtd")  # "dtd:/tmp/..."
"""

import hashlib
import os
import tempfile
from typing import Optional

from fmi_tf import errors
from fmi_tf.io import object_store
from fmi_tf.io import outputs
from fmi_tf.io import storage

# The copies made by this process: {url: local path}.
_COPIES: dict[str, str] = {}


def local_copy(path, cache: Optional[str] = None):
  """A local path of an input: `path` itself, or a URL's copy.

  A URL naming an object is copied once per process; one naming a folder
  (a prefix with objects under it) is copied whole. Anything but a URL
  (a local path, None, an array) is returned as it is.

  Args:
    path: a local path or a URL.
    cache: where copies go; default `fmi_tf-inputs` in the temporary
      directory.

  Raises:
    OutputError: if the store does not answer or refuses (see
      `object_store.check_store`).
    ArgumentError: if nothing is at the URL.
  """
  if not storage.is_url(path):
    return path
  if path in _COPIES:
    return _COPIES[path]
  object_store.check_store(path, "input")
  digest = hashlib.sha256(path.encode("utf8")).hexdigest()[:16]
  target = os.path.join(
      cache or os.path.join(tempfile.gettempdir(), "fmi_tf-inputs"), digest,
      os.path.basename(path.rstrip("/")) or "input")
  if not path.endswith("/") and storage.exists(path):
    outputs.prepare_file(target)
    outputs.write_bytes(target, storage.read_bytes(path))
  else:
    names = storage.list_names(path)
    if not names:
      raise errors.ArgumentError(f"input not found: nothing is at {path}")
    # Every name is checked before anything is copied.
    copies = [(storage.join_under(path, name),
               storage.join_under(target, name)) for name in sorted(names)]
    for source, destination in copies:
      outputs.prepare_file(destination)
      outputs.write_bytes(destination, storage.read_bytes(source))
  _COPIES[path] = target
  return target


def local_spec(spec):
  """A dataset spec whose path is local: a URL's (`folder:gs://b/data`,
  `dtd:s3://b/dtd`, or a bare URL) replaced by its copy (`local_copy`)."""
  if not isinstance(spec, str):
    return spec
  if storage.is_url(spec):
    return local_copy(spec)
  kind, colon, path = spec.partition(":")
  return f"{kind}:{local_copy(path)}" if colon and storage.is_url(
      path) else spec

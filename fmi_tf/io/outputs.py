"""Atomic writes: an interrupted run leaves no partial PNG or JSON.

Every file is written to a temporary name in its destination directory and
renamed into place, which POSIX makes atomic. The temporary file is created
with mode 0o666 less the user's umask, as `open` would create the file, so
outputs are as readable as any other file the user writes (not owner-only,
as `tempfile.mkstemp` would make them). `exclusive_lock` serialises
read-modify-write steps of processes sharing an output, with `filelock`:
`flock` where the platform has it, else a lock file created exclusively, so
the package imports and runs where Python has no `fcntl` (Windows).
"""

import contextlib
import io
import json
import os
import uuid

import filelock
import numpy as np
from PIL import Image

from fmi_tf import errors
from fmi_tf.io import images as image_io

# The mode of a new output before the umask, as `open(path, "w")` uses.
_FILE_MODE = 0o666


# The image formats an output file's name may ask for, by suffix.
IMAGE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}
_JPEG_QUALITY = 95


def check_creatable(path: str, what: str = "output directory") -> None:
  """Checks, creating nothing, that a directory `path` can be made or used.

  The nearest existing ancestor must be a writable directory (so a path
  under a regular file is refused before any work).

  Raises:
    ArgumentError: if `path` is no path (`errors.check_path`).
    OutputError: if `path` or an ancestor is a file, or it is not writable.
  """
  path = errors.check_path(what, path)
  if os.path.exists(path) and not os.path.isdir(path):
    raise errors.OutputError(f"cannot use {what} {path}: it is a file")
  existing = os.path.abspath(path)
  while not os.path.exists(existing):
    existing = os.path.dirname(existing)
  if not os.path.isdir(existing):
    raise errors.OutputError(
        f"cannot create {what} {path}: {existing} is a file")
  if not os.access(existing, os.W_OK | os.X_OK):
    raise errors.OutputError(f"{what} {path} is not writable")


@contextlib.contextmanager
def removed_on_failure(path: str):
  """Removes the directories of `path` that the block made, if left empty.

  Wraps the work that creates and fills an output directory: when the block
  raises, the directories it created (`path` and any missing parents) are
  removed again unless something was written into them.
  """
  missing = []
  current = os.path.abspath(path)
  while not os.path.exists(current):
    missing.append(current)
    current = os.path.dirname(current)
  try:
    yield
  except BaseException:
    for directory in missing:
      if os.path.isdir(directory) and not os.listdir(directory):
        os.rmdir(directory)
    raise


def prepare_directory(path: str) -> str:
  """Creates `path` if needed and checks that it can be written.

  Raises:
    OutputError: if it cannot be created or written.
  """
  try:
    os.makedirs(path, exist_ok=True)
  except OSError as e:
    raise errors.OutputError(
        f"cannot create output directory {path}: {e.strerror}") from None
  if not os.access(path, os.W_OK | os.X_OK):
    raise errors.OutputError(f"output directory {path} is not writable")
  return path


def prepare_file(path: str) -> str:
  """Checks, before any work, that a file can be written at `path`.

  Creates its directory if needed.

  Raises:
    OutputError: if path is a directory or its directory cannot be written.
  """
  if os.path.isdir(path):
    raise errors.OutputError(
        f"{path} is a directory: name the file to write, e.g. "
        f"{os.path.join(path, 'result.png')}")
  prepare_directory(os.path.dirname(os.path.abspath(path)))
  return path


def check_image_file(path: str) -> str:
  """Checks, creating nothing, that an image can be written at `path`.

  Raises:
    ArgumentError: if `path` is no path (`errors.check_path`).
    OutputError: for a directory, an unknown suffix (see `image_format`),
      or a directory that cannot be made or written.
  """
  path = errors.check_path("output file", path)
  if os.path.isdir(path):
    raise errors.OutputError(
        f"{path} is a directory: name the file to write, e.g. "
        f"{os.path.join(path, 'result.png')}")
  image_format(path)
  check_creatable(os.path.dirname(os.path.abspath(path)))
  return path


def check_json_file(path: str) -> str:
  """Checks, creating nothing, that a JSON file can be written at `path`.

  Raises:
    ArgumentError: if `path` is no path (`errors.check_path`).
    OutputError: for a directory, a name not ending in `.json`, or a
      directory that cannot be made or written.
  """
  path = errors.check_path("output file", path)
  if os.path.isdir(path):
    raise errors.OutputError(
        f"{path} is a directory: name the file to write, e.g. "
        f"{os.path.join(path, 'result.json')}")
  if not path.endswith(".json"):
    raise errors.OutputError(f"the output file {path} must end in .json")
  check_creatable(os.path.dirname(os.path.abspath(path)))
  return path


@contextlib.contextmanager
def exclusive_lock(path: str):
  """Holds an exclusive lock on the file `path` (created if needed).

  Processes (on one machine, or on a file system with POSIX locks) that
  take the same lock run their blocks one at a time.
  """
  with filelock.FileLock(path, thread_local=False):
    yield


def write_bytes(path: str, data: bytes) -> None:
  """Writes `data` to `path` atomically."""
  directory = os.path.dirname(os.path.abspath(path))
  temporary = os.path.join(
      directory, f".{os.path.basename(path)}.{uuid.uuid4().hex}.part")
  try:  # Opened inside: an interrupt just after the file exists removes it.
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _FILE_MODE)
    with os.fdopen(fd, "wb") as f:
      f.write(data)
    os.replace(temporary, path)
  except BaseException:
    if os.path.exists(temporary):
      os.remove(temporary)
    raise


def _plain(value):
  """A numpy scalar (a setting given as np.int64, say) as Python's."""
  if isinstance(value, np.generic):
    return value.item()
  raise TypeError(f"{type(value).__name__} is not JSON serializable")


def write_json(path: str, record) -> None:
  """Writes a JSON document atomically; numpy scalars as Python's."""
  write_bytes(path, (json.dumps(record, indent=2, sort_keys=True,
                                default=_plain) + "\n").encode("utf8"))


def write_png(path: str, image) -> None:
  """Writes an [H, W, 3] float image in [0, 1] or a Pillow image as PNG."""
  write_bytes(path, _encoded(image, "PNG"))


def image_format(path: str) -> str:
  """The format an image file's name asks for: `PNG` or `JPEG`.

  Raises:
    OutputError: for a suffix other than .png, .jpg and .jpeg.
  """
  suffix = os.path.splitext(path)[1].lower()
  if suffix not in IMAGE_FORMATS:
    raise errors.OutputError(
        f"cannot tell the image format of the output file {path}: name a "
        ".png, .jpg or .jpeg file")
  return IMAGE_FORMATS[suffix]


def write_image(path: str, image) -> None:
  """Writes an image in the format its name says (see `image_format`)."""
  write_bytes(path, _encoded(image, image_format(path)))


def _encoded(image, image_format_name: str) -> bytes:
  if isinstance(image, np.ndarray):
    image = Image.fromarray(image_io.to_uint8(image))
  buffer = io.BytesIO()
  if image_format_name == "JPEG":
    image.convert("RGB").save(buffer, format="JPEG", quality=_JPEG_QUALITY)
  else:
    image.save(buffer, format=image_format_name)
  return buffer.getvalue()

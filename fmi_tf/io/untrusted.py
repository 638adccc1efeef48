"""Files of a directory someone else wrote, read within bounds.

An atlas or examples directory may come from anywhere, so each file read
from it is checked before its bytes are: it must lie under the directory
once every symbolic link is resolved (no private file copied into a
published site), be a regular file (a FIFO would block, `/dev/zero` never
ends), and be no larger than its limit; an image must also declare at most
its pixel limit in its header, so a small file cannot decode to gigabytes.
A file that fails any check raises `UntrustedFileError`, which a reader
turns into a gap. JSON records are read through `io.records`, over
`read_bytes`.
"""

import io
import os
import stat

import numpy as np
from PIL import Image

from fmi_tf import errors
from fmi_tf.io import images as image_io
from fmi_tf.io import paths

MAX_RECORD_BYTES = 64 << 20
MAX_IMAGE_BYTES = 256 << 20


class UntrustedFileError(errors.FmiError):
  """A file read back is a link out of its root, special, or too large."""


def read_bytes(root: str, path: str, limit: int) -> bytes:
  """The bytes of `path`, a regular file under `root` of at most `limit`.

  Examples:
    >>> data = read_bytes("atlas", "atlas/conv1_0000.json", MAX_RECORD_BYTES)

  Raises:
    UntrustedFileError: if it leads out of `root`, is not a regular file,
      holds more than `limit` bytes or cannot be read.
  """
  if not paths.is_under(root, path):
    raise UntrustedFileError(f"{path} leads out of {root}")
  try:
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
  except OSError as e:
    raise UntrustedFileError(f"cannot open {path}: {e.strerror}") from None
  with os.fdopen(descriptor, "rb") as f:
    status = os.fstat(f.fileno())
    if not stat.S_ISREG(status.st_mode):
      raise UntrustedFileError(f"{path} is not a regular file")
    if status.st_size > limit:
      raise UntrustedFileError(
          f"{path} holds {status.st_size} bytes, more than the limit of "
          f"{limit}")
    try:
      data = f.read(limit + 1)
    except OSError as e:
      raise UntrustedFileError(f"cannot read {path}: {e.strerror}") from None
  if len(data) > limit:
    raise UntrustedFileError(f"{path} grew past the limit of {limit} bytes")
  return data


def read_rgb(root: str, path: str, max_pixels: int,
             limit: int = MAX_IMAGE_BYTES, mode: str = "RGB") -> np.ndarray:
  """The uint8 [H, W, 3] pixels of the image in `path`.

  `mode="RGBA"` reads [H, W, 4] instead, with the image's transparency.

  Its header is read first: an image of more than `max_pixels` pixels is
  refused before any pixel is decoded.

  Raises:
    UntrustedFileError: as `read_bytes`, or if it is no image or declares
      more than `max_pixels` pixels.
  """
  data = read_bytes(root, path, limit)
  try:
    width, height, _ = image_io.header(data, path)
  except errors.ImageError as e:
    raise UntrustedFileError(str(e)) from None
  if width * height > max_pixels:
    raise UntrustedFileError(
        f"{path} is {width} x {height} pixels, more than the limit of "
        f"{max_pixels}")
  try:
    with Image.open(io.BytesIO(data)) as picture:
      picture.load()
      return np.asarray(picture.convert(mode))
  except (OSError, SyntaxError, ValueError, Image.DecompressionBombError
          ) as e:
    raise UntrustedFileError(f"cannot read image {path}: {e}") from None

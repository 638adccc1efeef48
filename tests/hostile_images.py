"""Small files that declare huge images, and photos stored sideways."""

import io
import struct
import zlib

import numpy as np
from PIL import Image

# EXIF's orientation tag.
ORIENTATION = 0x0112


def _chunk(kind: bytes, data: bytes) -> bytes:
  return (struct.pack(">I", len(data)) + kind + data +
          struct.pack(">I", zlib.crc32(kind + data)))


def bomb_png(width: int = 20000, height: int = 20000) -> bytes:
  """A PNG of a few bytes whose header declares width x height RGB pixels.

  Its one compressed row stands for the rest: decoded, it would be
  width x height x 3 bytes.
  """
  header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
  pixels = zlib.compress(b"\0" * (1 + 3 * width))
  return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) +
          _chunk(b"IDAT", pixels) + _chunk(b"IEND", b""))


def bomb_jpeg(width: int = 20000, height: int = 20000) -> bytes:
  """A small JPEG whose frame header (SOF0) claims width x height pixels."""
  buffer = io.BytesIO()
  Image.new("RGB", (16, 16), (90, 120, 30)).save(buffer, format="JPEG")
  data = bytearray(buffer.getvalue())
  frame = data.index(b"\xff\xc0")
  data[frame + 5:frame + 9] = struct.pack(">HH", height, width)
  return bytes(data)


def sideways_jpeg(orientation: int = 6) -> tuple[bytes, np.ndarray]:
  """A JPEG stored 32 wide and 16 high, red left and blue right, carrying
  an EXIF orientation; and the upright picture, uint8, as a viewer shows
  it (orientation 6: turned a quarter clockwise, red on top, 16 x 32)."""
  stored = np.zeros((16, 32, 3), np.uint8)
  stored[:, :16] = (255, 0, 0)
  stored[:, 16:] = (0, 0, 255)
  image = Image.fromarray(stored)
  exif = image.getexif()
  exif[ORIENTATION] = orientation
  buffer = io.BytesIO()
  image.save(buffer, format="JPEG", quality=95, exif=exif)
  turns = {1: stored, 3: np.rot90(stored, 2), 6: np.rot90(stored, -1),
           8: np.rot90(stored, 1)}
  return buffer.getvalue(), turns[orientation]


def undecodable_png(width: int = 8, height: int = 8) -> bytes:
  """A PNG whose chunks are whole (their checksums hold) but whose pixel
  data is no zlib stream: it passes Pillow's `verify` and fails to decode."""
  header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
  return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) +
          _chunk(b"IDAT", b"these bytes are not compressed pixels") +
          _chunk(b"IEND", b""))

"""EXIF orientation in the served graph: read as the tools read it."""

import io
import struct
import zlib

import numpy as np
from PIL import Image
import pytest
import tensorflow as tf

from fmi_tf.datasets import pipeline
from fmi_tf.io import images as image_io
from fmi_tf.serving import adapters
from fmi_tf.serving import exif

# Upright: a red band along the top, a green one down the left.
UPRIGHT = np.full((24, 24, 3), 40, np.uint8)
UPRIGHT[:6, :, 0] = 250
UPRIGHT[:, :6, 1] = 250
# What a camera stores for each orientation: the inverse of its turn.
STORED = {
    1: lambda a: a, 2: lambda a: a[:, ::-1], 3: lambda a: np.rot90(a, 2),
    4: lambda a: a[::-1], 5: lambda a: np.transpose(a, (1, 0, 2)),
    6: lambda a: np.rot90(a, 1), 7: lambda a: np.rot90(
        np.transpose(a, (1, 0, 2)), 2), 8: lambda a: np.rot90(a, 3)}


def _jpeg(pixels: np.ndarray, orientation: int) -> bytes:
  tags = Image.Exif()
  tags[0x0112] = orientation
  buffer = io.BytesIO()
  Image.fromarray(np.ascontiguousarray(pixels)).save(
      buffer, "JPEG", quality=98, exif=tags.tobytes())
  return buffer.getvalue()


def _png(pixels: np.ndarray, orientation: int) -> bytes:
  tags = Image.Exif()
  tags[0x0112] = orientation
  buffer = io.BytesIO()
  Image.fromarray(np.ascontiguousarray(pixels)).save(
      buffer, "PNG", exif=tags.tobytes())
  return buffer.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
  return (struct.pack(">I", len(data)) + kind + data
          + struct.pack(">I", zlib.crc32(kind + data)))


def _big_endian_png(orientation: int) -> bytes:
  """A PNG whose eXIf chunk is big-endian (MM) and follows a large text
  chunk, the orientation the 2nd entry."""
  tiff = (b"MM\x00\x2a" + struct.pack(">I", 8) + struct.pack(">H", 2)
          + struct.pack(">HHIHH", 0x010F, 2, 1, 0, 0)
          + struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0)
          + struct.pack(">I", 0))
  buffer = io.BytesIO()
  Image.fromarray(UPRIGHT).save(buffer, "PNG")
  plain = buffer.getvalue()
  header_end = 8 + 12 + 13  # the signature and IHDR
  return (plain[:header_end]
          + _png_chunk(b"tEXt", b"Comment\x00" + b"x" * 3000)
          + _png_chunk(b"eXIf", tiff) + plain[header_end:])


def _big_endian_jpeg(orientation: int) -> bytes:
  """A JPEG whose EXIF is big-endian (MM), the orientation the 2nd entry."""
  tiff = (b"MM\x00\x2a" + struct.pack(">I", 8) + struct.pack(">H", 2)
          + struct.pack(">HHIHH", 0x010F, 2, 1, 0, 0)
          + struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0)
          + struct.pack(">I", 0))
  segment = b"Exif\x00\x00" + tiff
  plain = _jpeg(UPRIGHT, 1)
  start = plain.index(b"\xff\xdb")  # before the quantisation tables
  return (b"\xff\xd8" + b"\xff\xe1" + struct.pack(">H", len(segment) + 2)
          + segment + plain[start:])


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("encode", [_jpeg, _png])
def test_the_graph_reads_the_orientation_the_tools_read(encode, orientation):
  data = encode(STORED[orientation](UPRIGHT), orientation)
  assert image_io.header(data, "photo")[2] == orientation
  assert int(exif.orientation(tf.constant(data))) == orientation
  served = adapters.decode_batch(tf.constant([data]), 24)[0].numpy()
  as_the_tools = pipeline.fit_image(pipeline.orient(
      pipeline.decode(tf.constant(data)), orientation), 24).numpy()
  np.testing.assert_allclose(served, as_the_tools, atol=1e-6)
  assert served[:4, 8:, 0].mean() > 0.8 > served[8:, 8:, 0].mean()
  assert served[8:, :4, 1].mean() > 0.8 > served[8:, 8:, 1].mean()


@pytest.mark.parametrize("orientation", [3, 6])
@pytest.mark.parametrize("encode", [_big_endian_jpeg, _big_endian_png])
def test_big_endian_exif_is_read(encode, orientation):
  data = encode(orientation)
  assert image_io.header(data, "photo")[2] == orientation
  assert int(exif.orientation(tf.constant(data))) == orientation


@pytest.mark.parametrize("data", [
    b"", b"\xff\xd8", b"\xff\xd8\xff\xe1\xff\xffExif\x00\x00II",
    b"\xff\xd8\xff\xe1\x00\x02" * 100, b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\x04eXIfII*\x00",
    b"\x89PNG\r\n\x1a\n\xff\xff\xff\xffIHDR" + b"\x00" * 40,
    b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x00tEXt\x00\x00\x00\x00" * 100])
def test_missing_or_malformed_exif_reads_upright(data):
  orient = tf.function(exif.orientation,
                       input_signature=[tf.TensorSpec([], tf.string)])
  assert int(orient(tf.constant(data))) == 1

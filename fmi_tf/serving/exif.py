"""A photo's EXIF orientation, read in the graph, so served photos stand up.

The tools turn a photo upright by its EXIF orientation (Pillow reads it,
`fmi_tf.io.images.header`); TF Serving runs only the graph, so the served
models read it with TensorFlow ops. In a JPEG the segments are walked from
the start to its `APP1` segment holding `Exif\\0\\0`; in a PNG the chunks are
walked from the signature to its `eXIf` chunk. Either holds a TIFF header,
which gives the byte order and the first IFD, whose entries are searched for
the orientation tag (0x0112). Only the first `HEADER_BYTES` bytes are read,
every index is bounded, and anything missing or malformed reads as 1
(upright), as in the tools. BMP, GIF and photos without EXIF are upright.
"""

import tensorflow as tf

from fmi_tf.datasets import pipeline

HEADER_BYTES = 1 << 16
_MAX_SEGMENTS = 32
_MAX_ENTRIES = 64
_ORIENTATION_TAG = 0x0112
_APP1 = 0xE1
_START_OF_SCAN = 0xDA
_EXIF = b"Exif\x00\x00"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_EXIF = b"eXIf"
_MAX_CHUNKS = 64


def _reader(data: tf.Tensor):
  """A function index -> the byte there (int32), 0 past the end."""
  head = tf.strings.substr(data, 0, HEADER_BYTES)
  values = tf.cast(tf.io.decode_raw(head, tf.uint8), tf.int32)
  length = tf.shape(values)[0]
  padded = tf.concat([values, [0]], axis=0)

  def byte(index):
    index = tf.convert_to_tensor(index, tf.int32)
    inside = (index >= 0) & (index < length)
    return tf.gather(padded, tf.where(inside, index, length))
  return byte, length


def _jpeg_exif_start(byte, length) -> tf.Tensor:
  """The offset of the TIFF header in a JPEG's Exif APP1 segment, or -1."""
  def keep_going(position, found, step):
    return ((found < 0) & (step < _MAX_SEGMENTS) & (position + 4 <= length)
            & tf.equal(byte(position), 0xFF)
            & tf.not_equal(byte(position + 1), _START_OF_SCAN))

  def next_segment(position, found, step):
    size = byte(position + 2) * 256 + byte(position + 3)
    is_exif = tf.equal(byte(position + 1), _APP1)
    for i, expected in enumerate(_EXIF):
      is_exif &= tf.equal(byte(position + 4 + i), expected)
    found = tf.where(is_exif, position + 4 + len(_EXIF), found)
    return position + 2 + tf.maximum(size, 2), found, step + 1

  is_jpeg = tf.equal(byte(0), 0xFF) & tf.equal(byte(1), 0xD8)
  _, found, _ = tf.while_loop(keep_going, next_segment,
                              (tf.constant(2), tf.constant(-1),
                               tf.constant(0)))
  return tf.where(is_jpeg, found, -1)


def _png_exif_start(byte, length) -> tf.Tensor:
  """The offset of the TIFF header in a PNG's eXIf chunk, or -1.

  A chunk is a 4-byte big-endian data length, a 4-byte type, the data and a
  4-byte CRC; a length past `HEADER_BYTES` ends the walk.
  """
  def keep_going(position, found, step):
    return (found < 0) & (step < _MAX_CHUNKS) & (position + 8 <= length)

  def next_chunk(position, found, step):
    huge = (byte(position) > 0) | (byte(position + 1) > 0)
    size = tf.where(huge, HEADER_BYTES,
                    byte(position + 2) * 256 + byte(position + 3))
    is_exif = tf.constant(True)
    for i, expected in enumerate(_PNG_EXIF):
      is_exif &= tf.equal(byte(position + 4 + i), expected)
    found = tf.where(is_exif, position + 8, found)
    return position + 12 + size, found, step + 1

  is_png = tf.constant(True)
  for i, expected in enumerate(_PNG_SIGNATURE):
    is_png &= tf.equal(byte(i), expected)
  _, found, _ = tf.while_loop(keep_going, next_chunk,
                              (tf.constant(len(_PNG_SIGNATURE)),
                               tf.constant(-1), tf.constant(0)))
  return tf.where(is_png, found, -1)


def orientation(data: tf.Tensor) -> tf.Tensor:
  """The EXIF orientation (1 to 8) of an encoded image, a scalar int32."""
  byte, length = _reader(data)
  tiff = tf.maximum(_jpeg_exif_start(byte, length),
                    _png_exif_start(byte, length))
  little = tf.equal(byte(tiff), ord("I")) & tf.equal(byte(tiff + 1),
                                                     ord("I"))

  def number(offset, size):
    """The unsigned number of size bytes at tiff + offset (any shape)."""
    values = [byte(tiff + offset + i) for i in range(size)]
    big = tf.add_n([v * 256 ** (size - 1 - i) for i, v in enumerate(values)])
    small = tf.add_n([v * 256 ** i for i, v in enumerate(values)])
    return tf.where(little, small, big)

  first_ifd = number(4, 4)
  count = tf.minimum(number(first_ifd, 2), _MAX_ENTRIES)
  entries = first_ifd + 2 + 12 * tf.range(_MAX_ENTRIES)
  tags = number(entries, 2)
  values = number(entries + 8, 2)
  matches = (tf.equal(tags, _ORIENTATION_TAG)
             & (tf.range(_MAX_ENTRIES) < count))
  found = tf.reduce_max(tf.where(matches, values, 0))
  valid = (tiff >= 0) & (found >= 1) & (found <= 8)
  return tf.where(valid, found, 1)


def upright(data: tf.Tensor) -> tf.Tensor:
  """Decodes an encoded image and turns it upright: uint8 [H, W, 3]."""
  return pipeline.orient(pipeline.decode(data), orientation(data))

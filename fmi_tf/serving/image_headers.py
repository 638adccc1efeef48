"""Image sizes read from encoded headers, in the graph, before any decoding.

A request to the serving graph must not be able to exhaust the server's
memory: a PNG of a few hundred bytes can declare 30000×30000 pixels, and
decoding it would allocate gigabytes. `check` reads each image's declared
height and width from its header and refuses, naming the batch indices, a
batch with an image over `MAX_PIXELS` (or with no known format), so that
nothing is decoded.

The formats taken are those whose header bounds what decoding allocates:

* JPEG: `tf.image.extract_jpeg_shape` (the frame header);
* PNG: the IHDR chunk, width and height big-endian at bytes 16 and 20;
* BMP: width and height little-endian at bytes 18 and 22 (a negative
  height is a top-down bitmap).

GIF is refused: each of its frames declares its own size and all of them
are decoded, so its header does not bound the memory decoding takes.
"""

import tensorflow as tf

MAX_PIXELS = 4096 * 4096
FORMATS = ("JPEG", "PNG", "BMP")
_JPEG, _PNG, _BMP = b"\xff\xd8\xff", b"\x89PNG", b"BM"
# Bytes read from the start of every image: the farthest field's end.
_HEADER = 26
# Batch indices (and sizes) an error message shows.
_SHOWN = 32


def _starts_with(image_bytes: tf.Tensor, magic: bytes) -> tf.Tensor:
  return tf.equal(tf.strings.substr(image_bytes, 0, len(magic)), magic)


def _field(header: tf.Tensor, offset: int, big_endian: bool) -> tf.Tensor:
  """Unsigned 32-bit integers at offset of [B, _HEADER] uint8, as int64."""
  data = tf.cast(header[:, offset:offset + 4], tf.int64)
  weights = tf.constant([2**24, 2**16, 2**8, 1] if big_endian
                        else [1, 2**8, 2**16, 2**24], tf.int64)
  return tf.reduce_sum(data * weights, axis=1)


def _signed(value: tf.Tensor) -> tf.Tensor:
  """The absolute value of 32-bit two's complement integers (int64)."""
  return tf.abs(tf.where(value >= 2**31, value - 2**32, value))


def _jpeg_dimensions(image_bytes: tf.Tensor,
                     is_jpeg: tf.Tensor) -> tf.Tensor:
  """[B, 2] height, width of the JPEGs (zeros for the other images)."""
  return tf.map_fn(
      lambda element: tf.cond(
          element[1],
          lambda: tf.cast(tf.image.extract_jpeg_shape(element[0])[:2],
                          tf.int64),
          lambda: tf.zeros([2], tf.int64)),
      (image_bytes, is_jpeg),
      fn_output_signature=tf.TensorSpec([2], tf.int64))


def dimensions(image_bytes: tf.Tensor) -> tf.Tensor:
  """[B] encoded images -> [B, 2] int64 declared height, width.

  Images of no format in `FORMATS` get (0, 0).
  """
  padded = tf.strings.join([image_bytes, tf.fill(tf.shape(image_bytes),
                                                 b"\0" * _HEADER)])
  header = tf.io.decode_raw(tf.strings.substr(padded, 0, _HEADER), tf.uint8,
                            fixed_length=_HEADER)
  png = tf.stack([_field(header, 20, True), _field(header, 16, True)], 1)
  bmp = tf.stack([_signed(_field(header, 22, False)),
                  _signed(_field(header, 18, False))], 1)
  jpeg = _jpeg_dimensions(image_bytes, _starts_with(image_bytes, _JPEG))
  return tf.where(_starts_with(image_bytes, _PNG)[:, None], png,
                  tf.where(_starts_with(image_bytes, _BMP)[:, None], bmp,
                           jpeg))


def check(image_bytes: tf.Tensor, max_pixels: int = MAX_PIXELS) -> tf.Tensor:
  """The batch, once its formats and declared sizes are checked.

  Args:
    image_bytes: [B] encoded images.
    max_pixels: the most pixels (height × width) an image may declare.

  Returns:
    image_bytes, to be decoded only after the checks (a control dependency).

  Raises:
    tf.errors.InvalidArgumentError: when the graph runs, for a batch with an
      image of no format in `FORMATS` or over max_pixels, naming its index.
  """
  known = tf.zeros_like(image_bytes, tf.bool)
  for magic in (_JPEG, _PNG, _BMP):
    known |= _starts_with(image_bytes, magic)
  known_check = tf.debugging.Assert(tf.reduce_all(known), [
      "cannot decode image_bytes: no JPEG, PNG or BMP image (GIF is not "
      "taken) at batch indices", tf.where(tf.logical_not(known))[:, 0]],
      summarize=_SHOWN)
  with tf.control_dependencies([known_check]):
    size = dimensions(image_bytes)
  too_large = size[:, 0] * size[:, 1] > max_pixels
  size_check = tf.debugging.Assert(tf.reduce_all(tf.logical_not(too_large)), [
      f"image_bytes over {max_pixels} pixels (height x width), not decoded, "
      "at batch indices", tf.where(too_large)[:, 0], "declaring height, width",
      tf.boolean_mask(size, too_large)], summarize=_SHOWN)
  with tf.control_dependencies([size_check]):
    return tf.identity(image_bytes)

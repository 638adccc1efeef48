"""The serving models' input adapters: a request's images, fitted in graph.

Every image signature of the exported models starts here, so encoded
images and pixel arrays reach the models exactly as in training:

* `decode_batch` takes `image_bytes`, a [B] batch of encoded images (JPEG,
  PNG or BMP; TF Serving's REST API takes them as `{"b64": ...}`), checks
  the size each one declares in its header (`image_headers`), then decodes
  them, turns JPEGs upright by their EXIF orientation (`exif`) and applies
  the resize/crop policy of `datasets.pipeline.fit_image`;
* `fit_batch` takes `images`, uint8 [B, H, W, 3], and applies the same
  policy.

A batch of more than `MAX_BATCH` images (or descriptors: `bounded_batch`)
fails with InvalidArgumentError naming the limit; so does an image that is
no JPEG, PNG or BMP or that declares more than `max_pixels` pixels, naming
its index, before anything is decoded. The fitting bounds the work per
image whatever its aspect ratio (`pipeline.fit_image`).
"""

import tensorflow as tf

from fmi_tf.datasets import pipeline
from fmi_tf.serving import exif
from fmi_tf.serving import image_headers

BYTES_SPEC = tf.TensorSpec([None], tf.string, name="image_bytes")
UINT8_SPEC = tf.TensorSpec([None, None, None, 3], tf.uint8, name="images")
# The most images one request (or one batch TF Serving's batching forms) may
# hold: the work per request is bounded in the graph.
MAX_BATCH = 32


def bounded_batch(batch: tf.Tensor) -> tf.Tensor:
  """The batch, once it is checked to hold at most `MAX_BATCH` elements.

  Raises:
    tf.errors.InvalidArgumentError: when the graph runs, for a larger batch,
      naming the limit.
  """
  count = tf.shape(batch)[0]
  check = tf.debugging.Assert(count <= MAX_BATCH, [
      f"a request may hold at most {MAX_BATCH} images or descriptors "
      "(MAX_BATCH); this one holds", count])
  with tf.control_dependencies([check]):
    return tf.identity(batch)


def decode_batch(image_bytes: tf.Tensor, size: int,
                 max_pixels: int = image_headers.MAX_PIXELS) -> tf.Tensor:
  """[B] encoded images -> float [B, size, size, 3] in [0, 1], upright.

  Raises:
    tf.errors.InvalidArgumentError: when an element is not an image or
      declares more than max_pixels pixels (checked before decoding).
  """
  checked = image_headers.check(bounded_batch(image_bytes), max_pixels)
  return tf.map_fn(lambda data: pipeline.fit_image(exif.upright(data), size),
                   checked, fn_output_signature=tf.TensorSpec([size, size, 3]))


def fit_batch(images: tf.Tensor, size: int) -> tf.Tensor:
  """uint8 [B, H, W, 3] -> float [B, size, size, 3] in [0, 1]."""
  return tf.map_fn(lambda image: pipeline.fit_image(image, size),
                   bounded_batch(images),
                   fn_output_signature=tf.TensorSpec([size, size, 3]))

"""The tf.data input pipeline: parallel decode, resize-and-crop, prefetch.

Resize/crop policy (the same in training, evaluation and the exported
SavedModels): the image is decoded to RGB (greyscale is replicated, alpha
dropped, an animation gives its first frame), its *shorter* side is resized
to `size` pixels (bilinear, antialiased, aspect ratio kept), and the central
`size` x `size` square is cut out. Pixels become float32 RGB in [0, 1].
Textures are stationary, so the crop loses little, and a fixed square shape
lets images of any size be batched.

Files are read by `read_image`: the size and the EXIF orientation come
from the file's header first (`fmi_tf.io.images.header`), so an image of
more than `fmi_tf.io.images.MAX_PIXELS` pixels (a decompression bomb: a
small file declaring, say, 20000 x 20000) is never decoded, and a photo
taken sideways is turned upright. `split.file_examples` skips a file that
cannot be read or decoded, or is over the limit: each element carries its
image's name, so the caller finds and counts the skipped names by
difference (see `descriptor_cache`). tf.data logs each skipped element too,
with the reason.
"""

import numpy as np
import tensorflow as tf

from fmi_tf.io import images as image_io


def decode(data: tf.Tensor) -> tf.Tensor:
  """Decodes JPEG/PNG/GIF/BMP bytes to uint8 RGB [H, W, 3]."""
  image = tf.io.decode_image(data, channels=3, expand_animations=False)
  image.set_shape([None, None, 3])
  return image


def orient(image: tf.Tensor, orientation: tf.Tensor) -> tf.Tensor:
  """Turns an [H, W, C] image upright by its EXIF orientation (1 to 8)."""
  def turned(k):
    return lambda: tf.image.rot90(image, k)
  branches = [
      lambda: image,
      lambda: tf.reverse(image, [1]),
      turned(2),
      lambda: tf.reverse(image, [0]),
      lambda: tf.transpose(image, [1, 0, 2]),
      turned(3),
      lambda: tf.reverse(tf.transpose(image, [1, 0, 2]), [0, 1]),
      turned(1),
  ]
  index = tf.clip_by_value(tf.cast(orientation, tf.int32) - 1, 0, 7)
  return tf.switch_case(index, branches)


def _checked_orientation(data: bytes, name: bytes) -> np.ndarray:
  """The EXIF orientation of image bytes; raises ImageError over the limit."""
  return np.int32(image_io.header(bytes(data), name.decode("utf8"))[2])


def read_image(data: tf.Tensor, name: tf.Tensor) -> tf.Tensor:
  """Checks an image file's header, then decodes it upright, for tf.data.

  Args:
    data: the file's bytes.
    name: the image's name, for the error.

  Returns:
    uint8 RGB [H, W, 3], EXIF orientation applied. Computing it fails (a
    `tf.errors` error carrying the `ImageError`'s message, which tf.data's
    `ignore_errors` skips) for no image, or one of more than
    `fmi_tf.io.images.MAX_PIXELS` pixels, before any pixel is decoded.
  """
  orientation = tf.numpy_function(_checked_orientation, [data, name],
                                  tf.int32, stateful=False)
  with tf.control_dependencies([orientation]):  # Checked, then decoded.
    image = orient(decode(tf.identity(data)), orientation)
  image.set_shape([None, None, 3])
  return image


# The longest side `fit_image` resizes, in shorter sides.
MAX_ASPECT = 4


def fit_image(image: tf.Tensor, size: int) -> tf.Tensor:
  """Applies the resize/crop policy: uint8 [H, W, 3] -> float [size, size, 3].

  Args:
    image: one RGB image, uint8 (or float in [0, 1]).
    size: the side of the square output.

  Returns:
    float32 RGB in [0, 1]: shorter side resized to `size`, central crop.
    The longer side is first cut to at most `MAX_ASPECT` shorter sides
    around its centre (which keeps the crop), so the resized image holds at
    most `MAX_ASPECT * size**2` pixels whatever the aspect ratio: a 1 x
    100000 strip is not scaled up to 224 x 22400000.
  """
  shape = tf.shape(image)[:2]
  kept = tf.minimum(shape, MAX_ASPECT * tf.reduce_min(shape))
  top, left = (shape[0] - kept[0]) // 2, (shape[1] - kept[1]) // 2
  image = image[top:top + kept[0], left:left + kept[1]]
  image = tf.image.convert_image_dtype(image, tf.float32)
  shape = tf.cast(kept, tf.float32)
  scale = tf.cast(size, tf.float32) / tf.reduce_min(shape)
  new_shape = tf.maximum(tf.cast(tf.round(shape * scale), tf.int32), size)
  image = tf.image.resize(image, new_shape, antialias=True)
  top = (new_shape[0] - size) // 2
  left = (new_shape[1] - size) // 2
  image = image[top:top + size, left:left + size]
  image.set_shape([size, size, 3])
  return tf.clip_by_value(image, 0.0, 1.0)


def batches(images: tf.data.Dataset, size: int,
            batch_size: int) -> tf.data.Dataset:
  """Batches of fitted images: {"name": [B], "image": [B, S, S, 3], "label"}.

  Args:
    images: {"name", "image", "label"} elements (`Examples.images()`).
    size: the side of the fitted square images.
    batch_size: images per batch.


  Decoding and fitting run in parallel, and batches are prefetched so that
  the encoder never waits for the disk.
  """

  def fit(element):
    return dict(element, image=fit_image(element["image"], size))

  dataset = images.map(fit, num_parallel_calls=tf.data.AUTOTUNE,
                       deterministic=True)
  return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)

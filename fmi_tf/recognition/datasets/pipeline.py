"""The tf.data input pipeline: parallel decode, resize-and-crop, prefetch.

Resize/crop policy (the same in training, evaluation and the exported
SavedModels): the image is decoded to RGB (greyscale is replicated, alpha
dropped, an animation gives its first frame), its *shorter* side is resized
to `size` pixels (bilinear, antialiased, aspect ratio kept), and the central
`size` x `size` square is cut out. Pixels become float32 RGB in [0, 1].
Textures are stationary, so the crop loses little, and a fixed square shape
lets images of any size be batched.

Files are decoded by `split.file_examples`, which skips a file that cannot
be read or decoded: each element carries its image's name, so the caller
finds the skipped names by difference (see `descriptor_cache`). tf.data logs
each skipped element too.
"""

import tensorflow as tf


def decode(data: tf.Tensor) -> tf.Tensor:
  """Decodes JPEG/PNG/GIF/BMP bytes to uint8 RGB [H, W, 3]."""
  image = tf.io.decode_image(data, channels=3, expand_animations=False)
  image.set_shape([None, None, 3])
  return image


def fit_image(image: tf.Tensor, size: int) -> tf.Tensor:
  """Applies the resize/crop policy: uint8 [H, W, 3] -> float [size, size, 3].

  Args:
    image: one RGB image, uint8 (or float in [0, 1]).
    size: the side of the square output.

  Returns:
    float32 RGB in [0, 1]: shorter side resized to `size`, central crop.
  """
  image = tf.image.convert_image_dtype(image, tf.float32)
  shape = tf.cast(tf.shape(image)[:2], tf.float32)
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

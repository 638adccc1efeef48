"""Images to classify, fitted as in training and serving.

A classifier (`training.TextureClassifier`) takes image files, RGB arrays
[N, H, W, 3] (or one [H, W, 3]) in [0, 1] (or uint8), or a sequence of
paths and arrays (`Images`). Each is fitted exactly as the training
pipeline and the exported SavedModels fit it (`datasets.pipeline`): a file's
header is checked first and its EXIF orientation applied; an array must
follow `fmi_tf.io.images.array_rgb`'s rule; the shorter side is resized to
the image size and the central square cropped.
"""

import os
from typing import Sequence, Union

import numpy as np
import tensorflow as tf

from fmi_tf import errors
from fmi_tf.datasets import pipeline
from fmi_tf.io import images as image_io

# Images to classify: a path, RGB arrays [N, H, W, 3] (or one [H, W, 3]) in
# [0, 1] (or uint8), or a sequence of paths and [H, W, 3] arrays.
Images = Union[str, os.PathLike, np.ndarray, Sequence]


def _decoded(image) -> tf.Tensor:
  """An image file or array as a uint8 or float RGB tensor [H, W, 3].

  A file is read as in training: its header is checked first, and its EXIF
  orientation applied (`pipeline.read_image`).

  Raises:
    ImageError: for a file that cannot be read or decoded, or one of more
      than `fmi_tf.io.images.MAX_PIXELS` pixels; for an array outside the
      rule of `fmi_tf.io.images.array_rgb`.
  """
  if not isinstance(image, (str, os.PathLike)):
    return tf.convert_to_tensor(image_io.array_rgb(image, "images"))
  path = os.fspath(image)
  try:
    with open(path, "rb") as f:
      data = f.read()
  except OSError as e:
    raise errors.ImageError(f"cannot read image {path}: {e.strerror}") \
        from None
  orientation = image_io.header(data, path)[2]
  try:
    return pipeline.orient(pipeline.decode(tf.constant(data)), orientation)
  except tf.errors.InvalidArgumentError:
    raise errors.ImageError(f"cannot decode image {path}") from None


def fitted_images(images: Images, size: int) -> tf.Tensor:
  """Images fitted as in training and serving: float [N, size, size, 3].

  Raises:
    ImageError: for a file that cannot be read or decoded.
  """
  if isinstance(images, (str, os.PathLike)) or (
      isinstance(images, np.ndarray) and images.ndim == 3):
    images = [images]
  if not isinstance(images, (list, tuple, np.ndarray)):
    raise errors.ImageError(
        "images must be a path, an image array or a list of them, not "
        f"{errors.shown(images)}")
  fitted = [pipeline.fit_image(_decoded(image), size) for image in images]
  if not fitted:
    return tf.zeros([0, size, size, 3])
  return tf.stack(fitted)

"""A dataset's mean amplitude spectrum: the natural magnitude MaCo keeps.

MaCo (`fmi_tf.param.maco`) optimises the phase of an image's spectrum and
fixes its magnitude; the magnitude of the images a user cares about (their
textures, their photos) makes pictures with those images' power spectrum.
"""

import numpy as np
import tensorflow as tf

from fmi_tf import datasets
from fmi_tf import errors
from fmi_tf import limits
from fmi_tf.datasets import pipeline
from fmi_tf.optim import parameterization

DEFAULT_LIMIT = 256
_BATCH = 16


def natural_spectrum(source: datasets.Source, height: int,
                     width: "int | None" = None,
                     limit: int = DEFAULT_LIMIT) -> np.ndarray:
  """The mean spectrum magnitude of a dataset's images, for MaCo.

  Each training image is fitted to a square of the larger side (shorter side
  resized, central crop), cropped to height x width at its centre, mapped to
  MaCo's decorrelated colour space, and transformed (`tf.signal.rfft2d`);
  the magnitudes are averaged.

  Examples:
    >>> spectrum = fmi_tf.natural_spectrum("folder:textures/", 128)
    >>> fmi_tf.render(net, "block4_conv1:7",
    ...               param=fmi_tf.param.maco(spectrum))

  Args:
    source: a dataset spec (`folder:PATH`, `dtd:PATH`, ...) or a dataset.
    height: image height of the pictures to render.
    width: their width (default: `height`).
    limit: the most images read.

  Returns:
    [3, height, width // 2 + 1] float32 magnitudes.

  Raises:
    ArgumentError: for a bad source or size, or a source with no readable
      image.
  """
  width = height if width is None else width
  height, width = (limits.check_count(what, value, 1, limits.MAX_SIZE)
                   for what, value in (("height", height), ("width", width)))
  limit = limits.check_count("limit", limit, 1, limits.MAX_IMAGES_PER_ITEM)
  examples = datasets.resolve(source).train
  side = max(height, width)
  top, left = (side - height) // 2, (side - width) // 2
  color = parameterization.DecorrelatedColor()
  total = np.zeros((3, height, width // 2 + 1), np.float64)
  count = 0
  for batch in pipeline.batches(examples.images().take(limit), side, _BATCH):
    images = batch["image"][:, top:top + height, left:left + width]
    values = tf.transpose(color.from_rgb(images), [0, 3, 1, 2])
    total += tf.reduce_sum(tf.abs(tf.signal.rfft2d(values)), 0).numpy()
    count += int(images.shape[0])
  if not count:
    raise errors.ArgumentError(
        f"{source!r} holds no readable image to take a spectrum from")
  return (total / count).astype(np.float32)

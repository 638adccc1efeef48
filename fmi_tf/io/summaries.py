"""TensorBoard summaries that cost nothing when no log directory is given.

The log directory is created with the first summary, not before, so a run
refused for a bad argument leaves no empty log directory behind.
"""

import os
from typing import Mapping, Optional

import numpy as np
import tensorflow as tf

from fmi_tf.io import grid
from fmi_tf.io import outputs


class SummaryWriter:
  """Writes scalars and image grids to TensorBoard, or nothing without logdir."""

  def __init__(self, logdir: Optional[str]):
    """Checks, creating nothing yet, that `logdir` can be made.

    Args:
      logdir: the directory, or None (or "") for none.

    Raises:
      ArgumentError: if `logdir` is no path.
      OutputError: if it is under a regular file or cannot be written.
    """
    if isinstance(logdir, str) and not logdir:
      logdir = None
    if logdir is not None:
      outputs.check_creatable(logdir, "logdir")
      logdir = os.fspath(logdir)
    self._logdir = logdir
    self._created = None

  @property
  def enabled(self) -> bool:
    return bool(self._logdir)

  @property
  def written(self) -> bool:
    """Whether a summary has been written (the log directory exists)."""
    return self._created is not None

  @property
  def _writer(self):
    """The file writer, created on first use; None without a logdir."""
    if self._logdir and self._created is None:
      self._created = tf.summary.create_file_writer(self._logdir)
    return self._created

  def scalars(self, step: int, values: Mapping[str, float]) -> None:
    """Writes one scalar per name at `step`."""
    if not self._writer:
      return
    with self._writer.as_default(step=step):
      for name, value in values.items():
        tf.summary.scalar(name, float(value))

  def image_grid(self, step: int, name: str, images: np.ndarray) -> None:
    """Writes [N, H, W, 3] images in [0, 1] tiled into one image."""
    if not self._writer:
      return
    with self._writer.as_default(step=step):
      tf.summary.image(name, grid.tile(np.asarray(images))[None])

  def images(self, step: int, named_images: Mapping[str, np.ndarray]) -> None:
    """Writes single [H, W, 3] images in [0, 1], one per name."""
    if not self._writer:
      return
    with self._writer.as_default(step=step):
      for name, image in named_images.items():
        tf.summary.image(name, np.asarray(image)[None])

  def flush(self) -> None:
    if self._created:
      self._created.flush()

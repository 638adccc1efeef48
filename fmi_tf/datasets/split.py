"""Labelled images: the examples of one part, a dataset of two parts.

`Examples` name their images and read them lazily as a tf.data dataset, so
that a split of thousands of images costs nothing until it is encoded, and
a subset (the images missing from a descriptor cache) is read alone.
"""

import dataclasses
from typing import Callable, Optional

import numpy as np
import tensorflow as tf

from fmi_tf.datasets import pipeline

# Builds a dataset of {"name": string, "image": uint8 [H, W, 3], "label":
# int64} elements, of the named images only (all when given None).
ImageDatasetFactory = Callable[[Optional[tuple[str, ...]]], tf.data.Dataset]


@dataclasses.dataclass(frozen=True)
class Examples:
  """Labelled images of one split, read lazily.

  Attributes:
    names: a unique name per image (a relative path, or split/index).
    read: builds a dataset of {"name", "image", "label"} elements in the
      order of `names`, of a subset of names if given; undecodable images
      are left out.
  """
  names: tuple[str, ...]
  read: ImageDatasetFactory

  def __len__(self) -> int:
    return len(self.names)

  def images(self) -> tf.data.Dataset:
    """The dataset of this split's images."""
    return self.read(self.names)

  def subset(self, names: tuple[str, ...]) -> "Examples":
    """The examples of some of the names, read without the others."""
    return Examples(tuple(names), lambda _: self.read(tuple(names)))


def file_examples(paths: list[str], labels: list[int], names: list[str],
                  boxes: np.ndarray | None = None) -> Examples:
  """Examples read from image files, optionally cut to boxes.

  Args:
    paths: image files.
    labels: class index per file.
    names: unique names, one per file.
    boxes: optional int [N, 4] (top, left, height, width) crops.

  Returns:
    Examples decoding the files in parallel (`pipeline.read_image`);
    unreadable ones, and those over the pixel limit, are skipped.
  """
  if boxes is None:
    boxes = np.full((len(paths), 4), -1, np.int32)

  def read(name, path, label, box):
    image = pipeline.read_image(tf.io.read_file(path), name)
    if box[0] >= 0:
      image = tf.image.crop_to_bounding_box(image, box[0], box[1], box[2],
                                            box[3])
    return {"name": name, "image": image, "label": label}

  def images(wanted: Optional[tuple[str, ...]]) -> tf.data.Dataset:
    keep = np.isin(np.asarray(names), np.asarray(wanted or names))
    dataset = tf.data.Dataset.from_tensor_slices(
        (list(np.asarray(names)[keep]), list(np.asarray(paths)[keep]),
         np.asarray(labels, np.int64)[keep],
         np.asarray(boxes, np.int32)[keep]))
    dataset = dataset.map(read, num_parallel_calls=tf.data.AUTOTUNE,
                          deterministic=True)
    return dataset.ignore_errors(log_warning=True)

  return Examples(tuple(names), images)




@dataclasses.dataclass(frozen=True)
class Dataset:
  """A named dataset with its classes and its two parts.

  Attributes:
    name: the dataset's identity (spec with absolute paths), for caches.
    class_names: class names; labels index into them.
    train: the training part.
    test: the held-out part.
    protocol: how the parts were made (fold, fraction and seed, tiling).
  """
  name: str
  class_names: tuple[str, ...]
  train: Examples
  test: Examples
  protocol: str

  @property
  def num_classes(self) -> int:
    return len(self.class_names)

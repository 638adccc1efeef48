"""A dataset's images split into an exemplar part and a disjoint query part.

Every image is fitted to one square size by the recognition pipeline's
policy (shorter side resized, central square cut), so that pictures,
exemplars and queries are compared at one scale. The split is a seeded
permutation of the dataset's images (both of its parts), cut at
`exemplar_fraction`.
"""

import dataclasses
from typing import Optional, Sequence

import numpy as np
import tensorflow as tf

from fmi_tf import datasets
from fmi_tf import errors
from fmi_tf import limits
from fmi_tf.datasets import pipeline
from fmi_tf.nets import feature_model

# Images encoded per call of a feature model.
_BATCH = 16


@dataclasses.dataclass(frozen=True)
class ImageSplit:
  """Fitted images of the two parts.

  Attributes:
    exemplars: [N_e, S, S, 3] float32 RGB in [0, 1], where natural
      exemplars are drawn from.
    queries: [N_q, S, S, 3], where each filter's queries are drawn from.
    exemplar_names: the names of the exemplar images.
    query_names: the names of the query images.
    skipped: names of images that could not be read.
  """
  exemplars: np.ndarray
  queries: np.ndarray
  exemplar_names: tuple[str, ...]
  query_names: tuple[str, ...]
  skipped: tuple[str, ...] = ()


def _read(dataset: datasets.Dataset, size: int, names: Sequence[str]
          ) -> tuple[np.ndarray, list[str]]:
  """The named images of a dataset, fitted: (images, names read)."""
  images, read, names = [], [], set(names)
  for part in (dataset.train, dataset.test):
    wanted = tuple(n for n in part.names if n in names)
    if not wanted:
      continue
    for batch in pipeline.batches(part.subset(wanted).images(), size, _BATCH):
      images.append(batch["image"].numpy())
      read += [n.decode("utf8") for n in batch["name"].numpy()]
  if not images:
    return np.zeros((0, size, size, 3), np.float32), []
  return np.concatenate(images), read


def _check_counts(count: int, exemplar_fraction: float, min_exemplars: int,
                  min_queries: int, what: str) -> int:
  """The number of exemplars of `count` images; raises ArgumentError if
  either part would be too small."""
  cut = round(count * exemplar_fraction)
  if cut < min_exemplars or count - cut < min_queries:
    raise errors.ArgumentError(
        f"the dataset gives {count} {what}: {cut} exemplars and "
        f"{count - cut} queries, but the measure needs at least "
        f"{min_exemplars} exemplars and {min_queries} queries")
  return cut


def split_images(source: "datasets.Source | np.ndarray", size: int,
                 images: Optional[int] = None,
                 exemplar_fraction: float = 0.5, seed: int = 0,
                 min_exemplars: int = 1, min_queries: int = 1) -> ImageSplit:
  """Reads a dataset and splits its images into exemplars and queries.

  Examples:
    >>> split = split_images("folder:dtd10/", 128, images=200)
    >>> split.exemplars.shape, split.queries.shape

  Args:
    source: a dataset spec (`folder:PATH`, `dtd:PATH`, ...), a loaded
      `datasets.Dataset`, or an [N, S, S, 3] array of RGB images in [0, 1]
      already at `size`.
    size: the side of the square images.
    images: use this many images, drawn by `seed` (None: all).
    exemplar_fraction: the share of the images in the exemplar part.
    seed: seeds the choice and the split.
    min_exemplars: the fewest exemplar images the caller can use.
    min_queries: the fewest query images the caller can use.

  Returns:
    The two parts.

  Raises:
    ArgumentError: for a fraction outside (0, 1), a count of images that
      is not positive, an array of another shape, or too few images for
      the split.
  """
  errors.check_fraction("exemplar_fraction", exemplar_fraction)
  if images is not None:
    images = limits.check_count("images", images, 1,
                                limits.MAX_IMAGES_PER_ITEM)
  rng = np.random.default_rng(seed)
  skipped: tuple[str, ...] = ()
  if isinstance(source, np.ndarray):
    if source.ndim != 4 or source.shape[1:] != (size, size, 3):
      raise errors.ArgumentError(
          f"dataset images must be [N, {size}, {size}, 3], not "
          f"{list(source.shape)}")
    pool = source.astype(np.float32)
    names = [f"image/{i}" for i in range(len(pool))]
    order = rng.permutation(len(pool))[:images]
    pool, names = pool[order], [names[i] for i in order]
  else:
    dataset = datasets.resolve(source)
    all_names = list(dataset.train.names) + list(dataset.test.names)
    chosen = [all_names[i] for i in rng.permutation(len(all_names))[:images]]
    _check_counts(len(chosen), exemplar_fraction, min_exemplars, min_queries,
                  "images")  # Before any is read.
    pool, names = _read(dataset, size, chosen)
    skipped = tuple(sorted(set(chosen) - set(names)))
    rank = {name: i for i, name in enumerate(chosen)}
    order = sorted(range(len(names)), key=lambda i: rank[names[i]])
    pool, names = pool[order], [names[i] for i in order]
  cut = _check_counts(len(pool), exemplar_fraction, min_exemplars,
                     min_queries, "readable images")
  return ImageSplit(pool[:cut], pool[cut:], tuple(names[:cut]),
                    tuple(names[cut:]), skipped)


def spatial_means(backbone: feature_model.Backbone, layers: Sequence[str],
                  images: np.ndarray) -> dict[str, np.ndarray]:
  """Each filter's spatial mean activation on each image (after the ReLU).

  Args:
    backbone: the network under test.
    layers: canonical layer names.
    images: [N, H, W, 3] RGB in [0, 1].

  Returns:
    {layer: [N, C] float64}.
  """
  model = feature_model.feature_model(backbone, layers, precision="float32")
  means = {layer: [] for layer in layers}
  for start in range(0, len(images), _BATCH):
    codes = model(tf.constant(images[start:start + _BATCH]), training=False)
    for layer in layers:
      means[layer].append(
          tf.reduce_mean(codes[layer], axis=[1, 2]).numpy().astype(np.float64))
  return {layer: np.concatenate(values) for layer, values in means.items()}

"""Each filter's queries: the images that drive it most and least.

Q+ are the query images with the highest spatial-mean activation of the
filter; Q- are as many images, half from the bottom of the ranking and half
around its median (so that Q- holds both silent and ordinary images).
Filters that do not fire on all of their Q+ images are dead on the dataset
and are not measured.
"""

import dataclasses

import numpy as np

from fmi_tf import errors


@dataclasses.dataclass(frozen=True)
class Queries:
  """One filter's query images, as indices into the query part.

  Attributes:
    positive: the `n` images that activate the filter most, highest first.
    negative: `n // 2` images from the bottom and the rest around the median.
  """
  positive: np.ndarray
  negative: np.ndarray


def min_query_images(n: int) -> int:
  """The fewest query images that give `n` Q+ and `n` disjoint Q-."""
  return 3 * n


def filter_queries(means: np.ndarray, n: int) -> Queries:
  """Q+ and Q- of one filter from its activation on each query image.

  Examples:
    >>> filter_queries(np.array([5., 0., 3., 1., 2., 4.]), 2)
    Queries(positive=array([0, 5]), negative=array([1, 2]))

  Args:
    means: [N_q] the filter's spatial mean activation on each query image.
    n: the size of Q+ and of Q-.

  Returns:
    The queries; ties are broken by image order.

  Raises:
    ArgumentError: if the query part has fewer than `min_query_images(n)`.
  """
  if len(means) < min_query_images(n):
    raise errors.ArgumentError(
        f"{len(means)} query images cannot give {n} queries of each kind; "
        f"give at least {min_query_images(n)}")
  ascending = np.argsort(means, kind="stable")
  bottom = n // 2
  around_median = n - bottom
  start = len(means) // 2 - around_median // 2
  negative = np.concatenate(
      [ascending[:bottom], ascending[start:start + around_median]])
  return Queries(ascending[::-1][:n], negative)


def live_filters(means: np.ndarray, n: int) -> np.ndarray:
  """The filters that fire on each of their `n` strongest query images.

  Args:
    means: [N_q, C] spatial means on the query part.
    n: the size of Q+.

  Returns:
    The indices of those filters, ascending.
  """
  nth_highest = np.sort(means, axis=0)[-n]
  return np.flatnonzero(nth_highest > 0)


def sample_filters(means: np.ndarray, n: int, count: int, layer: str,
                   rng: np.random.Generator) -> np.ndarray:
  """`count` live filters drawn at random (all if fewer), ascending.

  Raises:
    ArgumentError: if fewer than two filters of the layer are live (the
      method-matched null needs another filter).
  """
  live = live_filters(means, n)
  if len(live) < 2:
    raise errors.ArgumentError(
        f"{layer} has {len(live)} filters that fire on the dataset's "
        f"{n} strongest query images (of {means.shape[1]}); the measure "
        "needs at least 2")
  return np.sort(rng.choice(live, min(count, len(live)), replace=False))

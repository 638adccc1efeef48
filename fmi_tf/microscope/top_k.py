"""A running top-k per filter: the k strongest responses seen so far.

Memory stays `C x k` whatever the number of images: each batch's per-image
maxima are merged with the current k and only the k largest are kept. A
state is plain arrays, so it is saved, resumed and merged across shards
(`merged`) with the same rule.
"""

import dataclasses

import numpy as np

# Image index of an empty slot (fewer than k images seen).
EMPTY = -1


@dataclasses.dataclass
class TopK:
  """The k strongest responses of each of C filters, strongest first.

  Attributes:
    scores: float32 [C, k] the maxima of the filter's map (-inf: empty).
    images: int64 [C, k] index of the image of each maximum (EMPTY).
    rows: int32 [C, k] row of the maximum in the layer's map.
    cols: int32 [C, k] column of the maximum.
  """
  scores: np.ndarray
  images: np.ndarray
  rows: np.ndarray
  cols: np.ndarray

  @classmethod
  def empty(cls, channels: int, k: int) -> "TopK":
    return cls(np.full((channels, k), -np.inf, np.float32),
               np.full((channels, k), EMPTY, np.int64),
               np.zeros((channels, k), np.int32),
               np.zeros((channels, k), np.int32))

  @property
  def k(self) -> int:
    return self.scores.shape[1]

  def add(self, scores: np.ndarray, images: np.ndarray, rows: np.ndarray,
          cols: np.ndarray) -> None:
    """Merges a batch: scores, rows, cols [B, C] of images [B]."""
    batch = scores.shape[0]
    self._keep(np.concatenate([self.scores, scores.T], axis=1),
               np.concatenate([self.images, np.broadcast_to(
                   images[None, :], (scores.shape[1], batch))], axis=1),
               np.concatenate([self.rows, rows.T], axis=1),
               np.concatenate([self.cols, cols.T], axis=1))

  def merge(self, other: "TopK") -> None:
    """Merges another state of the same filters (another shard's)."""
    self._keep(*(np.concatenate([a, b], axis=1) for a, b in zip(
        self.as_arrays(), other.as_arrays())))

  def _keep(self, scores, images, rows, cols) -> None:
    # Ties are broken by image index, so the result does not depend on the
    # order in which batches or shards arrive.
    order = np.lexsort((images, -scores), axis=-1)[:, :self.k]
    take = lambda a: np.take_along_axis(a, order, axis=1)
    self.scores, self.images = take(scores), take(images)
    self.rows, self.cols = take(rows), take(cols)

  def as_arrays(self) -> tuple[np.ndarray, ...]:
    return self.scores, self.images, self.rows, self.cols

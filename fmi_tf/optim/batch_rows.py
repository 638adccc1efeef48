"""Which rows of a batch the loop computes, and moving state between them.

After each compiled call the loop narrows its batch to the images still
running (a gather), padded to a power of two with stopped rows whose results
are discarded, so that it compiles for few shapes; the state of the whole
batch is kept and the computed rows are scattered back into it.
"""

import numpy as np
import tensorflow as tf

# The smallest batch computed: a batch of one uses the cores poorly.
SMALLEST_BATCH = 4


def rows_to_compute(running: np.ndarray, batch: int) -> np.ndarray:
  """The sorted rows to compute: the running ones, padded with stopped rows.

  Their count is rounded up to a power of two of at least `SMALLEST_BATCH`
  (and at most `batch`), so the loop is traced for a few batch shapes only,
  however its images stop. (Tracing a shape takes longer than tens of steps
  of a few images.)

  Args:
    running: indices of the running rows.
    batch: the whole batch's size.
  """
  size = min(batch, max(SMALLEST_BATCH,
                        1 << (running.size - 1).bit_length()))
  stopped = np.setdiff1d(np.arange(batch), running)
  return np.sort(np.concatenate([running, stopped[:size - running.size]]))


def gather(state, rows):
  """The rows `rows` of every tensor of a nested state."""
  return tf.nest.map_structure(lambda t: tf.gather(t, rows), state)


def scatter(state, rows: np.ndarray, part):
  """`state` with the rows `rows` of every tensor replaced by `part`'s."""
  indices = tf.constant(rows[:, None])
  return tf.nest.map_structure(
      lambda whole, new: tf.tensor_scatter_nd_update(whole, indices, new),
      state, part)


def narrow(targets, rows: np.ndarray, batch: int):
  """Keeps the rows `rows` of every target tensor batched like the images.

  Tensors whose leading dimension is not `batch` (such as one code shared by
  all images) are kept whole.
  """
  if len(rows) == batch:
    return targets
  return tf.nest.map_structure(
      lambda t: tf.gather(t, rows) if t.shape[0] == batch else t, targets)

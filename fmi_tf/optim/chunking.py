"""Chunked runs: a long list of items in chunks, and its progress in steps.

Filters to invert, seeds to reallocate, images to render and the work items
of a Beam atlas run in chunks of a batch size, which bounds memory: `chunks`
cuts every such list. Within a chunk the compiled loop reports the steps it
has taken so far; a progress bar counts new steps: `StepCounter` turns the
one into the other, and `advancing` makes it a bar's callback.

Examples:
  >>> chunking.chunks([0, 1, 2, 3, 4], 2)
  [[0, 1], [2, 3], [4]]
  >>> counter = chunking.StepCounter()
  >>> counter(25), counter(50), counter(50)
  (25, 25, 0)
"""

from typing import Callable, Sequence

from fmi_tf import limits
from fmi_tf.io import progress


def chunks(items: Sequence, size: int) -> list[list]:
  """`items` cut into consecutive lists of `size` (the last may be shorter).

  Raises:
    ArgumentError: unless `size` is an integer of at least 1.
  """
  size = limits.check_count("batch_size", size, 1, limits.MAX_BATCH)
  items = list(items)
  return [items[start:start + size] for start in range(0, len(items), size)]


class StepCounter:
  """Turns the steps done so far into the steps new since the last call."""

  def __init__(self):
    self.done = 0

  def __call__(self, step: int) -> int:
    """Returns the steps in `step` not yet counted (0 for a count already
    passed), and counts them.

    Args:
      step: the steps done so far.
    """
    new = max(step - self.done, 0)
    self.done += new
    return new


def advancing(bar: progress.Progress) -> Callable[..., None]:
  """A callback of the steps done so far that advances `bar` by the new ones.

  It takes the count first and ignores what follows it (images, losses), so
  that it serves as a loop's or a run's progress callback alike.
  """
  counter = StepCounter()

  def on_step(step: int, *unused) -> None:
    bar.advance(counter(step))

  return on_step

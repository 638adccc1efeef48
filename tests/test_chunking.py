"""One chunker and one progress adapter for chunked runs."""

import pytest

from fmi_tf import errors
from fmi_tf.optim import chunking


@pytest.mark.parametrize("count,size", [(0, 3), (1, 3), (5, 2), (6, 3),
                                        (7, 16)])
def test_chunks_keep_every_item_once_in_order_at_most_size_each(count, size):
  parts = chunking.chunks(range(count), size)
  assert [item for part in parts for item in part] == list(range(count))
  assert all(0 < len(part) <= size for part in parts)
  assert all(len(part) == size for part in parts[:-1])


@pytest.mark.parametrize("size", [0, -1, 2.0, None])
def test_chunks_refuse_a_bad_size(size):
  with pytest.raises(errors.ArgumentError, match="batch_size"):
    chunking.chunks([1, 2], size)


def test_step_counter_counts_each_step_once():
  counter = chunking.StepCounter()
  assert [counter(step) for step in (5, 5, 12, 10, 20)] == [5, 0, 7, 0, 8]
  assert counter.done == 20


class _Bar:

  def __init__(self):
    self.advanced = []

  def advance(self, count=1, status=""):
    del status
    self.advanced.append(count)


def test_advancing_adds_up_to_the_last_count_whatever_follows_it():
  bar = _Bar()
  on_step = chunking.advancing(bar)
  on_step(25)
  on_step(50, "images", "losses")
  on_step(75, [0, 1], "images", "losses")
  assert bar.advanced == [25, 25, 25]

"""Progress of long runs on stderr: items done / total, rate and ETA.

A thin wrapper over tqdm, which already computes a smoothed rate and the time
left and redraws one line in a terminal (one line per update in a log file).
"""

import sys

import tqdm


class Progress:
  """Counts finished items of a known total and shows done/total, rate, ETA."""

  def __init__(self, total: int, unit: str = "filter", description: str = ""):
    self._bar = tqdm.tqdm(total=total, unit=unit, desc=description,
                          file=sys.stderr, dynamic_ncols=True, mininterval=1.0)

  def advance(self, count: int = 1, status: str = "") -> None:
    """Marks `count` more items done; `status` is shown after the counts."""
    if status:
      self._bar.set_postfix_str(status, refresh=False)
    self._bar.update(count)

  def status(self, text: str) -> None:
    """Shows `text` after the counts without advancing them."""
    self._bar.set_postfix_str(text)

  def close(self) -> None:
    self._bar.close()

  def __enter__(self) -> "Progress":
    return self

  def __exit__(self, *exc_info) -> None:
    self.close()

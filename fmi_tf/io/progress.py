"""Progress of long runs: items done / total, rate and ETA.

A thin wrapper over tqdm, which already computes a smoothed rate and the time
left and redraws one line on stderr in a terminal (one line per update in a
log file); in a notebook, `tqdm.auto` draws a widget instead.
"""

import sys

from tqdm import auto as tqdm_auto

from fmi_tf import errors

# The unit of inversions: one step of one filter. Filters finish a batch at
# a time and may stop early, so counting filters would make the rate and the
# time left wrong until many batches have ended; counting the step budget
# (each filter's most steps, the rest counted when its batch ends) gets them
# right from the first compiled call.
FILTER_STEP = "filter-step"


class Progress:
  """Counts finished items of a known total and shows done/total, rate, ETA."""

  def __init__(self, total: int, unit: str = "filter", description: str = "",
               enabled: bool = True):
    """Starts the bar.

    Args:
      total: the items of the run.
      unit: what an item is, for the rate.
      description: shown before the counts.
      enabled: False shows nothing (the API's `progress` argument).

    Raises:
      ArgumentError: if `enabled` is not True or False.
    """
    enabled = errors.check_flag("progress", enabled)
    self._bar = tqdm_auto.tqdm(total=total, unit=unit, desc=description,
                               file=sys.stderr, dynamic_ncols=True,
                               mininterval=1.0, disable=not enabled)

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

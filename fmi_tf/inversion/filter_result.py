"""The inversion of one filter: its picture, its energy shares and its record.

A filter silent in the image (its energy share below `SILENT_SHARE`) has no
gain: the ratio of its shares would mean nothing, and its record says why.
"""

import dataclasses
from typing import Optional

import numpy as np

# Below this share of its layer's energy a filter counts as silent in the
# image's code, and its gain (share after / share before) is not defined.
SILENT_SHARE = 1e-6


@dataclasses.dataclass(frozen=True)
class FilterResult:
  """The inversion of one filter.

  Attributes:
    layer: canonical layer name.
    filter: filter index.
    image: [H, W, 3] float32 RGB in [0, 1].
    loss: final objective value.
    steps: optimisation steps taken.
    seconds: wall time of its batch, shared equally among its filters.
    share_before: the filter's energy share in the original image's code.
    share_after: its energy share in the inverted image's code.
    activated: whether the filter's map fires at all in the inverted image;
      False marks a filter the inversion could not activate.
  """
  layer: str
  filter: int
  image: np.ndarray
  loss: float
  steps: int
  seconds: float
  share_before: float
  share_after: float

  @property
  def activated(self) -> bool:
    return self.share_after > 0

  @property
  def gain(self) -> Optional[float]:
    """share_after / share_before; None for a filter silent in the image
    (share below `SILENT_SHARE`), whose ratio would mean nothing."""
    if self.share_before < SILENT_SHARE:
      return None
    return self.share_after / self.share_before

  def record(self) -> dict:
    """Returns the result without its image, as a JSON-ready dict.

    `energy_share_gain` is null for a filter silent in the image, and
    `energy_share_gain_undefined` then says why.
    """
    record = {
        "layer": self.layer, "filter": self.filter, "loss": self.loss,
        "steps": self.steps, "seconds": self.seconds,
        "energy_share_before": self.share_before,
        "energy_share_after": self.share_after,
        "energy_share_gain": self.gain,
        "activated": self.activated,
    }
    if self.gain is None:
      record["energy_share_gain_undefined"] = (
          f"the filter is silent in the image: its share "
          f"{self.share_before:.3g} is below {SILENT_SHARE:g}")
    return record

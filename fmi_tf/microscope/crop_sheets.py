"""Where a filter's dataset crops lie: in their images and in its sheet.

A crop is the receptive field of a winning unit clipped to the fitted image
(`window`): never padded, never resampled. A filter's crops are placed in
one sheet, left to right, strongest first, each at the sheet's top,
`GAP` transparent columns apart (`sheet_layout`); the layer record keeps
each crop's window and first column, so `cut_crops` takes them out again.
"""

import dataclasses
from typing import Mapping, Sequence

import numpy as np

from fmi_tf.microscope import top_k
from fmi_tf.nets import receptive_field

# Transparent columns between two crops of a sheet.
GAP = 2


def window(box: tuple[int, int, int], image_size: int
           ) -> tuple[int, int, int, int]:
  """The part of a field's box inside the fitted image.

  Args:
    box: (top, left, side), possibly reaching past the image.
    image_size: the side of the fitted (square) image.

  Returns:
    (top, left, height, width): the box clipped to the image, never padded.
  """
  top, left, side = box
  y0, x0 = max(top, 0), max(left, 0)
  y1, x1 = min(top + side, image_size), min(left + side, image_size)
  return y0, x0, max(y1 - y0, 0), max(x1 - x0, 0)


@dataclasses.dataclass(frozen=True)
class SheetLayout:
  """Where each of a layer's crops lies, in the image and in its sheet.

  Attributes:
    windows: int [C, k, 4] (top, left, height, width) of each crop in the
      fitted image (zeros for an empty slot).
    lefts: int [C, k] the crop's first column in the filter's sheet (each
      crop starts at the sheet's top row).
    height: the sheets' largest height.
    width: the sheets' largest width.
  """
  windows: np.ndarray
  lefts: np.ndarray
  height: int
  width: int

  def used(self, c: int) -> tuple[int, int]:
    """(height, width) of filter c's sheet: its crops and nothing else."""
    height = int(self.windows[c, :, 2].max(initial=0))
    width = int((self.lefts[c] + self.windows[c, :, 3]).max(initial=0))
    return max(height, 1), max(width, 1)


def sheet_layout(top: top_k.TopK, field: receptive_field.ReceptiveField,
                 image_size: int) -> SheetLayout:
  """Each crop's window, placed left to right with `GAP` columns between."""
  channels, k = top.images.shape
  windows = np.zeros((channels, k, 4), np.int64)
  lefts = np.zeros((channels, k), np.int64)
  for c in range(channels):
    left = 0
    for rank in range(k):
      if top.images[c, rank] == top_k.EMPTY:
        continue
      windows[c, rank] = window(field.box(int(top.rows[c, rank]),
                                          int(top.cols[c, rank])), image_size)
      lefts[c, rank] = left
      left += int(windows[c, rank, 3]) + GAP
  side = min(field.size, image_size)
  return SheetLayout(windows, lefts, side, k * side + (k - 1) * GAP)


def cut_crops(sheet: np.ndarray, entries: Sequence[Mapping]
              ) -> list[np.ndarray]:
  """The crops of a filter's sheet, as its layer record places them.

  Args:
    sheet: uint8 [H, W, 4] or [H, W, 3], the filter's sheet.
    entries: the filter's `top` entries of its layer record.

  Returns:
    uint8 [height, width, 3] per entry, the window's pixels as the network
    saw them.
  """
  result = []
  for entry in entries:
    _, _, height, width = entry["window"]
    left = entry["sheet_left"]
    result.append(np.asarray(sheet[:height, left:left + width, :3]))
  return result

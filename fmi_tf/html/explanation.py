"""An explanation drawn in a notebook, and pictures as inline PNGs.

`templates/explanation.html`: the image as classified, its class and
probability, and each listed unit's picture beside a bar of its
contribution, green for a vote for the class, red against. Pictures are
inline PNGs (`data_uri`).
"""

import base64
import io
from typing import Optional, Sequence

import numpy as np
from PIL import Image

from fmi_tf.html import pages

TEMPLATE = "explanation.html"
BAR_PIXELS = 160
PICTURE_PIXELS = 64
IMAGE_PIXELS = 160
_FOR, _AGAINST = "#2a7", "#c44"


def data_uri(source, size: int) -> Optional[str]:
  """A PNG data URI of a picture file or a uint8 array, at most size a
  side; None for a file that cannot be read."""
  if isinstance(source, np.ndarray):
    picture = Image.fromarray(source)
  else:
    try:
      picture = Image.open(source)
      picture.load()
    except OSError:
      return None
  picture = picture.convert("RGB")
  picture.thumbnail((size, size))
  buffer = io.BytesIO()
  picture.save(buffer, format="PNG")
  return "data:image/png;base64," + base64.b64encode(
      buffer.getvalue()).decode("ascii")


def page(image: Optional[np.ndarray], class_name: str, probability: float,
         score: float, baseline: float, kind: str,
         top: Sequence[tuple[str, float, Optional[str]]]) -> str:
  """The HTML of an explanation.

  Args:
    image: the image as classified (uint8), or None.
    class_name: the class chosen.
    probability: its probability.
    score: its score.
    baseline: its score at the mean training descriptor.
    kind: what a unit is (`filter`, `pair`).
    top: (label, contribution, picture file or None) of each unit listed.
  """
  largest = max([abs(c) for _, c, _ in top] + [1e-12])
  rows = [{"label": label, "contribution": contribution,
           "width": round(BAR_PIXELS * abs(contribution) / largest),
           "colour": _FOR if contribution >= 0 else _AGAINST,
           "picture": (data_uri(picture, PICTURE_PIXELS) if picture
                       else None)}
          for label, contribution, picture in top]
  return pages.render(
      TEMPLATE, image=(data_uri(image, IMAGE_PIXELS)
                       if image is not None else None),
      class_name=class_name, probability=probability, score=score,
      baseline=baseline, kind=kind, rows=rows)

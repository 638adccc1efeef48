"""An explanation drawn in a notebook, from the package's Jinja2 template.

`templates/explanation.html`, rendered with autoescape: the image as
classified, its class and probability, and each listed filter's picture
(where `microscope.filter_links.attach` found one) beside a bar of its
contribution, green for a vote for the class, red against. Pictures are
inline PNGs.
"""

import base64
import io
from typing import Optional

import jinja2
import numpy as np
from PIL import Image

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


def render(explained) -> str:
  """The HTML of an `explanation.Explanation`."""
  largest = max([abs(c.contribution) for c in explained.top] + [1e-12])
  rows = [{"label": item.label, "contribution": item.contribution,
           "width": round(BAR_PIXELS * abs(item.contribution) / largest),
           "colour": _FOR if item.contribution >= 0 else _AGAINST,
           "picture": (data_uri(item.picture, PICTURE_PIXELS)
                       if item.picture else None)}
          for item in explained.top]
  environment = jinja2.Environment(
      loader=jinja2.PackageLoader("fmi_tf.html", "templates"),
      autoescape=True, undefined=jinja2.StrictUndefined)
  return environment.get_template(TEMPLATE).render(
      image=(data_uri(explained.image, IMAGE_PIXELS)
             if explained.image is not None else None),
      class_name=explained.class_name, probability=explained.probability,
      score=explained.score, baseline=explained.baseline,
      kind=explained.kind, rows=rows)

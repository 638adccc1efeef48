"""The atlas's contact sheet: every layer's grid and single filters.

Rendered from `templates/contact_sheet.html`, its style sheet
(`contact_sheet.css`) inlined, so the sheet is one file that opens from
disk wherever the atlas directory is moved.
"""

from typing import Sequence

from fmi_tf.html import pages

TEMPLATE = "contact_sheet.html"


def page(layers: Sequence[dict]) -> str:
  """The sheet's HTML, every value escaped.

  Args:
    layers: in the order shown, {"name", "count" (its filters),
      "inactive" (filters the inversion did not activate), "grid" (its
      grid's file name, None where absent), "filters": [{"index", "src",
      "inactive"}] of the filters done}.
  """
  return pages.render(
      TEMPLATE, layers=layers, total=sum(n["count"] for n in layers),
      done=sum(len(n["filters"]) for n in layers))

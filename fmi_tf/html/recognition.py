"""The recognition page: every class with the filters that vote for it.

Rendered from `templates/recognition.html`; the pictures and crops arrive
as data URIs (`explanation.data_uri`), so the page reads the same wherever
it is copied.
"""

from typing import Optional, Sequence

from fmi_tf.html import pages

TEMPLATE = "recognition.html"


def page(title: str, classes: Sequence[dict], notes: Sequence[str],
         stylesheet: Optional[str] = None) -> str:
  """The page's HTML, every value escaped.

  Args:
    title: the page's title.
    classes: [{"name", "voters": [{"layer", "filter", "weight", "bar",
      "picture", "crops", "faithfulness", "page"}]}]: the picture a data
      URI or None, bar its width in pixels, crops [{"src", "width",
      "height"}], faithfulness {"score", "low", "high", "judge", "trust"}
      or None without a record, page a link or None.
    notes: lines about the sources.
    stylesheet: a style sheet to link (the site's), or None.
  """
  return pages.render(TEMPLATE, title=title, classes=classes, notes=notes,
                      stylesheet=stylesheet)

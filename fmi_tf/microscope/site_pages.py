"""The site's pages, rendered from the Jinja2 templates shipped with fmi_tf.

The templates (`fmi_tf/microscope/templates/`: `index.html`, `layer.html`,
`filter.html` on `base.html`) and the one style sheet and script they link
(`site.css`, `site.js`) are package data. Autoescape is on for every
template, so every value that reaches a page (names, gaps, measures, the
records' fields) is escaped by construction, and each page forbids any
script but the site's own file (a Content-Security-Policy). Pages link
relatively (`../site.css`, `0003.html`), so the site moves and opens from
disk; every picture has its size and, on the index and layer pages,
`loading="lazy"`, so a layer of 512 filters loads only what is seen.
"""

import functools
from importlib import resources
from typing import Optional, Sequence

import jinja2

from fmi_tf.microscope import site_data

CSS_NAME = "site.css"
JS_NAME = "site.js"
# (data-* key, label, record key) of the numbers a layer page sorts by.
SORT_KEYS = (("filter", "filter index", None),
             ("colourfulness", "colourfulness", "colourfulness"),
             ("hues", "distinct hues", "distinct_hues"),
             ("period", "dominant period", "dominant_period"),
             ("entropy", "orientation entropy", "orientation_entropy"),
             ("gain", "energy share gain", "energy_share_gain"),
             ("activation", "mean activation (dataset)", "mean_activation"),
             ("peak", "top activation (dataset)", "max_activation"),
             ("class", "preferred class", "preferred_class"))
_LABELS = {record: label for _, label, record in SORT_KEYS if record}


def stem(index: int) -> str:
  """A filter's file stem: `3` -> `0003`."""
  return f"{index:04d}"


def _number(value) -> str:
  if isinstance(value, float):
    return f"{value:.4g}"
  return str(value)


@functools.cache
def _environment() -> jinja2.Environment:
  environment = jinja2.Environment(
      loader=jinja2.PackageLoader("fmi_tf.microscope", "templates"),
      autoescape=True, undefined=jinja2.StrictUndefined,
      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
  environment.filters["stem"] = stem
  environment.filters["number"] = _number
  return environment


def asset(name: str) -> str:
  """The text of a shipped asset (`CSS_NAME` or `JS_NAME`)."""
  return (resources.files("fmi_tf.microscope") / "templates" / name
          ).read_text(encoding="utf8")


def _render(template: str, title: str, depth: int, script: bool = False,
            **context) -> str:
  return _environment().get_template(template).render(
      title=title, up="../" * depth, script=script, **context)


def index_page(title: str, rows: Sequence[dict], gaps: Sequence[str],
               notes: Sequence[str],
               links: Sequence[tuple[str, str]] = ()) -> str:
  """The index: one row per layer, then the gaps.

  Examples:
    >>> page = index_page("Atlas", [], ["block1_conv1/3: image missing"], [])

  Args:
    title: the site's title.
    rows: per layer `name`, `filters`, `shown` (readable inversions),
      `gaps`, `field` (receptive field size or None), `preview` (filter
      indices with thumbnails).
    gaps: one line per gap.
    notes: lines about the sources (atlases, dataset).
    links: (page, text) of other pages of the site (the recognition page).
  """
  return _render("index.html", title, 0, rows=rows, gaps=gaps, notes=notes,
                 links=links)


def layer_page(layer: site_data.Layer, thumbs: set[int]) -> str:
  """A layer's cards with the controls that sort and filter them."""
  return _render("layer.html", layer.name, 1, script=True, layer=layer,
                 thumbs=thumbs, sort_keys=SORT_KEYS,
                 gaps=sum(1 for f in layer.filters if f.gaps))


def _profile(class_names: Sequence[str], means: Sequence[float],
             preferred: Optional[str]) -> list[tuple]:
  """(class, mean, bar width, preferred) per class."""
  top = max(max(means), 1e-12)
  return [(name, value, max(int(round(200 * value / top)), 0),
           name == preferred) for name, value in zip(class_names, means)]


def filter_page(layer: site_data.Layer, item: site_data.Filter,
                inversions: Sequence[tuple[str, str, int, int]],
                crops: Optional[tuple[str, int, int]],
                neighbours: Sequence[int], thumbs: set[int]) -> str:
  """A filter's inversions, measures, dataset crops, profile, neighbours.

  Args:
    layer: its layer.
    item: the filter.
    inversions: (label, src, width, height) of each inversion written.
    crops: (src, width, height) of its crops sheet, or None.
    neighbours: the nearest filters of the layer, nearest first.
    thumbs: the layer's filters that have thumbnails.
  """
  names = layer.class_names
  means = item.examples.get("class_mean") if item.examples else None
  profile = (_profile(names, means, item.examples.get("preferred_class"))
             if means and names else [])
  return _render(
      "filter.html", f"{layer.name} filter {item.index}", 1, layer=layer,
      item=item,
      inversions=[{"label": label, "src": src, "width": w, "height": h}
                  for label, src, w, h in inversions],
      crops=(dict(zip(("src", "width", "height"), crops)) if crops
             else None),
      measures=[(label, item.measures[key]) for key, label in _LABELS.items()
                if key in item.measures],
      class_name=lambda label: (names[label] if 0 <= label < len(names)
                                else ""),
      profile=profile, neighbours=[k for k in neighbours if k in thumbs])

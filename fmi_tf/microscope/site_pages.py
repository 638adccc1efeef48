"""The site's pages, rendered from the Jinja2 templates shipped with fmi_tf.

The templates (`fmi_tf/html/templates/`: `index.html`, `layer.html`,
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
from fmi_tf.microscope import site_faithfulness

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
# The CSS class of each trust a picture may have.
TRUST_CLASSES = {site_faithfulness.BEATS: "beats",
                 site_faithfulness.FAILS: "fails",
                 site_faithfulness.UNTESTABLE: "untestable",
                 site_faithfulness.NOT_MEASURED: "unmeasured"}


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
      loader=jinja2.PackageLoader("fmi_tf.html", "templates"),
      autoescape=True, undefined=jinja2.StrictUndefined,
      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
  environment.filters["stem"] = stem
  environment.filters["number"] = _number
  return environment


def asset(name: str) -> str:
  """The text of a shipped asset (`CSS_NAME` or `JS_NAME`)."""
  return (resources.files("fmi_tf.html") / "templates" / name
          ).read_text(encoding="utf8")


def _render(template: str, title: str, depth: int, script: bool = False,
            **context) -> str:
  return _environment().get_template(template).render(
      title=title, up="../" * depth, script=script, **context)


def index_page(title: str, rows: Sequence[dict], gaps: Sequence[str],
               notes: Sequence[str],
               links: Sequence[tuple[str, str]] = (),
               scored: bool = False) -> str:
  """The index: one row per layer, then the gaps.

  Examples:
    >>> page = index_page("Atlas", [], ["block1_conv1/3: image missing"], [])

  Args:
    title: the site's title.
    rows: per layer `name`, `filters`, `shown` (readable inversions),
      `gaps`, `field` (receptive field size or None), `preview` (filter
      indices with thumbnails), `beats` and `measured` (pictures that beat
      the null, of those with a faithfulness score).
    gaps: one line per gap.
    notes: lines about the sources (atlases, dataset, faithfulness).
    links: (page, text) of other pages of the site (the recognition page).
    scored: whether the site has a faithfulness record.
  """
  return _render("index.html", title, 0, rows=rows, gaps=gaps, notes=notes,
                 links=links, scored=scored)


def _interval(value: Optional[float], low: Optional[float],
              high: Optional[float], sign: str = "") -> str:
  """`0.83 [0.71, 0.92]`, or the value alone where the interval is None."""
  text = f"{value:{sign}.2f}"
  if low is None or high is None:
    return text
  return f"{text} [{low:{sign}.2f}, {high:{sign}.2f}]"


def _card(picture: Optional[site_faithfulness.PictureScores],
          judge: Optional[str]) -> dict:
  """A card's faithfulness: its trust and its score under `judge`."""
  if picture is None:
    return {"trust": site_faithfulness.NOT_MEASURED, "score": None,
            "class": TRUST_CLASSES[site_faithfulness.NOT_MEASURED]}
  score = next((j.score for j in picture.judges if j.judge == judge), None)
  return {"trust": picture.trust, "score": score,
          "class": TRUST_CLASSES[picture.trust]}


def layer_page(layer: site_data.Layer, thumbs: set[int],
               scores: Optional[dict] = None,
               judge: Optional[str] = None) -> str:
  """A layer's cards with the controls that sort and filter them.

  Args:
    layer: the layer.
    thumbs: its filters that have thumbnails.
    scores: {filter: `site_faithfulness.PictureScores` of its card's
      picture, or None where not measured}; None without a record.
    judge: the judge whose score the cards show and sort by.
  """
  cards = ({k: _card(scores.get(k), judge) for k in range(len(
      layer.filters))} if scores is not None else None)
  return _render("layer.html", layer.name, 1, script=True, layer=layer,
                 thumbs=thumbs, sort_keys=SORT_KEYS, cards=cards,
                 judge=judge, trusts=list(TRUST_CLASSES.items()),
                 no_scores=site_faithfulness.NO_SCORES,
                 gaps=sum(1 for f in layer.filters if f.gaps))


def _profile(class_names: Sequence[str], means: Sequence[float],
             preferred: Optional[str]) -> list[tuple]:
  """(class, mean, bar width, preferred) per class."""
  top = max(max(means), 1e-12)
  return [(name, value, max(int(round(200 * value / top)), 0),
           name == preferred) for name, value in zip(class_names, means)]


def _faithfulness(picture: Optional[site_faithfulness.PictureScores],
                  scored: bool) -> Optional[dict]:
  """What a filter page shows of one picture's scores (None: no record)."""
  if not scored:
    return None
  trust = picture.trust if picture else site_faithfulness.NOT_MEASURED
  return {"trust": trust, "class": TRUST_CLASSES[trust],
          "condition": picture.condition if picture else None,
          "matched": picture.matched if picture else False,
          "judges": [{
              "judge": j.judge, "circular": j.circular, "verdict": j.verdict,
              "score": _interval(j.score, j.score_low, j.score_high),
              "null": f"{j.null:.2f}",
              "gain": _interval(j.gain, j.gain_low, j.gain_high, "+"),
              "ceiling": "-" if j.ceiling is None else f"{j.ceiling:.2f}"}
                     for j in (picture.judges if picture else ())]}


def filter_page(layer: site_data.Layer, item: site_data.Filter,
                inversions: Sequence[tuple],
                crops: Optional[tuple[str, int, int]],
                neighbours: Sequence[int], thumbs: set[int],
                scored: bool = False) -> str:
  """A filter's inversions with their faithfulness, measures, dataset
  crops, profile, neighbours.

  Args:
    layer: its layer.
    item: the filter.
    inversions: (label, src, width, height, scores) of each inversion
      written, scores a `site_faithfulness.PictureScores` or None where
      not measured.
    crops: (src, width, height) of its crops sheet, or None.
    neighbours: the nearest filters of the layer, nearest first.
    thumbs: the layer's filters that have thumbnails.
    scored: whether the site has a faithfulness record.
  """
  names = layer.class_names
  means = item.examples.get("class_mean") if item.examples else None
  profile = (_profile(names, means, item.examples.get("preferred_class"))
             if means and names else [])
  return _render(
      "filter.html", f"{layer.name} filter {item.index}", 1, layer=layer,
      item=item,
      inversions=[{"label": label, "src": src, "width": w, "height": h,
                   "faithfulness": _faithfulness(picture, scored)}
                  for label, src, w, h, picture in inversions],
      scored=scored, no_scores=site_faithfulness.NO_SCORES,
      crops=(dict(zip(("src", "width", "height"), crops)) if crops
             else None),
      measures=[(label, item.measures[key]) for key, label in _LABELS.items()
                if key in item.measures],
      class_name=lambda label: (names[label] if 0 <= label < len(names)
                                else ""),
      profile=profile, neighbours=[k for k in neighbours if k in thumbs])

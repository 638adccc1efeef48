"""The HTML of a site's pages: the index, a layer, a filter.

Pages link relatively (`../site.css`, `0003.html`), so the site moves and
opens from disk. Every picture has its size and, on the index and layer
pages, `loading="lazy"`, so a layer of 512 filters loads only what is seen.
"""

import html
from typing import Optional, Sequence
from urllib import parse

from fmi_tf.microscope import site_assets
from fmi_tf.microscope import site_data

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
_INVERSION_SHOWN = 256
_LABELS = {record: label for _, label, record in SORT_KEYS if record}


def stem(index: int) -> str:
  return f"{index:04d}"


def url(name: str) -> str:
  return parse.quote(name)


def _page(title: str, depth: int, body: Sequence[str],
          script: bool = False) -> str:
  up = "../" * depth
  return "\n".join([
      "<!DOCTYPE html>",
      '<html lang="en"><head><meta charset="utf-8">',
      f"<title>{html.escape(title)}</title>",
      f'<link rel="stylesheet" href="{up}{site_assets.CSS_NAME}">',
      "</head><body>", *body,
      (f'<script src="{up}{site_assets.JS_NAME}"></script>' if script
       else ""), "</body></html>", ""])


def _number(value) -> str:
  if isinstance(value, float):
    return f"{value:.4g}"
  return html.escape(str(value))


def index_page(title: str, rows: Sequence[dict], gaps: Sequence[str],
               notes: Sequence[str],
               links: Sequence[tuple[str, str]] = ()) -> str:
  """The index: one row per layer, then the gaps.

  Args:
    title: the site's title.
    rows: per layer `name`, `filters`, `shown` (readable inversions),
      `gaps`, `field` (receptive field size or None), `preview` (filter
      indices with thumbnails).
    gaps: one line per gap.
    notes: lines about the sources (atlases, dataset).
    links: (page, text) of other pages of the site (the recognition page).
  """
  body = [f"<h1>{html.escape(title)}</h1>",
          *(f"<p>{html.escape(n)}</p>" for n in notes),
          *(f'<p><a href="{url(page)}">{html.escape(text)}</a></p>'
            for page, text in links),
          "<table><tr><th>layer</th><th>filters</th><th>inverted</th>"
          "<th>gaps</th><th>receptive field</th><th>first filters</th></tr>"]
  for row in rows:
    link = url(row["name"])
    preview = "".join(
        f'<img loading="lazy" src="{link}/thumb/{stem(k)}.jpg" width="32" '
        f'height="32" alt="{k}">' for k in row["preview"])
    field = f"{row['field']} px" if row["field"] else ""
    body.append(
        f'<tr><td><a href="{link}/index.html">{html.escape(row["name"])}'
        f'</a></td><td>{row["filters"]}</td><td>{row["shown"]}</td>'
        f'<td>{row["gaps"]}</td><td>{field}</td>'
        f'<td class="preview">{preview}</td></tr>')
  body.append("</table>")
  if gaps:
    body.append(f"<h2>Gaps ({len(gaps)})</h2><ul class=\"gaps\">")
    body += [f"<li>{html.escape(g)}</li>" for g in gaps]
    body.append("</ul>")
  return _page(title, 0, body)


def _card(item: site_data.Filter, has_thumb: bool) -> str:
  attributes = [f'data-filter="{item.index}"']
  for key, _, record_key in SORT_KEYS[1:]:
    value = item.measures.get(record_key)
    if value is not None:
      attributes.append(f'data-{key}="{html.escape(str(value), True)}"')
  preferred = item.measures.get("preferred_class", "")
  gap = "" if has_thumb else " gap"
  picture = (f'<img loading="lazy" src="thumb/{stem(item.index)}.jpg" '
             f'width="64" height="64" alt="filter {item.index}">'
             if has_thumb else '<span class="hole">gap</span>')
  title = "; ".join(item.gaps) or f"filter {item.index}"
  return (f'<a class="card{gap}" href="{stem(item.index)}.html" '
          f'title="{html.escape(title, True)}" {" ".join(attributes)}>'
          f'{picture}<span>{item.index}</span>'
          f'<span class="cls">{html.escape(preferred)}</span></a>')


def layer_page(layer: site_data.Layer, thumbs: set[int]) -> str:
  """A layer's cards with the controls that sort and filter them."""
  options = "".join(f'<option value="{key}">{html.escape(label)}</option>'
                    for key, label, _ in SORT_KEYS)
  classes = "".join(f'<option value="{html.escape(c, True)}">'
                    f"{html.escape(c)}</option>" for c in layer.class_names)
  gaps = sum(1 for f in layer.filters if f.gaps)
  body = [
      '<nav class="crumbs"><a href="../index.html">all layers</a></nav>',
      f"<h1>{html.escape(layer.name)}</h1>",
      f"<p>{len(layer.filters)} filters, {len(thumbs)} inverted"
      + (f", {gaps} with gaps (striped)" if gaps else "") + ".</p>",
      '<div class="controls">',
      f'<label>sort by <select id="sort">{options}</select></label>',
      '<select id="order"><option value="asc">ascending</option>'
      '<option value="desc">descending</option></select>',
      (f'<label>preferred class <select id="class"><option value="">any'
       f"</option>{classes}</select></label>" if layer.class_names else ""),
      '<label>colourfulness &ge; <input id="min-colourfulness" '
      'type="number" step="any" size="5"></label>',
      '<label>hues &ge; <input id="min-hues" type="number" step="1" '
      'size="3"></label>',
      ('<label>mean activation &ge; <input id="min-activation" '
       'type="number" step="any" size="5"></label>' if layer.class_names
       else ""),
      '<span id="shown"></span>', "</div>",
      '<div id="filters">',
      *(_card(f, f.index in thumbs) for f in layer.filters), "</div>"]
  return _page(layer.name, 1, body, script=True)


def _shown(width: int, height: int) -> tuple[int, int]:
  """Display size: small inversions scaled up to 256 pixels, whole times."""
  scale = max(1, _INVERSION_SHOWN // max(width, height))
  return width * scale, height * scale


def _profile(class_names: Sequence[str], means: Sequence[float],
             preferred: Optional[str]) -> list[str]:
  top = max(max(means), 1e-12)
  rows = ["<table>"]
  for name, value in zip(class_names, means):
    css = ' class="preferred"' if name == preferred else ""
    width = max(int(round(200 * value / top)), 0)
    rows.append(f"<tr{css}><td>{html.escape(name)}</td><td>"
                f'<span class="bar" style="width:{width}px"></span></td>'
                f"<td>{value:.4g}</td></tr>")
  rows.append("</table>")
  return rows


def filter_page(layer: site_data.Layer, item: site_data.Filter,
                inversions: Sequence[tuple[str, str, int, int]],
                crops: Optional[tuple[str, int, int]],
                neighbours: Sequence[int], thumbs: set[int]) -> str:
  """A filter's inversions, measures, dataset crops, profile, neighbours.

  Args:
    layer: its layer.
    item: the filter.
    inversions: (label, src, width, height) of each inversion written.
    crops: (src, width, height) of its crops sprite, or None.
    neighbours: the nearest filters of the layer, nearest first.
    thumbs: the layer's filters that have thumbnails.
  """
  count = len(layer.filters)
  links = ['<a href="../index.html">all layers</a> &rsaquo;',
           f'<a href="index.html">{html.escape(layer.name)}</a>']
  if item.index > 0:
    links.append(f'<a href="{stem(item.index - 1)}.html">&larr; '
                 f"{item.index - 1}</a>")
  if item.index + 1 < count:
    links.append(f'<a href="{stem(item.index + 1)}.html">{item.index + 1} '
                 "&rarr;</a>")
  body = [f'<nav class="crumbs">{" ".join(links)}</nav>',
          f"<h1>{html.escape(layer.name)} filter {item.index}</h1>"]
  body += [f'<p class="gap-note">gap: {html.escape(g)}</p>'
           for g in item.gaps]
  body.append('<div class="columns"><div>')
  if inversions:
    body.append("<h2>Inversions</h2>")
    body += [f'<figure><img src="{src}" width="{_shown(w, h)[0]}" '
             f'height="{_shown(w, h)[1]}" '
             f'alt="{html.escape(label, True)} inversion"><figcaption>'
             f"{html.escape(label)} ({w} x {h} px)</figcaption></figure>"
             for label, src, w, h in inversions]
  measures = [(label, item.measures[key]) for key, label in _LABELS.items()
              if key in item.measures]
  if measures:
    body.append("<h2>Measures</h2><table>")
    body += [f"<tr><td>{html.escape(label)}</td><td>{_number(v)}</td></tr>"
             for label, v in measures]
    body.append("</table>")
  body.append("</div><div>")
  if item.examples:
    body.append("<h2>Top dataset regions</h2>")
    if crops:
      src, w, h = crops
      body.append(f'<img class="sprite" src="{src}" width="{w}" '
                  f'height="{h}" alt="top crops, strongest first">')
    body.append("<table><tr><th>rank</th><th>image</th><th>class</th>"
                "<th>activation</th><th>box (top, left, side)</th></tr>")
    for rank, entry in enumerate(item.examples.get("top", []), 1):
      label = entry.get("label", -1)
      name = (layer.class_names[label]
              if 0 <= label < len(layer.class_names) else "")
      body.append(f"<tr><td>{rank}</td><td>{html.escape(entry['image'])}"
                  f"</td><td>{html.escape(name)}</td><td>"
                  f"{entry['score']:.4g}</td><td>"
                  f"{html.escape(str(entry['box']))}</td></tr>")
    body.append("</table>")
    means = item.examples.get("class_mean")
    if means and layer.class_names:
      body.append("<h2>Class profile (mean activation per class)</h2>")
      body += _profile(layer.class_names, means,
                       item.examples.get("preferred_class"))
  if neighbours:
    body.append("<h2>Nearest filters by texture statistics</h2>"
                '<div class="nearest">')
    body += [f'<a href="{stem(k)}.html"><img loading="lazy" '
             f'src="thumb/{stem(k)}.jpg" width="64" height="64" '
             f'alt="filter {k}">{k}</a>' for k in neighbours if k in thumbs]
    body.append("</div>")
  body.append("</div></div>")
  return _page(f"{layer.name} filter {item.index}", 1, body)

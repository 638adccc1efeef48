"""The site's pages: the index, a layer's cards, a filter's page.

The templates (`index.html`, `layer.html`, `filter.html` on `base.html`)
link the site's one style sheet and script (`site.css`, `site.js`, written
beside the index). Each page forbids any script but the site's own file (a
Content-Security-Policy). Pages link relatively (`../site.css`,
`0003.html`), so the site moves and opens from disk; every picture has its
size and, on the index and layer pages, `loading="lazy"`, so a layer of 512
filters loads only what is seen. The functions take plain values: a layer
as `name`, `filters` and `class_names`, a filter as `index`, `gaps`,
`measures` and `examples` (the attributes of `microscope.site_data`'s
`Layer` and `Filter`), and the faithfulness already put in words.
"""

from typing import Optional, Sequence

from fmi_tf.html import pages

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
# The width in pixels of the bar of a filter's preferred class.
_PROFILE_PIXELS = 200


def _render(template: str, title: str, depth: int, script: bool = False,
            **context) -> str:
  return pages.render(template, title=title, up="../" * depth,
                      script=script, **context)


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


def layer_page(layer, thumbs: set[int], cards: Optional[dict[int, dict]],
               judge: Optional[str], trusts: Sequence[tuple[str, str]],
               no_scores: str) -> str:
  """A layer's cards with the controls that sort and filter them.

  Args:
    layer: the layer (`name`, `filters`, `class_names`).
    thumbs: its filters that have thumbnails.
    cards: {filter: its card's picture as {"trust", "score", "class"}:
      the trust in words, the score under `judge` (None where not
      measured) and the CSS class of the trust}; None without a
      faithfulness record.
    judge: the judge whose score the cards show and sort by.
    trusts: (trust in words, CSS class) of every trust a picture may have.
    no_scores: the line shown without a faithfulness record.
  """
  return _render("layer.html", layer.name, 1, script=True, layer=layer,
                 thumbs=thumbs, sort_keys=SORT_KEYS, cards=cards,
                 judge=judge, trusts=trusts, no_scores=no_scores,
                 gaps=sum(1 for f in layer.filters if f.gaps))


def _profile(class_names: Sequence[str], means: Sequence[float],
             preferred: Optional[str]) -> list[tuple]:
  """(class, mean, bar width, preferred) per class."""
  top = max(max(means), 1e-12)
  return [(name, value, max(int(round(_PROFILE_PIXELS * value / top)), 0),
           name == preferred) for name, value in zip(class_names, means)]


def filter_page(layer, item, inversions: Sequence[dict],
                crops: Optional[tuple[str, int, int]],
                neighbours: Sequence[int], thumbs: set[int],
                no_scores: Optional[str]) -> str:
  """A filter's inversions with their faithfulness, measures, dataset
  crops, profile, neighbours.

  Args:
    layer: its layer (`name`, `filters`, `class_names`).
    item: the filter (`index`, `gaps`, `measures`, `examples`: its
      dataset-examples record or None).
    inversions: {"label", "src", "width", "height", "faithfulness"} of
      each inversion written; faithfulness as {"trust", "class",
      "condition", "matched", "judges": [{"judge", "circular", "verdict",
      "score", "null", "gain", "ceiling"}]} with its numbers in words,
      None without a faithfulness record.
    crops: (src, width, height) of its crops sheet, or None.
    neighbours: the nearest filters of the layer, nearest first.
    thumbs: the layer's filters that have thumbnails.
    no_scores: the line shown without a faithfulness record; None for a
      site with one.
  """
  names = layer.class_names
  means = item.examples.get("class_mean") if item.examples else None
  profile = (_profile(names, means, item.examples.get("preferred_class"))
             if means and names else [])
  return _render(
      "filter.html", f"{layer.name} filter {item.index}", 1, layer=layer,
      item=item, inversions=inversions, scored=no_scores is None,
      no_scores=no_scores,
      crops=(dict(zip(("src", "width", "height"), crops)) if crops
             else None),
      measures=[(label, item.measures[key]) for key, label in _LABELS.items()
                if key in item.measures],
      class_name=lambda label: (names[label] if 0 <= label < len(names)
                                else ""),
      profile=profile, neighbours=[k for k in neighbours if k in thumbs])

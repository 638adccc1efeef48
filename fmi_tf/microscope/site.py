"""`make_site`: a static site to browse an atlas and its dataset examples.

The site is a directory of plain files, rendered from templates with
autoescape (`fmi_tf.html.site`); every path in it is joined under `out` by
`io.paths.join_under`:

* `index.html`: every layer, its filter counts, gaps and receptive field,
  and how many of its pictures beat the null of the faithfulness record;
* `<layer>/index.html`: every filter's inversion as a card, sorted and
  filtered in the browser by its measures and faithfulness score;
* `<layer>/<filter:04d>.html`: its inversions (one per atlas directory:
  pixel and Fourier when both are given), each with its faithfulness
  scores, its measures, its top dataset crops, its class profile and its
  nearest filters;
* `<layer>/img/`, `thumb/` and `crops/`: JPEG copies of the inversions,
  64-pixel thumbnails, and PNG copies of the crops sheets (shown at their
  native size: each crop is the pixels the network saw, never rescaled).

Gaps (missing or unreadable files, filters not inverted yet) are shown and
listed, never fatal (`site_data`). A faithfulness record, when given, is
checked before anything is written (`site_faithfulness`); a site without
one says so on the index and on every filter page, and pictures that do
not beat the null are marked as such. Every file is written atomically and
the index last.
"""

import dataclasses
import io
import os
from typing import Optional, Sequence

from absl import logging
import numpy as np
from PIL import Image

from fmi_tf import errors
from fmi_tf import limits
from fmi_tf.html import pages
from fmi_tf.html import site as site_html
from fmi_tf.io import outputs
from fmi_tf.io import paths
from fmi_tf.io import untrusted
from fmi_tf.io import progress as progress_lib
from fmi_tf.microscope import recognition_page
from fmi_tf.microscope import site_data
from fmi_tf.microscope import site_faithfulness
from fmi_tf.microscope import site_neighbours
from fmi_tf.microscope import site_scores

THUMBNAIL = 64
_PREVIEW = 8
_QUALITY = 90


@dataclasses.dataclass(frozen=True)
class SiteResult:
  """What `make_site` wrote.

  Attributes:
    out: the site directory; open `index` in a browser.
    index: the path of its index page.
    layers: the layers, in depth order.
    filters: filter pages written.
    gaps: one line per gap shown.
    bytes: the size of the files written.
  """
  out: str
  index: str
  layers: tuple[str, ...]
  filters: int
  gaps: tuple[str, ...]
  bytes: int


class _Writer:
  """Writes files atomically and counts their bytes."""

  def __init__(self):
    self.bytes = 0

  def write(self, path: str, data: bytes) -> None:
    outputs.write_bytes(path, data)
    self.bytes += len(data)

  def text(self, path: str, text: str) -> None:
    self.write(path, text.encode("utf8"))

  def jpeg(self, path: str, pixels: np.ndarray,
           size: Optional[int] = None) -> tuple[int, int]:
    picture = Image.fromarray(pixels)
    if size:  # The central square, as the cards show it.
      side = min(picture.size)
      left, top = (picture.width - side) // 2, (picture.height - side) // 2
      picture = picture.crop((left, top, left + side, top + side))
      picture = picture.resize((size, size), Image.LANCZOS
                               if side > size else Image.NEAREST)
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=_QUALITY)
    self.write(path, buffer.getvalue())
    return picture.size

  def png(self, path: str, pixels: np.ndarray) -> tuple[int, int]:
    """Writes the pixels (transparency kept) as they are; returns
    (width, height)."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    self.write(path, buffer.getvalue())
    return pixels.shape[1], pixels.shape[0]


def make_site(atlas: "str | Sequence[str]", out: str,
              examples: Optional[str] = None, *, title: str = "Filter atlas",
              neighbours: int = 6, progress: bool = True,
              classifier=None, faithfulness: Optional[str] = None
              ) -> SiteResult:
  """Writes a static site of an atlas (and its dataset examples).

  Examples:
    >>> fmi_tf.make_site("atlas/", out="site/", examples="examples/")
    >>> fmi_tf.make_site(["atlas_pixel/", "atlas_fft/"], out="site/")
    >>> fmi_tf.make_site("atlas/", out="site/",
    ...                  faithfulness="faithfulness.json")

  Args:
    atlas: an atlas directory (what fmi-atlas writes), or several of the
      same network (e.g. pixel and Fourier inversions).
    out: the site directory (created).
    examples: a dataset-examples directory (fmi-dataset-examples), or None.
    title: the index page's title.
    neighbours: nearest filters listed on each filter page.
    progress: show a progress bar.
    classifier: a texture classifier (or its trained model directory) of
      the atlas's network, whose recognition page
      (`recognition_page.write_recognition_page`) the index links to.
    faithfulness: a faithfulness record of the atlas's network and weights
      (`fmi-faithfulness --out`, schema version
      `faithfulness.result.SCHEMA_VERSION`), whose scores the pages show.

  Returns:
    What was written, with its gaps and size.

  Raises:
    ArgumentError: if an atlas directory is missing or no atlas holds a
      filter, the examples directory is missing, `neighbours` is no
      integer from 0 to `limits.MAX_CHANNELS`, or the faithfulness record
      is missing, malformed, of another schema version or of another
      network or weights.
    OutputError: if `out` cannot be written.
  """
  neighbours = limits.check_count("neighbours", neighbours, 0,
                                  limits.MAX_CHANNELS)
  errors.check_text("title", title)
  dirs = [errors.check_path("atlas", a) for a in (
      [atlas] if isinstance(atlas, (str, os.PathLike))
      else atlas if isinstance(atlas, (list, tuple)) else [atlas])]
  if not dirs:
    raise errors.ArgumentError("give at least one atlas directory")
  errors.check_path("out", out)
  if examples is not None and not os.path.isdir(
      errors.check_path("examples", examples)):
    raise errors.ArgumentError(f"examples directory not found: {examples}")
  if classifier is not None:
    classifier = recognition_page.checked_model(classifier, dirs[0])
  atlases = site_data.Atlases(dirs, examples)
  scores = (site_faithfulness.read(faithfulness, dirs)
            if faithfulness is not None else None)
  notes = [f"Inversions from {', '.join(dirs)}."]
  notes += (scores.notes(dirs) if scores else [site_faithfulness.NO_SCORES])
  gaps = list(atlases.gaps)
  if examples is not None:
    try:
      summary = site_data.read_summary(examples)
      notes.append(
          f"Dataset examples: {summary.get('k')} regions per filter from "
          f"{summary.get('images')} images of {summary.get('dataset')} at "
          f"{summary.get('image_size')} px ({len(summary.get('skipped', []))}"
          " skipped).")
    except errors.RecordError as e:
      gaps.append(f"dataset examples unreadable: {e}")
  out = outputs.prepare_directory(out)
  writer = _Writer()
  for name in (site_html.CSS_NAME, site_html.JS_NAME):
    writer.text(paths.join_under(out, name), pages.asset(name))
  rows, filter_pages = [], 0
  with progress_lib.Progress(len(atlases.layers), unit="layer",
                             description="site", enabled=progress) as bar:
    for name in atlases.layers:
      layer = atlases.layer(name)
      thumbs, trust = _write_layer(writer, out, layer, neighbours,
                                   atlases.examples_dir, scores)
      filter_pages += len(layer.filters)
      layer_gaps = [f"{name}: {g}" for g in layer.gaps] + [
          f"{name}/{f.index}: {'; '.join(f.gaps)}"
          for f in layer.filters if f.gaps]
      gaps += layer_gaps
      field = layer.receptive_field
      rows.append({"name": name, "filters": len(layer.filters),
                   "shown": len(thumbs), "gaps": len(layer_gaps),
                   "field": field.get("size") if field else None,
                   "beats": trust.count(site_faithfulness.BEATS),
                   "measured": len(trust),
                   "preview": sorted(thumbs)[:_PREVIEW]})
      bar.advance(status=name)
  links = []
  if classifier is not None:
    recognition_page.write_recognition_page(classifier, out, dirs[0],
                                            examples, faithfulness=scores)
    links.append((recognition_page.PAGE, "What each texture class is made of"))
  index = paths.join_under(out, "index.html")
  writer.text(index, site_html.index_page(title, rows, gaps, notes, links,
                                          scores is not None))
  if gaps:
    logging.warning("the site shows %d gaps, listed in %s", len(gaps), index)
  return SiteResult(out, index, tuple(atlases.layers), filter_pages,
                    tuple(gaps), writer.bytes)


def _write_layer(writer: _Writer, out: str, layer: site_data.Layer,
                 count: int, examples_dir: Optional[str],
                 scores: Optional[site_faithfulness.Scores]
                 ) -> tuple[set[int], list[str]]:
  """Writes a layer's pictures and pages; returns the filters with thumbs
  and the trust of each measured card's picture."""
  directory = paths.join_under(out, layer.name)
  for sub in ("img", "thumb", "crops"):
    outputs.prepare_directory(paths.join_under(directory, sub))
  thumbs = set()
  written, cards = {}, {}
  for item in layer.filters:
    stem = pages.stem(item.index)
    inversions = []
    for i, inversion in enumerate(item.inversions):
      if inversion.image is None:
        continue
      name = f"{stem}_{i}.jpg"
      width, height = writer.jpeg(paths.join_under(directory, "img", name),
                                  inversion.image)
      picture = (scores.picture(layer.name, item.index, inversion.directory)
                 if scores else None)
      inversions.append({"label": inversion.label, "src": f"img/{name}",
                         "width": width, "height": height,
                         "faithfulness": site_scores.picture(
                             picture, scores is not None)})
      if len(inversions) == 1:
        cards[item.index] = picture
    if item.image is not None:
      writer.jpeg(paths.join_under(directory, "thumb", f"{stem}.jpg"),
                  item.image, THUMBNAIL)
      thumbs.add(item.index)
    crops = None
    if item.sheet:
      try:
        sheet = untrusted.read_rgb(examples_dir, item.sheet,
                                   site_data.MAX_SHEET_PIXELS, mode="RGBA")
      except untrusted.UntrustedFileError as e:
        item.gaps.append(f"dataset crops unreadable: {e}")
      else:
        width, height = writer.png(
            paths.join_under(directory, "crops", f"{stem}.png"), sheet)
        crops = (f"crops/{stem}.png", width, height)
    written[item.index] = (inversions, crops)
  nearest = site_neighbours.nearest(layer, count)
  no_scores = None if scores else site_faithfulness.NO_SCORES
  for item in layer.filters:
    inversions, crops = written[item.index]
    writer.text(paths.join_under(directory, f"{pages.stem(item.index)}.html"),
                site_html.filter_page(layer, item, inversions, crops,
                                      nearest.get(item.index, []), thumbs,
                                      no_scores))
  headline = scores.headline_judge(layer.name) if scores else None
  shown = ({k: site_scores.card(cards.get(k), headline)
            for k in range(len(layer.filters))} if scores else None)
  writer.text(paths.join_under(directory, "index.html"),
              site_html.layer_page(layer, thumbs, shown, headline,
                                   list(site_scores.TRUST_CLASSES.items()),
                                   site_faithfulness.NO_SCORES))
  return thumbs, [c.trust for c in cards.values() if c]

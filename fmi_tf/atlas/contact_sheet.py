"""An HTML contact sheet to browse an atlas directory: `index.html`.

For every layer, in network order (the depth its records give, see
`layer_order`): its name, how many of its filters are done, its labelled grid
(`<layer>.png`, linked to the full-size file) and, folded under it, every
single filter's PNG (outlined in red, with a note, when the inversion could
not activate the filter). All links are relative, so the directory can be
moved or served as it is. The sheet shows what exists when it is written: a
shard of a sharded run writes it from the files present, so the sheet written
by the last shard to finish is complete.
"""

import html
import os
from typing import Mapping, Optional, Sequence

from fmi_tf.atlas import layer_order
from fmi_tf.atlas import layout
from fmi_tf.io import outputs
from fmi_tf.io import paths

FILENAME = "index.html"

_STYLE = """
body { font-family: sans-serif; margin: 1em; background: #fafafa; }
section { margin-bottom: 2em; }
img.grid { max-width: 100%; border: 1px solid #ccc; }
img.filter { width: 64px; height: 64px; margin: 1px; image-rendering: pixelated; }
img.inactive { outline: 2px solid #c00; }
nav a { margin-right: 1em; }
"""


def _layer_section(out_dir: str, layer: str, num_filters: int) -> str:
  done = layout.done_filters(out_dir, layer, num_filters)
  name = html.escape(layer)
  parts = [f'<section id="{name}">',
           f"<h2>{name}</h2>",
           f"<p>{len(done)} of {num_filters} filters</p>"]
  inactive = layout.inactive_filters(out_dir, layer, done)
  if inactive:
    parts.append(f"<p>not activated by the inversion (map silent in its "
                 f"image): {', '.join(map(str, inactive))}</p>")
  if os.path.isfile(paths.join_under(out_dir, f"{layer}.png")):
    parts.append(f'<a href="{name}.png"><img class="grid" src="{name}.png" '
                 f'alt="{name}: grid of its filters"></a>')
  if done:
    parts.append(f"<details><summary>single filters of {name}</summary>")
    for k in done:
      stem = os.path.basename(layout.filter_stem(out_dir, layer, k))
      note, css = ((" (not activated)", "filter inactive") if k in inactive
                   else ("", "filter"))
      parts.append(f'<a href="{stem}.png" title="{name} filter {k}{note}">'
                   f'<img class="{css}" loading="lazy" src="{stem}.png" '
                   f'alt="{k}{note}"></a>')
    parts.append("</details>")
  parts.append("</section>")
  return "\n".join(parts)


def _recorded_depth(out_dir: str, layer: str,
                    done: Sequence[int]) -> Optional[int]:
  """The layer's depth in the record of its first done filter, if any."""
  if not done:
    return None
  return layer_order.recorded_index(
      layout.filter_stem(out_dir, layer, done[0]) + ".json")


def write_contact_sheet(out_dir: str, num_filters: Mapping[str, int]) -> str:
  """Writes `out_dir/index.html` atomically from the files present.

  Args:
    out_dir: the atlas directory.
    num_filters: the number of filters of each layer of the atlas.

  Returns:
    The path of the sheet.
  """
  done_by_layer = {n: layout.done_filters(out_dir, n, count)
                   for n, count in num_filters.items()}
  order = layer_order.depth_order({
      n: _recorded_depth(out_dir, n, done)
      for n, done in done_by_layer.items()})
  total = sum(num_filters.values())
  done = sum(len(ids) for ids in done_by_layer.values())
  navigation = " ".join(f'<a href="#{html.escape(n)}">{html.escape(n)}</a>'
                        for n in order)
  page = "\n".join([
      "<!DOCTYPE html>",
      '<html lang="en"><head><meta charset="utf-8">',
      "<title>Filter atlas</title>",
      f"<style>{_STYLE}</style></head><body>",
      "<h1>Filter atlas</h1>",
      f"<p>{done} of {total} filters in {len(order)} layers.</p>",
      f"<nav>{navigation}</nav>",
      *(_layer_section(out_dir, n, num_filters[n]) for n in order),
      "</body></html>", ""])
  path = paths.join_under(out_dir, FILENAME)
  outputs.write_bytes(path, page.encode("utf8"))
  return path

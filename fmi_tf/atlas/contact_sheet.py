"""An HTML contact sheet to browse an atlas directory: `index.html`.

For every layer, in network order (the depth its records give, see
`layer_order`): its name, how many of its filters are done, its labelled grid
(`<layer>.png`, linked to the full-size file) and, folded under it, every
single filter's PNG (outlined in red, with a note, when the inversion could
not activate the filter). All links are relative, so the directory can be
moved or served as it is; the page is rendered with autoescape
(`fmi_tf.html.contact_sheet`). The sheet shows what exists when it is
written: a shard of a sharded run writes it from the files present, so the
sheet written by the last shard to finish is complete.
"""

import os
from typing import Mapping, Optional, Sequence

from fmi_tf.atlas import layer_order
from fmi_tf.atlas import layout
from fmi_tf.html import contact_sheet as sheet_html
from fmi_tf.inversion import files
from fmi_tf.io import outputs
from fmi_tf.io import paths

FILENAME = "index.html"


def _layer(out_dir: str, layer: str, num_filters: int,
           done: Sequence[int]) -> dict:
  """What the sheet shows of a layer (see `html.contact_sheet.page`)."""
  inactive = layout.inactive_filters(out_dir, layer, done)
  grid = f"{layer}.png"
  return {"name": layer, "count": num_filters, "inactive": inactive,
          "grid": (grid if os.path.isfile(paths.join_under(out_dir, grid))
                   else None),
          "filters": [{
              "index": k, "inactive": k in inactive,
              "src": os.path.basename(files.filter_stem(out_dir, layer, k))
                     + ".png"} for k in done]}


def _recorded_depth(out_dir: str, layer: str,
                    done: Sequence[int]) -> Optional[int]:
  """The layer's depth in the record of its first done filter, if any."""
  if not done:
    return None
  return layer_order.recorded_index(
      files.filter_stem(out_dir, layer, done[0]) + ".json")


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
  page = sheet_html.page([_layer(out_dir, n, num_filters[n], done_by_layer[n])
                           for n in order])
  path = paths.join_under(out_dir, FILENAME)
  outputs.write_bytes(path, page.encode("utf8"))
  return path

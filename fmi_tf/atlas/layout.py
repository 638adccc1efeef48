"""Writing inversions to a directory: single PNGs, JSON records, layer grids.

Layout of an output directory:

* `<layer>_<filter:04d>.png` and `.json`: the inverted image of one filter
  and its record (`fmi_tf.inversion.files`).
* `<layer>.png`: the labelled grid of all of a layer's filters (atlas); a
  filter the inversion could not activate (its map silent in its image) is
  labelled `<filter> inactive`.

Every file is written atomically and the JSON last, so a filter counts as done
exactly when its JSON exists and reads as a record (`io.records`); a rerun
skips finished filters made with the same settings (`resume`). A record
that does not read as one counts as missing.

Shards: the (layer, filter) list of a run is dealt round-robin into n shards
(`shard`), so shards are disjoint, their union is the whole list, and every
shard gets a fair part of the costly deep layers. Shards may run at the same
time on machines sharing the output directory: `redraw_grids` draws every
layer's grid from the files present under a lock on the directory
(`.atlas.lock`), so the last shard to finish draws complete ones.
"""

import os
import re
from typing import Iterable, Mapping, Optional, Sequence


from fmi_tf import errors
from fmi_tf.inversion import files
from fmi_tf.io import grid
from fmi_tf.io import images as image_io
from fmi_tf.io import outputs
from fmi_tf.io import paths
from fmi_tf.io import records
from fmi_tf.nets import feature_model


def is_done(out_dir: str, layer: str, filter_id: int) -> bool:
  """True once the filter's PNG and JSON record are both in place."""
  stem = files.filter_stem(out_dir, layer, filter_id)
  return os.path.isfile(stem + ".png") and os.path.isfile(stem + ".json")


def read_record(path: str) -> Optional[records.FilterRecord]:
  """The filter's record in `path` (`records.read_filter_record`); None if
  it does not read as one (a filter with such a record counts as not
  done)."""
  try:
    return records.read_filter_record(path)
  except errors.RecordError:
    return None


def covered_conv_layers(backbone: feature_model.Backbone) -> list[str]:
  """Returns, in network order, the invertible layers the weights fully reach.

  A layer counts when every layer with weights that it depends on holds
  loaded weights; the list stops at the first layer that does not.
  """
  covered = []
  for name in backbone.invertible_layers:
    try:
      feature_model.check_covered(backbone, [name])
    except errors.WeightsError:
      break
    covered.append(name)
  return covered


def parse_shard(text: str) -> tuple[int, int]:
  """Parses `i/n` (shard i of n, 0 <= i < n) into (i, n).

  Raises:
    ArgumentError: if the text is not of that form.
  """
  match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
  if not match or not int(match[1]) < int(match[2]):
    raise errors.ArgumentError(
        f"bad shard {text!r}: use i/n with 0 <= i < n, e.g. 0/4")
  return int(match[1]), int(match[2])


def shard(items: Sequence, index: int, count: int) -> list:
  """Returns shard `index` of `count`: every count-th item from `index`."""
  return list(items[index::count])


def pending(out_dir: str, layer: str, filter_ids: Iterable[int]) -> list[int]:
  """Returns the filters whose results are not yet in `out_dir` (no PNG, or
  no readable record). It does not compare settings: a run that may meet
  results of other settings asks `resume.kept_filters` instead."""
  return [k for k in filter_ids if not is_done(out_dir, layer, k)
          or read_record(files.filter_stem(out_dir, layer, k) + ".json") is None]


def done_filters(out_dir: str, layer: str, num_filters: int) -> list[int]:
  """Returns the layer's finished filters in `out_dir` (see `done_records`)."""
  return sorted(done_records(out_dir, layer, num_filters))


def inactive_filters(out_dir: str, layer: str,
                     filter_ids: Iterable[int]) -> list[int]:
  """Returns the filters whose readable records say they were not
  activated."""
  inactive = []
  for k in filter_ids:
    record = read_record(files.filter_stem(out_dir, layer, k) + ".json")
    if record is not None and record.inactive:
      inactive.append(k)
  return inactive


def done_records(out_dir: str, layer: str,
                 num_filters: int) -> dict[int, records.FilterRecord]:
  """Returns {filter: record} of the layer's finished filters in `out_dir`
  (PNG present, record readable)."""
  found = {}
  for k in range(num_filters):
    if is_done(out_dir, layer, k):
      record = read_record(files.filter_stem(out_dir, layer, k) + ".json")
      if record is not None:
        found[k] = record
  return found


def save_layer_grid(out_dir: str, layer: str, num_filters: int) -> str:
  """Draws the labelled grid of a layer's finished filters into `<layer>.png`.

  Returns:
    The path of the grid, or "" when no filter of the layer is done yet.
  """
  done_by_filter = done_records(out_dir, layer, num_filters)
  done = sorted(done_by_filter)
  if not done:
    return ""
  pictures = [image_io.load_image(files.filter_stem(out_dir, layer, k) + ".png")
              for k in done]
  inactive = {k for k in done if done_by_filter[k].inactive}
  title = f"{layer}: {len(done)} of {num_filters} filters"
  if inactive:
    title += f", {len(inactive)} inactive"
  sheet = grid.labelled_grid(
      pictures, [f"{k} inactive" if k in inactive else str(k) for k in done],
      title)
  path = paths.join_under(out_dir, f"{layer}.png")
  outputs.write_png(path, sheet)
  return path


LOCK_FILE = ".atlas.lock"


def redraw_grids(out_dir: str, num_filters: Mapping[str, int],
                 then=None) -> list[str]:
  """Draws every layer's grid from the files present, under the lock.

  Args:
    out_dir: the atlas directory.
    num_filters: {layer: number of filters} of the run.
    then: called with (out_dir, num_filters) while the lock is still held,
      to write what else is drawn from the grids (the contact sheet).

  Returns:
    The paths of the grids written.
  """
  with outputs.exclusive_lock(paths.join_under(out_dir, LOCK_FILE)):
    grids = [grid_path for name, count in num_filters.items()
             if (grid_path := save_layer_grid(out_dir, name, count))]
    if then:
      then(out_dir, num_filters)
  return grids

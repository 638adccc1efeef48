"""Texture measures of a whole atlas directory, per filter and per layer.

`measure_atlas` reads every inverted filter of an atlas directory (the
`<layer>_<filter:04d>.png` beside its `.json` record, see `atlas`) and
measures it (`texture_measures`); `write_measures` then adds the measures to
each filter's record (`FilterRecord.texture_measures`) and writes the per-layer
summary as CSV, one row per layer and measure, layers in network order:

  layer,measure,filters,mean,std,min,q1,median,q3,max

Everything is measured before anything is written, and every file is written
atomically, so a bad input leaves the directory as it was.
"""

import csv
import dataclasses
import io
import os
import re
from typing import Mapping, Optional

import numpy as np

from fmi_tf import errors
from fmi_tf.atlas import layer_order
from fmi_tf.atlas import texture_measures
from fmi_tf.io import images as image_io
from fmi_tf.io import outputs
from fmi_tf.io import paths
from fmi_tf.io import progress as progress_lib
from fmi_tf.io import records

SUMMARY_FIELDS: tuple[str, ...] = ("mean", "std", "min", "q1", "median", "q3",
                                   "max")
CSV_COLUMNS: tuple[str, ...] = ("layer", "measure", "filters") + SUMMARY_FIELDS

_RECORD_NAME = re.compile(r"^(?P<layer>.+)_(?P<filter>\d{4,})\.json$")

# {layer: {filter: {measure: value}}}, layers in network order.
AtlasMeasures = dict[str, dict[int, dict[str, float]]]


def find_filters(atlas_dir: str) -> dict[str, list[int]]:
  """Returns the filters inverted in `atlas_dir`, by layer in network order.

  The order is the depth written in the records (`layer_order`).

  Raises:
    ArgumentError: if the directory is missing or holds no inverted filter.
  """
  if not os.path.isdir(atlas_dir):
    raise errors.ArgumentError(f"atlas directory not found: {atlas_dir}")
  found = {}
  for name in sorted(os.listdir(atlas_dir)):
    match = _RECORD_NAME.match(name)
    png = os.path.join(atlas_dir, name[:-len(".json")] + ".png")
    if (match and paths.is_safe_name(match["layer"])
        and os.path.isfile(png)):
      found.setdefault(match["layer"], []).append(int(match["filter"]))
  if not found:
    raise errors.ArgumentError(
        f"no inverted filters (<layer>_<filter>.png and .json) in {atlas_dir}")
  order = layer_order.depth_order({
      layer: layer_order.recorded_index(
          _stem(atlas_dir, layer, min(ids)) + ".json")
      for layer, ids in found.items()})
  return {layer: sorted(found[layer]) for layer in order}


def _stem(atlas_dir: str, layer: str, filter_id: int) -> str:
  return paths.join_under(atlas_dir, f"{layer}_{filter_id:04d}")


def measure_atlas(atlas_dir: str,
                  progress: Optional[progress_lib.Progress] = None
                  ) -> AtlasMeasures:
  """Measures every inverted filter of `atlas_dir`.

  Args:
    atlas_dir: a directory written by fmi-atlas or fmi-invert.
    progress: if given, advanced once per filter measured.

  Returns:
    {layer: {filter: {measure: value}}}, layers in network order.

  Raises:
    ArgumentError: if the directory is missing or holds no inverted filter.
    ImageError: if a filter's PNG cannot be read.
  """
  result = {}
  for layer, filter_ids in find_filters(atlas_dir).items():
    result[layer] = {}
    for k in filter_ids:
      picture = image_io.load_image(_stem(atlas_dir, layer, k) + ".png")
      result[layer][k] = texture_measures.measure(picture)
      if progress:
        progress.advance(status=f"{layer}/{k}")
  return result


def summarise(values) -> dict[str, float]:
  """Returns mean, std, min, quartiles and max of a list of numbers."""
  values = np.asarray(values, dtype=np.float64)
  q1, median, q3 = np.percentile(values, [25, 50, 75])
  return {"mean": float(values.mean()), "std": float(values.std()),
          "min": float(values.min()), "q1": float(q1),
          "median": float(median), "q3": float(q3),
          "max": float(values.max())}


def layer_values(measures: AtlasMeasures, measure: str) -> dict[str, list]:
  """Returns {layer: [the measure of each filter]} in network order."""
  return {layer: [m[measure] for m in by_filter.values()]
          for layer, by_filter in measures.items()}


def layer_summaries(measures: AtlasMeasures) -> list[dict]:
  """Returns one CSV row per layer and measure (see `CSV_COLUMNS`)."""
  rows = []
  for layer in measures:
    for measure in texture_measures.MEASURES:
      values = layer_values(measures, measure)[layer]
      rows.append({"layer": layer, "measure": measure,
                   "filters": len(values), **summarise(values)})
  return rows


def read_records(atlas_dir: str, measures: AtlasMeasures
                 ) -> dict[str, records.FilterRecord]:
  """Returns {JSON path: record} of every measured filter.

  Raises:
    RecordError: if a record does not read as one (`io.records`).
  """
  return {
      path: records.read_filter_record(path)
      for layer, by_filter in measures.items()
      for path in (_stem(atlas_dir, layer, k) + ".json" for k in by_filter)
  }


def check_readable(atlas_dir: str, found: Mapping[str, list[int]]) -> None:
  """Reads every record and decodes every PNG (its size checked first).

  Run before measuring, so that a broken file is reported before any progress
  is shown or anything is written.

  Raises:
    RecordError: if a record does not read as one (`io.records`).
    ImageError: if a PNG is unreadable, truncated or corrupt, or has more
      pixels than `fmi_tf.io.images.MAX_PIXELS`.
  """
  for layer, filter_ids in found.items():
    for k in filter_ids:
      records.read_filter_record(_stem(atlas_dir, layer, k) + ".json")
      image_io.load_image(_stem(atlas_dir, layer, k) + ".png")


def csv_text(rows: list[Mapping]) -> str:
  """Returns the rows as CSV text with a header of `CSV_COLUMNS`."""
  buffer = io.StringIO()
  writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
  writer.writeheader()
  writer.writerows(rows)
  return buffer.getvalue()


def check_writable(atlas_dir: str) -> None:
  """Raises OutputError unless the filters' records can be rewritten."""
  if not os.access(atlas_dir, os.W_OK | os.X_OK):
    raise errors.OutputError(
        f"atlas directory {atlas_dir} is not writable: the measures go into "
        "the filters' JSON records")


def write_measures(atlas_dir: str, measures: AtlasMeasures,
                   csv_path: str) -> None:
  """Adds the measures to every filter's record and writes the layer CSV.

  Every record is read before any is written.

  Raises:
    RecordError: if a record does not read as one (`io.records`).
  """
  read = read_records(atlas_dir, measures)
  for layer, by_filter in measures.items():
    for k, values in by_filter.items():
      path = _stem(atlas_dir, layer, k) + ".json"
      outputs.write_json(path, dataclasses.replace(
          read[path], texture_measures=values).to_dict())
  outputs.write_bytes(csv_path,
                      csv_text(layer_summaries(measures)).encode("utf8"))

"""The files of a dataset-examples directory, written and read back.

Layout:

* `<layer>/<filter:04d>.png`: the filter's sheet, an RGBA PNG holding its
  top-k crops in a row, strongest first (`crop_sheets`): the receptive
  field of the winning unit clipped to the fitted image (never padded),
  pixel for pixel as the network saw it (never resampled). Everything else
  is transparent.
* `<layer>.json`: the layer's receptive field and, per filter, its top-k
  (image name, label, score, the field's box in the fitted image, the crop's
  window there and its first column in the sheet), its mean activation over
  the dataset, its class profile (the mean activation per class) and
  preferred class.
* `examples.json`: the run's record (format version, dataset, classes,
  layers, k, image counts, skipped images), written last: the directory is
  complete exactly when it exists and names the run.
* `.examples_state/`: the resumable state of each shard (see `examples`).

Every file is written atomically (`examples_output`), so an interrupted run
leaves no partial file.
"""

import json
import os
from typing import Mapping

import numpy as np
from PIL import Image

from fmi_tf import errors
from fmi_tf.io import paths
from fmi_tf.io import records
from fmi_tf.microscope import crop_sheets

SUMMARY = "examples.json"
STATE_DIRECTORY = ".examples_state"
# The format of the files: 2 since crops are kept at native scale in RGBA
# sheets (1 resampled them to grey-padded squares). Part of the run's key,
# so a directory of another format is never resumed or mixed.
VERSION = 2


def state_directory(out: str) -> str:
  return paths.join_under(out, STATE_DIRECTORY)


def layer_path(out: str, layer: str) -> str:
  return paths.join_under(out, f"{layer}.json")


def sheet_path(out: str, layer: str, filter_id: int) -> str:
  return paths.join_under(out, layer, f"{filter_id:04d}.png")


def read_summary(out: str) -> dict:
  """The record of a complete examples directory.

  Raises:
    ArgumentError: if the directory holds no complete run.
    RecordError: if its record does not read as a JSON object
      (`io.records`).
  """
  if not os.path.isdir(out):
    raise errors.ArgumentError(f"examples directory not found: {out}")
  path = paths.join_under(out, SUMMARY)
  if not os.path.isfile(path):
    raise errors.ArgumentError(
        f"{out} holds no complete dataset examples ({SUMMARY} is missing: "
        "a run or a shard is unfinished)")
  return records.read_object(path)


def check_version(summary: Mapping, out: str) -> None:
  """Refuses the summary of a directory written in another format.

  Raises:
    ArgumentError: if `summary` (of the directory `out`) is not of
      `VERSION`.
  """
  if summary.get("version") != VERSION:
    raise errors.ArgumentError(
        f"{out} holds dataset examples of format "
        f"{json.dumps(summary.get('version', 1))}, not {VERSION} (crops at "
        "native scale): run fmi-dataset-examples into it again")


def read_layer(out: str, layer: str) -> dict:
  """A layer's record (see the module docstring).

  Raises:
    RecordError: if it is missing or does not read as a JSON object
      (`io.records`).
  """
  return records.read_object(layer_path(out, layer))


def is_complete(out: str, key: str) -> bool:
  """Whether the directory holds the finished outputs of run `key`."""
  try:
    summary = read_summary(out)
  except (errors.ArgumentError, errors.RecordError):
    return False
  return summary.get("key") == key and all(
      os.path.isfile(layer_path(out, n)) for n in summary.get("layers", []))


def read_crops(out: str, record: Mapping, filter_id: int
               ) -> list[np.ndarray]:
  """A filter's crops at native scale, strongest first.

  Args:
    out: a complete examples directory.
    record: its layer's record (`read_layer`).
    filter_id: the filter.

  Returns:
    uint8 [height, width, 3] per crop; none where the directory holds no
    sheet or record for the filter.

  Raises:
    ArgumentError: if the sheet cannot be read.
  """
  filters = record.get("filters", [])
  path = sheet_path(out, record["layer"], filter_id)
  if filter_id >= len(filters) or not os.path.isfile(path):
    return []
  try:
    with Image.open(path) as sheet:
      pixels = np.asarray(sheet.convert("RGBA"))
  except OSError as e:
    raise errors.ArgumentError(f"cannot read {path}: {e}") from None
  return crop_sheets.cut_crops(pixels, filters[filter_id]["top"])

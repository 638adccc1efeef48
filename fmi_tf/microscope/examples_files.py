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

Every file is written atomically, so an interrupted run leaves no partial
file.
"""

import io
import json
import os
import shutil
from typing import Callable, Iterable, Mapping, Sequence
import zlib

import numpy as np
from PIL import Image

from fmi_tf import errors
from fmi_tf.io import images as image_io
from fmi_tf.io import outputs
from fmi_tf.io import paths
from fmi_tf.io import records
from fmi_tf.microscope import crop_sheets
from fmi_tf.microscope import top_k
from fmi_tf.nets import receptive_field

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


# wanted image names -> batches {"name": [B], "image": [B, S, S, 3] float}.
ImageReader = Callable[[set[str]], Iterable[dict]]


def _write_sheets(out: str, key: str, names: Sequence[str],
                  tops: Mapping[str, top_k.TopK],
                  layouts: Mapping[str, crop_sheets.SheetLayout],
                  image_names: Sequence[str],
                  read_images: ImageReader) -> None:
  """Cuts every layer's crops in one reading of the winning images.

  Each winning image is decoded once and all its crops, of every layer, are
  copied from it, pixel for pixel. The sheets are assembled in arrays mapped
  from files of the state directory, so memory stays small whatever their
  number; then each is written as a PNG with fast settings (zlib level 1,
  run-length strategy).
  """
  sheets = {}
  try:
    for i, name in enumerate(names):
      layout = layouts[name]
      sheets[name] = _mapped_array(
          paths.join_under(state_directory(out), f"{key}_{i}.sheets.npy"),
          (tops[name].scores.shape[0], layout.height, layout.width, 4))
      sheets[name][:] = 0
    _cut_and_write(out, names, tops, layouts, image_names, read_images,
                   sheets)
  finally:
    for name in list(sheets):
      path = sheets.pop(name).filename
      os.remove(path)


def _mapped_array(path: str, shape: tuple[int, ...]) -> np.ndarray:
  """A uint8 array mapped from a new file whose blocks are all allocated,
  so a full disk is an OSError here, never a SIGBUS when a page is first
  written."""
  array = np.lib.format.open_memmap(path, "w+", np.uint8, shape)
  try:
    with open(path, "r+b") as f:
      os.posix_fallocate(f.fileno(), 0, os.fstat(f.fileno()).st_size)
  except OSError:
    del array
    os.remove(path)
    raise
  return array


def _cut_and_write(out, names, tops, layouts, image_names, read_images,
                   sheets) -> None:
  """Copies the crops into the mapped sheets, then writes them as PNGs."""
  slots = {}
  for name in names:
    for c, rank in zip(*np.nonzero(tops[name].images != top_k.EMPTY)):
      slots.setdefault(int(tops[name].images[c, rank]), []).append(
          (name, c, rank))
  index = {n: i for i, n in enumerate(image_names)}
  for batch in read_images({image_names[i] for i in slots}):
    for name, picture in zip(batch["name"].numpy(), batch["image"].numpy()):
      pixels = image_io.to_uint8(picture)
      for layer, c, rank in slots[index[name.decode("utf8")]]:
        top, left, height, width = (int(v) for v in
                                    layouts[layer].windows[c, rank])
        x = int(layouts[layer].lefts[c, rank])
        sheet = sheets[layer][c]
        sheet[:height, x:x + width, :3] = pixels[top:top + height,
                                                 left:left + width]
        sheet[:height, x:x + width, 3] = 255
  for name in names:
    outputs.prepare_directory(paths.join_under(out, name))
    for c, sheet in enumerate(sheets[name]):
      height, width = layouts[name].used(c)
      buffer = io.BytesIO()
      Image.fromarray(np.asarray(sheet[:height, :width])).save(
          buffer, format="PNG", compress_level=1, compress_type=zlib.Z_RLE)
      outputs.write_bytes(sheet_path(out, name, c), buffer.getvalue())


def _layer_record(layer: str, top: top_k.TopK,
                  field: receptive_field.ReceptiveField,
                  class_names: Sequence[str], class_sums: np.ndarray,
                  class_counts: np.ndarray, image_names: Sequence[str],
                  labels: np.ndarray,
                  layout: crop_sheets.SheetLayout) -> dict:
  labelled = len(class_names) > 1 and class_counts.sum() > 0
  counted = np.maximum(class_counts, 1)[:, None]
  means = class_sums / counted  # [classes, C]
  overall = class_sums.sum(0) / max(int(class_counts.sum()), 1)
  filters = []
  for c in range(top.scores.shape[0]):
    entries = []
    for rank in range(top.k):
      image = int(top.images[c, rank])
      if image == top_k.EMPTY:
        continue
      entries.append({
          "image": image_names[image], "label": int(labels[image]),
          "score": float(top.scores[c, rank]),
          "box": list(field.box(int(top.rows[c, rank]),
                                int(top.cols[c, rank]))),
          "window": [int(v) for v in layout.windows[c, rank]],
          "sheet_left": int(layout.lefts[c, rank])})
    record = {"filter": c, "top": entries,
              "mean_activation": float(overall[c]),
              "max_activation": entries[0]["score"] if entries else None}
    if labelled:
      profile = means[:, c]
      record["class_mean"] = [float(v) for v in profile]
      record["preferred_class"] = class_names[int(np.argmax(profile))]
    filters.append(record)
  return {"layer": layer, "receptive_field": field.to_dict(),
          "k": top.k, "filters": filters}


def _remove_earlier_run(out: str, names: Sequence[str]) -> None:
  """Removes the summary of an earlier run, then the files of its layers
  that this run does not write again, so none is shown as this run's."""
  try:
    earlier = read_summary(out)
  except (errors.ArgumentError, errors.RecordError):
    return
  os.remove(paths.join_under(out, SUMMARY))
  layers = earlier.get("layers")
  for layer in layers if isinstance(layers, list) else []:
    if layer in names or not paths.is_safe_name(layer):
      continue
    if os.path.isfile(layer_path(out, layer)):
      os.remove(layer_path(out, layer))
    sheets = paths.join_under(out, layer)
    if os.path.isdir(sheets) and not os.path.islink(sheets):
      shutil.rmtree(sheets)


def write_outputs(out: str, key: str, record: Mapping,
                  class_names: Sequence[str], names: Sequence[str],
                  fields: Mapping[str, receptive_field.ReceptiveField],
                  tops: Mapping[str, top_k.TopK],
                  class_sums: Mapping[str, np.ndarray],
                  class_counts: np.ndarray, image_names: Sequence[str],
                  labels: np.ndarray, skipped: Sequence[str],
                  read_images: ImageReader, image_size: int) -> None:
  """Writes the sheets, the layer records, then the summary.

  Args:
    out: the output directory.
    key: the run's hash, recorded in the summary.
    record: what the run was (dataset, image size, network, weights).
    class_names: the dataset's classes.
    names: the layers.
    fields: their receptive fields.
    tops: their merged top-k.
    class_sums: their per-class sums of spatial means [classes, C].
    class_counts: images per class.
    image_names: every image's name, as the top-k index them.
    labels: every image's label.
    skipped: images that could not be decoded.
    read_images: reads the named images again, fitted as in the pass.
    image_size: the side of the fitted images.
  """
  _remove_earlier_run(out, names)
  layouts = {n: crop_sheets.sheet_layout(tops[n], fields[n], image_size)
             for n in names}
  _write_sheets(out, key, names, tops, layouts, image_names, read_images)
  for name in names:
    outputs.write_json(layer_path(out, name), _layer_record(
        name, tops[name], fields[name], class_names, class_sums[name],
        class_counts, image_names, labels, layouts[name]))
  outputs.write_json(paths.join_under(out, SUMMARY), {
      **record, "key": key, "class_names": list(class_names),
      "class_counts": [int(v) for v in class_counts],
      "images": int(class_counts.sum()), "skipped": list(skipped)})

"""Writing a dataset-examples directory (layout: `examples_files`).

`write_outputs` cuts every layer's crops into one RGBA sheet per filter in
one reading of the winning images, writes each layer's record, then the
run's summary, last: the directory is complete exactly when the summary
names the run. The files of an earlier run that this one does not write
again are removed first, so none is shown as this run's. Every file is
written atomically.
"""

import io
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
from fmi_tf.microscope import crop_sheets
from fmi_tf.microscope import examples_files
from fmi_tf.microscope import top_k
from fmi_tf.nets import receptive_field

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
          paths.join_under(examples_files.state_directory(out),
                           f"{key}_{i}.sheets.npy"),
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
      outputs.write_bytes(examples_files.sheet_path(out, name, c),
                          buffer.getvalue())


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
    earlier = examples_files.read_summary(out)
  except (errors.ArgumentError, errors.RecordError):
    return
  os.remove(paths.join_under(out, examples_files.SUMMARY))
  layers = earlier.get("layers")
  for layer in layers if isinstance(layers, list) else []:
    if layer in names or not paths.is_safe_name(layer):
      continue
    if os.path.isfile(examples_files.layer_path(out, layer)):
      os.remove(examples_files.layer_path(out, layer))
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
    outputs.write_json(examples_files.layer_path(out, name), _layer_record(
        name, tops[name], fields[name], class_names, class_sums[name],
        class_counts, image_names, labels, layouts[name]))
  outputs.write_json(paths.join_under(out, examples_files.SUMMARY), {
      **record, "key": key, "class_names": list(class_names),
      "class_counts": [int(v) for v in class_counts],
      "images": int(class_counts.sum()), "skipped": list(skipped)})

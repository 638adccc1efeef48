"""The files of a dataset-examples directory, written and read back.

Layout:

* `<layer>/<filter:04d>.png`: the filter's sprite, its top-k crops in a
  row, strongest first, each `crop_size` pixels square (the receptive field
  of the winning unit, grey where it reaches past the image).
* `<layer>.json`: the layer's receptive field and, per filter, its top-k
  (image name, label, score, box in the fitted image), its mean activation
  over the dataset, its class profile (the mean activation per class) and
  preferred class.
* `examples.json`: the run's record (dataset, classes, layers, k, image
  counts, skipped images), written last: the directory is complete exactly
  when it exists and names the run.
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
from fmi_tf.microscope import top_k
from fmi_tf.nets import receptive_field

SUMMARY = "examples.json"
STATE_DIRECTORY = ".examples_state"
_GREY = 128


def state_directory(out: str) -> str:
  return paths.join_under(out, STATE_DIRECTORY)


def layer_path(out: str, layer: str) -> str:
  return paths.join_under(out, f"{layer}.json")


def sprite_path(out: str, layer: str, filter_id: int) -> str:
  return paths.join_under(out, layer, f"{filter_id:04d}.png")


def _read_json(path: str) -> dict:
  try:
    with open(path, encoding="utf8") as f:
      record = json.load(f)
  except (OSError, ValueError) as e:
    raise errors.ArgumentError(f"cannot read {path}: {e}") from None
  if not isinstance(record, dict):
    raise errors.ArgumentError(f"{path} is not a JSON object")
  return record


def read_summary(out: str) -> dict:
  """The record of a complete examples directory.

  Raises:
    ArgumentError: if the directory holds no complete, readable run.
  """
  if not os.path.isdir(out):
    raise errors.ArgumentError(f"examples directory not found: {out}")
  path = paths.join_under(out, SUMMARY)
  if not os.path.isfile(path):
    raise errors.ArgumentError(
        f"{out} holds no complete dataset examples ({SUMMARY} is missing: "
        "a run or a shard is unfinished)")
  return _read_json(path)


def read_layer(out: str, layer: str) -> dict:
  """A layer's record (see the module docstring).

  Raises:
    ArgumentError: if it is missing or unreadable.
  """
  return _read_json(layer_path(out, layer))


def is_complete(out: str, key: str) -> bool:
  """Whether the directory holds the finished outputs of run `key`."""
  try:
    summary = read_summary(out)
  except errors.ArgumentError:
    return False
  return summary.get("key") == key and all(
      os.path.isfile(layer_path(out, n)) for n in summary.get("layers", []))


def _window(image: np.ndarray, top: int, left: int,
            side: int) -> np.ndarray:
  """The square window (top, left, side) of an image, grey outside it."""
  canvas = np.full((side, side, 3), _GREY, np.uint8)
  height, width = image.shape[:2]
  y0, x0 = max(top, 0), max(left, 0)
  y1, x1 = min(top + side, height), min(left + side, width)
  if y1 > y0 and x1 > x0:
    canvas[y0 - top:y1 - top, x0 - left:x1 - left] = image[y0:y1, x0:x1]
  return canvas


class Cropper:
  """Cuts boxes out of one uint8 image, each resized to a square.

  A box no larger than the result is cut, then enlarged by repeating its
  pixels (nearest neighbour); for a larger box the whole image is reduced
  once per box side (Lanczos) and the box cut from it, so the crops of many
  units of one layer cost one resize.
  """

  def __init__(self, image: np.ndarray):
    """Keeps the image.

    Args:
      image: uint8 [H, W, 3].
    """
    self.image = image
    self._reduced = {}

  def __call__(self, box: tuple[int, int, int], size: int) -> np.ndarray:
    """The box (top, left, side), possibly reaching past the image.

    Returns:
      uint8 [size, size, 3], grey where the box leaves the image.
    """
    top, left, side = box
    if side <= size:
      window = _window(self.image, top, left, side)
      index = ((np.arange(size) + 0.5) * side / size).astype(np.int64)
      return window[index[:, None], index[None, :]]
    reduced = self._reduced.get((side, size))
    if reduced is None:
      height, width = self.image.shape[:2]
      reduced = np.asarray(Image.fromarray(self.image).resize(
          (max(1, round(width * size / side)),
           max(1, round(height * size / side))), Image.LANCZOS))
      self._reduced[(side, size)] = reduced
    return _window(reduced, round(top * size / side),
                   round(left * size / side), size)


def crop(image: np.ndarray, box: tuple[int, int, int],
         size: int) -> np.ndarray:
  """Cuts a square box out of a uint8 image, grey outside it, resized.

  Args:
    image: uint8 [H, W, 3].
    box: (top, left, side), possibly reaching past the image.
    size: the side of the result.

  Returns:
    uint8 [size, size, 3], as `Cropper` cuts it.
  """
  return Cropper(image)(box, size)


# wanted image names -> batches {"name": [B], "image": [B, S, S, 3] float}.
ImageReader = Callable[[set[str]], Iterable[dict]]


def _write_sprites(out: str, key: str, names: Sequence[str],
                   tops: Mapping[str, top_k.TopK],
                   fields: Mapping[str, receptive_field.ReceptiveField],
                   image_names: Sequence[str], read_images: ImageReader,
                   crop_size: int) -> None:
  """Cuts every layer's crops in one reading of the winning images.

  Each winning image is decoded once and all its crops, of every layer, are
  cut from it (`Cropper`: one resize per layer whose field is larger than a
  crop). The sprites are assembled in arrays mapped from files of the state
  directory, so memory stays small whatever their number; then each is
  written as a PNG with fast settings (zlib level 1, run-length strategy).
  """
  sprites = {}
  try:
    for i, name in enumerate(names):
      sprites[name] = _mapped_array(
          paths.join_under(state_directory(out), f"{key}_{i}.sprites.npy"),
          (tops[name].scores.shape[0], crop_size, tops[name].k * crop_size,
           3))
      sprites[name][:] = _GREY
    _cut_and_write(out, names, tops, fields, image_names, read_images,
                   crop_size, sprites)
  finally:
    for name in list(sprites):
      path = sprites.pop(name).filename
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


def _cut_and_write(out, names, tops, fields, image_names, read_images,
                   crop_size, sprites) -> None:
  """Cuts the crops into the mapped sprites, then writes them as PNGs."""
  slots = {}
  for name in names:
    for c, rank in zip(*np.nonzero(tops[name].images != top_k.EMPTY)):
      slots.setdefault(int(tops[name].images[c, rank]), []).append(
          (name, c, rank))
  index = {n: i for i, n in enumerate(image_names)}
  for batch in read_images({image_names[i] for i in slots}):
    for name, picture in zip(batch["name"].numpy(), batch["image"].numpy()):
      cut = Cropper(image_io.to_uint8(picture))
      for layer, c, rank in slots[index[name.decode("utf8")]]:
        top = tops[layer]
        box = fields[layer].box(int(top.rows[c, rank]),
                                int(top.cols[c, rank]))
        sprites[layer][c, :, rank * crop_size:(rank + 1) * crop_size] = cut(
            box, crop_size)
  for name in names:
    outputs.prepare_directory(paths.join_under(out, name))
    for c, sprite in enumerate(sprites[name]):
      buffer = io.BytesIO()
      Image.fromarray(np.asarray(sprite)).save(
          buffer, format="PNG", compress_level=1, compress_type=zlib.Z_RLE)
      outputs.write_bytes(sprite_path(out, name, c), buffer.getvalue())


def _layer_record(layer: str, top: top_k.TopK,
                  field: receptive_field.ReceptiveField,
                  class_names: Sequence[str], class_sums: np.ndarray,
                  class_counts: np.ndarray, image_names: Sequence[str],
                  labels: np.ndarray, crop_size: int) -> dict:
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
                                int(top.cols[c, rank])))})
    record = {"filter": c, "top": entries,
              "mean_activation": float(overall[c]),
              "max_activation": entries[0]["score"] if entries else None}
    if labelled:
      profile = means[:, c]
      record["class_mean"] = [float(v) for v in profile]
      record["preferred_class"] = class_names[int(np.argmax(profile))]
    filters.append(record)
  return {"layer": layer, "receptive_field": field.to_dict(),
          "crop_size": crop_size, "k": top.k, "filters": filters}


def _remove_earlier_run(out: str, names: Sequence[str]) -> None:
  """Removes the summary of an earlier run, then the files of its layers
  that this run does not write again, so none is shown as this run's."""
  try:
    earlier = read_summary(out)
  except errors.ArgumentError:
    return
  os.remove(paths.join_under(out, SUMMARY))
  layers = earlier.get("layers")
  for layer in layers if isinstance(layers, list) else []:
    if layer in names or not paths.is_safe_name(layer):
      continue
    if os.path.isfile(layer_path(out, layer)):
      os.remove(layer_path(out, layer))
    sprites = paths.join_under(out, layer)
    if os.path.isdir(sprites) and not os.path.islink(sprites):
      shutil.rmtree(sprites)


def write_outputs(out: str, key: str, record: Mapping,
                  class_names: Sequence[str], names: Sequence[str],
                  fields: Mapping[str, receptive_field.ReceptiveField],
                  tops: Mapping[str, top_k.TopK],
                  class_sums: Mapping[str, np.ndarray],
                  class_counts: np.ndarray, image_names: Sequence[str],
                  labels: np.ndarray, skipped: Sequence[str],
                  read_images: ImageReader, crop_size: int) -> None:
  """Writes the sprites, the layer records, then the summary.

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
    crop_size: the side of each crop.
  """
  _remove_earlier_run(out, names)
  _write_sprites(out, key, names, tops, fields, image_names, read_images,
                 crop_size)
  for name in names:
    outputs.write_json(layer_path(out, name), _layer_record(
        name, tops[name], fields[name], class_names, class_sums[name],
        class_counts, image_names, labels, crop_size))
  outputs.write_json(paths.join_under(out, SUMMARY), {
      **record, "key": key, "class_names": list(class_names),
      "class_counts": [int(v) for v in class_counts],
      "images": int(class_counts.sum()), "skipped": list(skipped),
      "crop_size": crop_size})

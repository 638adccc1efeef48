"""Brodatz-style plates cut into tiles: one class per plate.

Protocol: each class directory `<root>/<class>/` holds one or more plates
(the shared copy: `D<n>/D<n>.gif`, 640 x 640 grey). Every plate is cut into
a `tiles_per_side` x `tiles_per_side` grid of non-overlapping square tiles
of side `floor(min(height, width) / tiles_per_side)` (160 px for 4 x 4 on
640 px plates), anchored at the top-left corner. Within each class the
tiles are split into train and test by the stratified, seeded draw of
`folder.stratified_split` (default: 4 of 16 tiles held out).
"""

import os

import numpy as np

from fmi_tf import errors
from fmi_tf.datasets import folder
from fmi_tf.datasets import split
from fmi_tf.io import images as image_io


def plate_tiles(root: str, relative_path: str,
                tiles_per_side: int) -> list[tuple[str, tuple[int, ...]]]:
  """Returns [(tile name, (top, left, side, side))] of one plate.

  Raises:
    ImageError: if the plate cannot be read or has more pixels than
      `fmi_tf.io.images.MAX_PIXELS` (only its header is read).
    ArgumentError: if the plate has fewer pixels a side than tiles.
  """
  path = os.path.join(root, relative_path)
  width, height, _ = image_io.header(path)
  side = min(height, width) // tiles_per_side
  if side < 1:
    raise errors.ArgumentError(
        f"plate {path} ({width} x {height}) is too small for "
        f"{tiles_per_side} tiles a side")
  return [(f"{relative_path}#r{row}c{col}",
           (row * side, col * side, side, side))
          for row in range(tiles_per_side) for col in range(tiles_per_side)]


def _examples(root: str, tile_names: list[str], boxes: dict,
              class_names: list[str]) -> split.Examples:
  index = {name: i for i, name in enumerate(class_names)}
  return split.file_examples(
      [os.path.join(root, name.split("#")[0]) for name in tile_names],
      [index[name.split("/", 1)[0]] for name in tile_names], tile_names,
      np.asarray([boxes[name] for name in tile_names], np.int32))


def load(root: str, tiles_per_side: int = 4, test_fraction: float = 0.25,
         seed: int = 0) -> split.Dataset:
  """Loads plates as tiled classes split into train and test tiles.

  Raises:
    ArgumentError: for fewer than 2 tiles per side or a bad root.
  """
  if tiles_per_side < 2:
    raise errors.ArgumentError(
        f"tiles per side must be at least 2, not {tiles_per_side}")
  plates = folder.class_files(root)
  class_names = list(plates)
  tiles, boxes = {}, {}
  for class_name, files in plates.items():
    tiles[class_name] = []
    for relative_path in files:
      for name, box in plate_tiles(root, relative_path, tiles_per_side):
        tiles[class_name].append(name)
        boxes[name] = box
  train, test = folder.stratified_split(tiles, test_fraction, seed)
  return split.Dataset(
      name=f"brodatz:{os.path.abspath(root)}",
      class_names=tuple(class_names),
      train=_examples(root, train, boxes, class_names),
      test=_examples(root, test, boxes, class_names),
      protocol=(f"{tiles_per_side}x{tiles_per_side} tiles per plate, "
                f"test_fraction={test_fraction} seed={seed}"))

"""Tiling images into grids, plain (for TensorBoard) or labelled (atlases)."""

import math
from typing import Optional, Sequence

import numpy as np
from PIL import Image
from PIL import ImageDraw
from PIL import ImageFont

from fmi_tf.io import images as image_io


def tile(images: np.ndarray, columns: Optional[int] = None,
         padding: int = 2) -> np.ndarray:
  """Tiles [N, H, W, 3] images row by row on a white background.

  Args:
    images: N images of one size, float in [0, 1].
    columns: images per row; default about sqrt(N).
    padding: white pixels between images.

  Returns:
    One [H', W', 3] float32 image.
  """
  count, height, width, _ = images.shape
  columns = columns or math.ceil(math.sqrt(count))
  rows = math.ceil(count / columns)
  grid = np.ones((rows * (height + padding) + padding,
                  columns * (width + padding) + padding, 3), np.float32)
  for i, image in enumerate(images):
    top = padding + (i // columns) * (height + padding)
    left = padding + (i % columns) * (width + padding)
    grid[top:top + height, left:left + width] = image
  return grid


def labelled_grid(images: Sequence[np.ndarray], labels: Sequence[str],
                  title: str, columns: Optional[int] = None) -> Image.Image:
  """Draws images in a grid with a label under each and a title on top.

  Args:
    images: [H, W, 3] float images in [0, 1], all of one size.
    labels: one short text per image.
    title: the heading of the sheet.
    columns: images per row; default about sqrt(N).

  Returns:
    The sheet as a Pillow RGB image.
  """
  font = ImageFont.load_default()
  height, width, _ = images[0].shape
  columns = columns or math.ceil(math.sqrt(len(images)))
  rows = math.ceil(len(images) / columns)
  label_height, title_height, padding = 14, 22, 4
  cell_w, cell_h = width + padding, height + label_height + padding
  title_width = int(font.getlength(title)) + 2 * padding
  sheet = Image.new("RGB", (max(columns * cell_w + padding, title_width),
                            rows * cell_h + title_height + padding), "white")
  draw = ImageDraw.Draw(sheet)
  draw.text((padding, 5), title, fill="black", font=font)
  for i, (image, label) in enumerate(zip(images, labels)):
    left = padding + (i % columns) * cell_w
    top = title_height + (i // columns) * cell_h
    sheet.paste(Image.fromarray(image_io.to_uint8(image)), (left, top))
    draw.text((left, top + height + 1), label, fill="black", font=font)
  return sheet

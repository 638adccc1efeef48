r"""The figure of the recognition page: each class's voting filters.

Usage:
  python docs/recognition_voters.py --model=runs/energy_fold1/model \
      --examples=examples/ --weights=vgg19_imagenet_notop.h5 \
      --pictures=voters.npz --out=docs/recognition_voters_dtd10.jpg \
      [--voters=4] [--crops=3] [--size=64] [--steps=60]

One row per class: its --voters filters voting most for it (the
classifier's standardised weights, as `recognition_page` ranks them), each
with its picture (`fmi_tf.invert` with the network's defaults at --size
pixels, kept in --pictures so that a rerun only draws the figure) and its
first --crops dataset crops (`fmi-dataset-examples` into --examples), every
picture and crop at its own pixel size, each crop captioned with its
image's class.
"""

import argparse
import os

import numpy as np
from PIL import Image
from PIL import ImageDraw
from PIL import ImageFont

import fmi_tf
from fmi_tf.io import images as image_io
from fmi_tf.microscope import examples_files
from fmi_tf.recognition import explanation
from fmi_tf.recognition import trained_model

_PAD = 6
_TEXT = 12
_LABEL_WIDTH = 96
_BACKGROUND = (255, 255, 255)
_INK = (20, 20, 20)


def _voters(model, count: int) -> list[list[tuple[str, int, float]]]:
  units = explanation.descriptor_units(model.encoder)
  return [[(units.layers[d], int(units.indices[d]), w)
           for d, w in explanation.voters(model.classifier, units, c, count)]
          for c in range(len(model.class_names))]


def _pictures(path: str, weights: str, wanted, size: int,
              steps: int) -> dict[str, np.ndarray]:
  """The filters' pictures, drawn once and kept in `path`."""
  kept = dict(np.load(path)) if os.path.isfile(path) else {}
  net = None
  for layer in sorted({layer for layer, _ in wanted}):
    missing = sorted(k for name, k in wanted if name == layer
                     and f"{layer}/{k}" not in kept)
    if missing:
      net = net or fmi_tf.network("vgg19", weights=weights)
      result = fmi_tf.invert(net, layer, filters=missing, size=size,
                             steps=steps, progress=False)
      kept.update({f"{layer}/{k}": image_io.to_uint8(image)
                   for k, image in zip(missing, result.images)})
      np.savez(path, **kept)
  return kept


def _cell(picture, crops, labels, caption, font) -> Image.Image:
  """A voter: its picture, then its crops captioned, then its caption."""
  crops_height = max([c.shape[0] for c in crops] + [0]) + _TEXT
  width = picture.shape[1] + sum(c.shape[1] + _PAD for c in crops) + _PAD
  height = max(picture.shape[0], crops_height) + _TEXT + _PAD
  cell = Image.new("RGB", (width, height), _BACKGROUND)
  draw = ImageDraw.Draw(cell)
  cell.paste(Image.fromarray(picture), (0, 0))
  left = picture.shape[1] + _PAD
  for crop, label in zip(crops, labels):
    cell.paste(Image.fromarray(crop), (left, 0))
    draw.text((left, crop.shape[0] + 1), label[:crop.shape[1] // 6],
              fill=_INK, font=font)
    left += crop.shape[1] + _PAD
  draw.text((0, height - _TEXT - 2), caption, fill=_INK, font=font)
  return cell


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument("--model", required=True)
  parser.add_argument("--examples", required=True)
  parser.add_argument("--weights", required=True)
  parser.add_argument("--pictures", required=True)
  parser.add_argument("--out", required=True)
  parser.add_argument("--voters", type=int, default=4)
  parser.add_argument("--crops", type=int, default=3)
  parser.add_argument("--size", type=int, default=64)
  parser.add_argument("--steps", type=int, default=60)
  args = parser.parse_args()
  model = trained_model.load(args.model)
  voted = _voters(model, args.voters)
  pictures = _pictures(args.pictures, args.weights,
                       {(layer, k) for row in voted for layer, k, _ in row},
                       args.size, args.steps)
  summary = examples_files.read_summary(args.examples)
  examples_files.check_version(summary, args.examples)
  classes = summary["class_names"]
  records = {}
  font = ImageFont.load_default()
  rows = []
  for name, row in zip(model.class_names, voted):
    cells = []
    for layer, k, weight in row:
      if layer not in records:
        records[layer] = examples_files.read_layer(args.examples, layer)
      top = records[layer]["filters"][k]["top"][:args.crops]
      crops = examples_files.read_crops(args.examples, records[layer], k)
      cells.append(_cell(pictures[f"{layer}/{k}"], crops[:args.crops],
                         [classes[t["label"]] for t in top],
                         f"{layer} / {k}  weight {weight:+.2f}", font))
    rows.append((name, cells))
  width = _LABEL_WIDTH + max(sum(c.width + 2 * _PAD for c in cells)
                             for _, cells in rows)
  heights = [max(c.height for c in cells) + _PAD for _, cells in rows]
  figure = Image.new("RGB", (width, sum(heights)), _BACKGROUND)
  draw = ImageDraw.Draw(figure)
  top = 0
  for (name, cells), height in zip(rows, heights):
    draw.text((_PAD, top + 2), name, fill=_INK, font=font)
    left = _LABEL_WIDTH
    for cell in cells:
      figure.paste(cell, (left, top))
      left += cell.width + 2 * _PAD
    draw.line([(0, top + height - 3), (width, top + height - 3)],
              fill=(200, 200, 200))
    top += height
  figure.save(args.out, quality=80)


if __name__ == "__main__":
  main()

"""Scores of a classifier on held-out images: report and confusion matrix.

The report is a JSON-able dict: overall accuracy, per-class accuracy (the
diagonal of the row-normalised confusion matrix) and the confusion matrix
itself, rows = true class, columns = predicted class. The PNG shows the
row-normalised matrix as shades of blue, with the counts written in;
`per_class_image` draws per-class accuracies of several encoders as bars.
"""

import numpy as np
from PIL import Image
from PIL import ImageDraw
from PIL import ImageFont

CELL = 34
MARGIN = 8
BAR_WIDTH = 300
BAR_HEIGHT = 9
_COLOURS = ((31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40),
            (148, 103, 189), (140, 86, 75))


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray,
                     num_classes: int) -> np.ndarray:
  """Counts [K, K]: entry (i, j) = images of class i predicted as j."""
  matrix = np.zeros((num_classes, num_classes), np.int64)
  np.add.at(matrix, (np.asarray(labels), np.asarray(predicted)), 1)
  return matrix


def report(labels: np.ndarray, predicted: np.ndarray,
           class_names: tuple[str, ...]) -> dict:
  """Accuracy, per-class accuracy and confusion matrix of predictions."""
  matrix = confusion_matrix(labels, predicted, len(class_names))
  totals = matrix.sum(axis=1)
  per_class = {
      name: (float(matrix[i, i] / totals[i]) if totals[i] else None)
      for i, name in enumerate(class_names)}
  return {
      "accuracy": float(np.trace(matrix) / max(1, matrix.sum())),
      "per_class_accuracy": per_class,
      "confusion_matrix": matrix.tolist(),
      "class_names": list(class_names),
  }


def confusion_image(matrix: np.ndarray,
                    class_names: tuple[str, ...]) -> Image.Image:
  """Draws the confusion matrix with class names and counts.

  Args:
    matrix: int [K, K], rows = true class, columns = predicted class.
    class_names: the K names.

  Returns:
    An RGB Pillow image.
  """
  font = ImageFont.load_default()
  num = len(class_names)
  label_width = max(font.getbbox(n)[2] for n in class_names) + MARGIN
  grid = num * CELL
  width = label_width + grid + MARGIN
  height = label_width + grid + MARGIN + 14
  image = Image.new("RGB", (width, height), "white")
  draw = ImageDraw.Draw(image)
  rows = matrix / np.maximum(1, matrix.sum(axis=1, keepdims=True))
  top = label_width + 14
  draw.text((label_width, 2), "predicted class", fill="black", font=font)
  for i, name in enumerate(class_names):
    y = top + i * CELL
    draw.text((MARGIN // 2, y + CELL // 2 - 5), name, fill="black",
              font=font)
    caption = Image.new("RGB", (label_width, 12), "white")
    ImageDraw.Draw(caption).text((MARGIN // 2, 0), name, fill="black",
                                 font=font)
    image.paste(caption.rotate(90, expand=True),
                (label_width + i * CELL + CELL // 2 - 6, 14))
    for j in range(num):
      x = label_width + j * CELL
      shade = int(255 * (1 - 0.8 * rows[i, j]))
      draw.rectangle([x, y, x + CELL - 1, y + CELL - 1],
                     fill=(shade, shade, 255), outline=(200, 200, 200))
      if matrix[i, j]:
        text = str(matrix[i, j])
        colour = "white" if rows[i, j] > 0.5 else "black"
        draw.text((x + CELL // 2 - 3 * len(text), y + CELL // 2 - 5), text,
                  fill=colour, font=font)
  return image


def per_class_image(accuracies: dict[str, tuple[np.ndarray, np.ndarray]],
                    class_names: tuple[str, ...]) -> Image.Image:
  """Draws per-class accuracy bars, one colour per encoder.

  Args:
    accuracies: {encoder: (mean [K], std [K])}, accuracies in [0, 1] (for
      example over folds).
    class_names: the K names.

  Returns:
    An RGB Pillow image: a row of bars per class, the mean written at each
    bar's end and the standard deviation drawn as a whisker.
  """
  font = ImageFont.load_default()
  label_width = max(font.getbbox(n)[2] for n in class_names) + MARGIN
  group = len(accuracies) * BAR_HEIGHT + MARGIN
  legend = 14 * len(accuracies) + MARGIN
  width = label_width + BAR_WIDTH + 60
  height = legend + len(class_names) * group + 16
  image = Image.new("RGB", (width, height), "white")
  draw = ImageDraw.Draw(image)
  colours = dict(zip(accuracies, _COLOURS * len(accuracies)))
  for i, (name, colour) in enumerate(colours.items()):
    draw.rectangle([MARGIN, 4 + 14 * i, MARGIN + 10, 13 + 14 * i],
                   fill=colour)
    mean = float(np.mean(accuracies[name][0]))
    draw.text((MARGIN + 16, 3 + 14 * i), f"{name} (mean {100 * mean:.1f} %)",
              fill="black", font=font)
  for k, class_name in enumerate(class_names):
    top = legend + k * group
    draw.text((MARGIN // 2, top + group // 2 - 8), class_name, fill="black",
              font=font)
    for j, (name, (mean, std)) in enumerate(accuracies.items()):
      y = top + j * BAR_HEIGHT
      end = label_width + int(BAR_WIDTH * mean[k])
      draw.rectangle([label_width, y, max(label_width, end), y +
                      BAR_HEIGHT - 2], fill=colours[name])
      low = label_width + int(BAR_WIDTH * max(0.0, mean[k] - std[k]))
      high = label_width + int(BAR_WIDTH * min(1.0, mean[k] + std[k]))
      middle = y + BAR_HEIGHT // 2 - 1
      draw.line([low, middle, high, middle], fill="black")
      draw.text((label_width + BAR_WIDTH + 4, y - 2),
                f"{100 * mean[k]:.0f}", fill="black", font=font)
  axis = legend + len(class_names) * group
  for tick in range(0, 101, 25):
    x = label_width + BAR_WIDTH * tick // 100
    draw.line([x, legend - 2, x, axis], fill=(200, 200, 200))
    draw.text((x - 6, axis + 2), f"{tick}%", fill="black", font=font)
  return image

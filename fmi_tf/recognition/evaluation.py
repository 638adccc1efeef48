"""Scores of a classifier on held-out images: report and confusion matrix.

The report is a JSON-able dict: overall accuracy, per-class accuracy (the
diagonal of the row-normalised confusion matrix) and the confusion matrix
itself (scikit-learn's), rows = true class, columns = predicted class.
`confusion_image` draws the matrix with matplotlib, as shades of blue with
the counts written in; `per_class_image` draws per-class accuracies of
several encoders as bars.
"""

from matplotlib import figure as mpl_figure
from matplotlib.backends import backend_agg
import numpy as np
from PIL import Image
from sklearn import metrics

DPI = 100
# Inches per class: a confusion matrix cell, a group of per-class bars.
CELL_INCHES = 0.45
BAR_INCHES = 0.14


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray,
                     num_classes: int) -> np.ndarray:
  """Counts [K, K]: entry (i, j) = images of class i predicted as j."""
  return metrics.confusion_matrix(labels, predicted,
                                  labels=np.arange(num_classes))


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


def _rendered(figure: mpl_figure.Figure) -> Image.Image:
  """The figure as an RGB Pillow image."""
  canvas = backend_agg.FigureCanvasAgg(figure)
  canvas.draw()
  return Image.fromarray(np.asarray(canvas.buffer_rgba())[..., :3])


def confusion_image(matrix: np.ndarray,
                    class_names: tuple[str, ...]) -> Image.Image:
  """Draws the confusion matrix with class names and counts.

  Args:
    matrix: int [K, K], rows = true class, columns = predicted class.
    class_names: the K names.

  Returns:
    An RGB Pillow image.
  """
  side = 2.0 + CELL_INCHES * len(class_names)
  figure = mpl_figure.Figure(figsize=(side, side), dpi=DPI,
                             layout="constrained")
  metrics.ConfusionMatrixDisplay(np.asarray(matrix), display_labels=list(
      class_names)).plot(ax=figure.add_subplot(), cmap="Blues",
                         colorbar=False, xticks_rotation="vertical")
  return _rendered(figure)


def per_class_image(accuracies: dict[str, tuple[np.ndarray, np.ndarray]],
                    class_names: tuple[str, ...]) -> Image.Image:
  """Draws per-class accuracy bars, one colour per encoder.

  Args:
    accuracies: {encoder: (mean [K], std [K])}, accuracies in [0, 1] (for
      example over folds).
    class_names: the K names.

  Returns:
    An RGB Pillow image: a group of horizontal bars per class, the mean (in
    %) written at each bar's end and the standard deviation drawn as a
    whisker; the legend gives each encoder's mean over the classes.
  """
  groups = np.arange(len(class_names))
  height = 0.8 / len(accuracies)
  figure = mpl_figure.Figure(
      figsize=(7.0, 1.5 + BAR_INCHES * len(accuracies) * len(class_names)),
      dpi=DPI, layout="constrained")
  axes = figure.add_subplot()
  for j, (name, (mean, std)) in enumerate(accuracies.items()):
    mean, std = 100 * np.asarray(mean), 100 * np.asarray(std)
    bars = axes.barh(groups + j * height, mean, height, xerr=std,
                     error_kw={"elinewidth": 0.8},
                     label=f"{name} (mean {np.mean(mean):.1f} %)")
    axes.bar_label(bars, [f"{m:.0f}" for m in mean], padding=2, fontsize=7)
  axes.set_yticks(groups + height * (len(accuracies) - 1) / 2, class_names)
  axes.invert_yaxis()
  axes.set_xlim(0, 110)
  axes.set_xticks(range(0, 101, 25), [f"{t}%" for t in range(0, 101, 25)])
  axes.grid(axis="x", color="0.85")
  axes.set_axisbelow(True)
  axes.legend(loc="lower left", bbox_to_anchor=(0, 1), ncols=2,
              frameon=False)
  return _rendered(figure)

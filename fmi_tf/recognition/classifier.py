"""Linear classifiers on texture descriptors, carried by a Keras Dense layer.

Two fits are offered, both by scikit-learn and both L2-regularised with
strength 1/C: `svm`, a one-vs-rest linear SVM (LinearSVC, squared hinge
loss), and `softmax`, multinomial logistic regression. The descriptors are
standardised (per-dimension mean and standard deviation of the training
part) and divided by sqrt(D), so that their mean squared norm is 1 and C
means the same for 256-D and 43,232-D descriptors (and liblinear converges
in a few iterations). This scaling is folded into the weights,
so the result is one affine map `scores = x W + b` that a Dense layer
carries into the exported models. When descriptors have more dimensions
than there are training images (Gram descriptors), the fit runs in the span
of the training descriptors: by the representer theorem an L2-regularised
linear model's weights lie in that span, so the solution is the same, found
in N instead of D dimensions. `svm` with C = 100 is the default. Over the ten
dtd10 folds at C = 100 the two are within one standard deviation (energy
76.0 vs 75.6 %, Gram 77.7 vs 77.6 %, GAP 75.4 vs 76.5 %); on fold 1 the
SVM was ahead at every C tried (1, 10, 100) for energy and Gram, and it
fits several times faster (docs/recognition.md, "Classifier").

Scores are margins, not confidences. `probabilities` turns them into
softmax(scores / T) with one temperature T fitted on the training data
(Guo et al., "On Calibration of Modern Neural Networks", 2017): T minimises
the cross-entropy of the training labels under the scores of classifiers
fitted on the other folds of a stratified 3-fold split of the training part
(a classifier's scores on its own training images are overconfident). One
parameter keeps the ranking of the margins, needs no per-class data (unlike
Platt scaling of each one-vs-rest SVM, whose K sigmoids must then be
renormalised), and is carried by the exports as a constant.
"""

import dataclasses
import io
import math
import numbers
import os
from typing import Optional
import zipfile

import keras
import numpy as np
from scipy import optimize
from scipy import special
from sklearn import linear_model
from sklearn import model_selection
from sklearn import svm

from fmi_tf import errors
from fmi_tf.io import outputs

METHODS = ("svm", "softmax")
FILENAME = "classifier.npz"
DEFAULT_C = 100.0
CALIBRATION_FOLDS = 3
_ABSENT_BIAS = -1e9


@dataclasses.dataclass(frozen=True)
class LinearClassifier:
  """scores = descriptors @ weights + bias.

  Attributes:
    weights: float32 [D, K].
    bias: float32 [K].
    class_names: K names.
    temperature: T of the calibrated probabilities softmax(scores / T).
    mean: float32 [D], the mean training descriptor, or None for a
      classifier saved before it was kept (`explanation` needs it).
    scale: float32 [D], the training descriptors' standardisation scale
      (module docstring): weights * scale are the weights of the
      standardised descriptor; None where mean is.
  """
  weights: np.ndarray
  bias: np.ndarray
  class_names: tuple[str, ...]
  temperature: float = 1.0
  mean: Optional[np.ndarray] = None
  scale: Optional[np.ndarray] = None

  def scores(self, descriptors: np.ndarray) -> np.ndarray:
    """Class scores [N, K] of descriptors [N, D]."""
    return np.asarray(descriptors, np.float32) @ self.weights + self.bias

  def probabilities(self, descriptors: np.ndarray) -> np.ndarray:
    """Calibrated class probabilities [N, K], softmax(scores / T)."""
    return special.softmax(self.scores(descriptors) / self.temperature,
                           axis=-1)

  def predict(self, descriptors: np.ndarray) -> np.ndarray:
    """The best-scoring class index of each descriptor."""
    return np.argmax(self.scores(descriptors), axis=-1)

  def to_keras(self) -> keras.Model:
    """A model descriptors [B, D] -> scores [B, K]: one Dense layer."""
    inputs = keras.Input((self.weights.shape[0],), name="descriptors")
    dense = keras.layers.Dense(self.weights.shape[1], name="scores")
    outputs_ = dense(inputs)
    dense.set_weights([self.weights, self.bias])
    return keras.Model(inputs, outputs_, name="linear_classifier")

  def save(self, directory: str) -> str:
    """Writes `directory/classifier.npz` (no pickled objects)."""
    buffer = io.BytesIO()
    standardisation_ = ({} if self.mean is None
                        else {"mean": self.mean, "scale": self.scale})
    np.savez(buffer, weights=self.weights, bias=self.bias,
             class_names=np.asarray(self.class_names, dtype=np.str_),
             temperature=np.float64(self.temperature), **standardisation_)
    path = os.path.join(directory, FILENAME)
    outputs.write_bytes(path, buffer.getvalue())
    return path

  @classmethod
  def load(cls, directory: str) -> "LinearClassifier":
    """Reads what `save` wrote.

    Raises:
      ArgumentError: if the file is missing or malformed.
    """
    path = os.path.join(directory, FILENAME)
    try:
      with np.load(path, allow_pickle=False) as archive:
        kept = "mean" in archive.files
        return cls(archive["weights"], archive["bias"],
                   tuple(str(n) for n in archive["class_names"]),
                   float(archive["temperature"]),
                   archive["mean"] if kept else None,
                   archive["scale"] if kept else None)
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile) as e:
      raise errors.ArgumentError(
          f"cannot read classifier {path}: {e}") from None


def check_regularization(regularization: float) -> None:
  """Raises ArgumentError unless C is a finite positive number."""
  if not (isinstance(regularization, numbers.Real)
          and math.isfinite(regularization) and regularization > 0):
    raise errors.ArgumentError(
        f"C must be a finite positive number, not "
        f"{errors.shown(regularization)}")


def _span_basis(x: np.ndarray) -> np.ndarray:
  """Orthonormal basis [D, R] of the rows' span (identity if D <= N)."""
  if x.shape[1] <= x.shape[0]:
    return np.eye(x.shape[1])
  eigenvalues, eigenvectors = np.linalg.eigh(x @ x.T)
  keep = eigenvalues > eigenvalues.max() * 1e-10
  return (x.T @ eigenvectors[:, keep]) / np.sqrt(eigenvalues[keep])


def standardisation(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
  """(mean [D], scale [D]) such that (x - mean) / scale has zero mean and
  mean squared norm 1: each dimension's variance is 1 / D (module
  docstring); a constant dimension stays 0."""
  return x.mean(axis=0), (x.std(axis=0) + 1e-6) * np.sqrt(x.shape[1])


def _fit(x: np.ndarray, labels: np.ndarray, num_classes: int, method: str,
         regularization: float) -> tuple[np.ndarray, np.ndarray]:
  """Fits one classifier; returns (weights [D, K], bias [K]), float64."""
  present = np.unique(labels)
  mean, std = standardisation(x)
  if method == "svm":
    model = svm.LinearSVC(C=regularization, max_iter=5000)
  else:
    model = linear_model.LogisticRegression(C=regularization, max_iter=2000)
  standardised = (x - mean) / std
  basis = _span_basis(standardised)
  model.fit(standardised @ basis, labels)
  coef = model.coef_ @ basis.T
  intercept = model.intercept_
  if len(present) == 2:
    coef = np.concatenate([-coef, coef])
    intercept = np.concatenate([-intercept, intercept])
  weights = np.zeros((x.shape[1], num_classes))
  bias = np.full(num_classes, _ABSENT_BIAS)
  folded = coef / std
  weights[:, present] = folded.T
  bias[present] = intercept - folded @ mean
  return weights, bias


def fit_temperature(scores: np.ndarray, labels: np.ndarray) -> float:
  """T minimising the cross-entropy of labels under softmax(scores / T)."""
  def loss(log_temperature):
    log_p = special.log_softmax(scores / np.exp(log_temperature), axis=-1)
    return -np.mean(log_p[np.arange(len(labels)), labels])
  found = optimize.minimize_scalar(loss, bounds=(-7.0, 7.0), method="bounded")
  return float(np.exp(found.x))


def _held_out_scores(x: np.ndarray, labels: np.ndarray, num_classes: int,
                     method: str, regularization: float) -> np.ndarray:
  """Scores of every training image by a classifier fitted without it.

  Stratified folds (3, fewer for small classes); where a class has a
  single image, the in-sample scores.
  """
  counts = np.bincount(labels)
  folds = min(CALIBRATION_FOLDS, counts[counts > 0].min())
  if folds < 2:
    weights, bias = _fit(x, labels, num_classes, method, regularization)
    return x @ weights + bias
  scores = np.zeros((len(labels), num_classes))
  splitter = model_selection.StratifiedKFold(folds, shuffle=True,
                                             random_state=0)
  for fit_part, held_out in splitter.split(x, labels):
    weights, bias = _fit(x[fit_part], labels[fit_part], num_classes, method,
                         regularization)
    scores[held_out] = x[held_out] @ weights + bias
  return scores


def train(descriptors: np.ndarray, labels: np.ndarray,
          class_names: tuple[str, ...], method: str = "svm",
          regularization: float = DEFAULT_C) -> LinearClassifier:
  """Fits a linear classifier and calibrates its probabilities.

  Args:
    descriptors: float [N, D].
    labels: int [N] class indices.
    class_names: the K names labels index into.
    method: `svm` or `softmax`.
    regularization: C, the inverse of the L2 penalty's strength.

  Returns:
    The classifier, standardisation folded in (and kept, for
    explanations), with the temperature of its
    probabilities fitted on held-out training scores (module docstring). A
    class without training images gets zero weights and a bias of -1e9: it
    is never predicted.

  Raises:
    ArgumentError: for an unknown method, C not finite and positive, or
      fewer than 2 classes.
  """
  errors.check_choice("classifier", method, METHODS)
  check_regularization(regularization)
  labels = np.asarray(labels)
  if len(np.unique(labels)) < 2:
    raise errors.ArgumentError("training needs images of at least 2 classes")
  x = np.asarray(descriptors, np.float64)
  weights, bias = _fit(x, labels, len(class_names), method, regularization)
  held_out = _held_out_scores(x, labels, len(class_names), method,
                              regularization)
  present = np.unique(labels)
  remap = np.searchsorted(present, labels)
  temperature = fit_temperature(held_out[:, present], remap)
  mean, scale = standardisation(x)
  return LinearClassifier(weights.astype(np.float32), bias.astype(np.float32),
                          tuple(class_names), temperature,
                          mean.astype(np.float32), scale.astype(np.float32))

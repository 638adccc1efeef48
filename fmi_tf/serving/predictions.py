"""Predictions of the end-to-end export, checked against its signature.

A server is not trusted: what it answers becomes `Prediction`s only if it
has the shape the export's signature promises. For B images: B rows, each
with the K class names (strings), class ids (each of 0..K-1 once) and
scores (finite probabilities in [0, 1], ranked, summing to 1) of every
class, K the same in every row and each id naming the same class in every
row; `probabilities`, if given, are the same K values in class order.
Anything else is an `ArgumentError` naming the server and what was wrong.
"""

import dataclasses
import math
from typing import Any

from fmi_tf import errors

OUTPUTS = ("class_names", "class_ids", "scores")
# Softmax outputs in float32 sum to 1 within this.
_SUM_TOLERANCE = 1e-3


@dataclasses.dataclass(frozen=True)
class Prediction:
  """Classes of one image, best first; the i-th name, id and score align."""
  class_names: tuple[str, ...]
  class_ids: tuple[int, ...]
  scores: tuple[float, ...]

  def top(self, k: int) -> list[tuple[str, float]]:
    """The k best (class name, score) pairs."""
    return list(zip(self.class_names[:k], self.scores[:k]))

  def describe(self, k: int) -> str:
    """The k best classes on one line: `banded 0.990, cobwebbed 0.007`."""
    return ", ".join(f"{name} {score:.3f}" for name, score in self.top(k))


def short(value: Any, limit: int = 80) -> str:
  """value's repr on one line, cut to about limit characters."""
  text = " ".join(repr(value).split())
  return text if len(text) <= limit else text[:limit] + "..."


def _is_number(value) -> bool:
  return isinstance(value, (int, float)) and not isinstance(value, bool)


def _probabilities(values, k: int) -> bool:
  return (isinstance(values, list) and len(values) == k
          and all(_is_number(v) and math.isfinite(v) and 0 <= v <= 1
                  for v in values))


def _row(row, index: int, k: int, source: str) -> Prediction:
  """Checks one row of K classes; returns its Prediction."""

  def wrong(what):
    return errors.ArgumentError(
        f"{source} answered a prediction {index} whose {what}")

  if not isinstance(row, dict):
    raise errors.ArgumentError(
        f"{source} answered a prediction {index} that is no object: "
        f"{short(row)}")
  missing = [name for name in OUTPUTS if name not in row]
  if missing:
    raise wrong(f"lacks {', '.join(missing)}")
  names, ids, scores = (row[name] for name in OUTPUTS)
  for name in OUTPUTS:
    if not isinstance(row[name], list) or len(row[name]) != k:
      raise wrong(f"{name} is no list of {k} (the classes of prediction 0)")
  if not all(isinstance(n, str) for n in names):
    raise wrong("class_names are not all strings")
  if not (all(isinstance(i, int) and not isinstance(i, bool) for i in ids)
          and sorted(ids) == list(range(k))):
    raise wrong(f"class_ids are not each of 0..{k - 1} once: {short(ids)}")
  if not _probabilities(scores, k):
    raise wrong(f"scores are not probabilities: {short(scores)}")
  if any(a < b for a, b in zip(scores, scores[1:])):
    raise wrong(f"scores are not ranked: {short(scores)}")
  if abs(sum(scores) - 1) > _SUM_TOLERANCE:
    raise wrong(f"scores sum to {sum(scores):.6g}, not 1")
  if "probabilities" in row:
    probabilities = row["probabilities"]
    if not _probabilities(probabilities, k) or any(
        abs(probabilities[i] - s) > _SUM_TOLERANCE
        for i, s in zip(ids, scores)):
      raise wrong("probabilities are not its scores in class order")
  return Prediction(tuple(names), tuple(ids), tuple(float(s) for s in scores))


def from_rows(rows, images: int, source: str) -> list[Prediction]:
  """Checks the rows answered for `images` images; one Prediction each.

  Args:
    rows: the answered rows, as decoded JSON (lists, dicts, numbers).
    images: how many images were sent.
    source: who answered, for messages (e.g. the server's URL).

  Raises:
    ArgumentError: unless rows have the signature's shape.
  """
  if not isinstance(rows, list):
    raise errors.ArgumentError(
        f"{source} answered predictions that are no list: {short(rows)}")
  if len(rows) != images:
    raise errors.ArgumentError(
        f"{source} answered {len(rows)} predictions for {images} images")
  if not rows:
    return []
  first = rows[0].get("class_names") if isinstance(rows[0], dict) else None
  k = len(first) if isinstance(first, list) else 0
  if k == 0:
    raise errors.ArgumentError(
        f"{source} answered a prediction 0 with no class_names list")
  answered = [_row(row, i, k, source) for i, row in enumerate(rows)]
  classes = dict(zip(answered[0].class_ids, answered[0].class_names))
  for i, prediction in enumerate(answered):
    if dict(zip(prediction.class_ids, prediction.class_names)) != classes:
      raise errors.ArgumentError(
          f"{source} answered a prediction {i} whose class ids name other "
          "classes than in prediction 0")
  return answered

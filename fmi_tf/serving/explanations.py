"""Explanations answered by the `explain` signature, checked against it.

A server is not trusted (as in `predictions`): for B images it must answer
B rows, each with a `class_names` string, a `class_ids` integer, a `scores`
probability and `filter_layers` (strings), `filter_ids` (integers >= 0) and
`contributions` (finite numbers, largest first) of one length D >= 1, the
same in every row. Anything else is an `ArgumentError` naming the server and
what was wrong. An export without the signature (made before explanations,
or of a classifier that cannot be explained) is named as such.
"""

import dataclasses
import math

from fmi_tf import errors
from fmi_tf.serving import predictions as checked

SIGNATURE = "explain"
OUTPUTS = ("class_names", "class_ids", "scores", "filter_layers",
           "filter_ids", "contributions")
_RANK_TOLERANCE = 1e-6


@dataclasses.dataclass(frozen=True)
class ServedExplanation:
  """The class of one image and its filters, largest contribution first.

  Attributes:
    class_name: the predicted class.
    class_id: its index.
    score: its calibrated probability.
    filters: (layer, filter, contribution) of every filter, ranked.
  """
  class_name: str
  class_id: int
  score: float
  filters: tuple[tuple[str, int, float], ...]

  def top(self, k: int) -> list[tuple[str, int, float]]:
    """The k filters contributing most.

    Raises:
      ArgumentError: for k not in 1..the number of filters explained.
    """
    check_k(k, len(self.filters))
    return list(self.filters[:k])

  def describe(self, k: int) -> str:
    """The class and its k filters contributing most, on one line:
    `banded 0.990 because relu4_1/7 +0.1234, relu5_1/2 +0.0567`.

    Raises:
      ArgumentError: for k not in 1..the number of filters explained.
    """
    return f"{self.class_name} {self.score:.3f} because " + ", ".join(
        f"{layer}/{filter_id} {part:+.4f}"
        for layer, filter_id, part in self.top(k))


def check_k(k: int, filters: int) -> None:
  """Raises ArgumentError unless 1 <= k <= filters (the descriptor's)."""
  if not 1 <= k <= filters:
    raise errors.ArgumentError(
        f"cannot show {k} filters: the descriptor has {filters}")


def no_explain_signature(source: str) -> errors.ArgumentError:
  """The error for an export that has no explain signature."""
  return errors.ArgumentError(
      f"{source} has no {SIGNATURE} signature: it was exported before "
      "explanations, or its classifier cannot be explained (a gram "
      "encoder, or a classifier saved without its training mean); export "
      "it again with fmi-texture-export")


def lacks_signature(message: str) -> bool:
  """Whether TF Serving's error text says the explain signature is missing
  (`Serving signature name: "explain" not found in signature def`)."""
  return f'"{SIGNATURE}" not found' in message or (
      f"'{SIGNATURE}' not found" in message)


def _is_int(value) -> bool:
  return isinstance(value, int) and not isinstance(value, bool)


def _row(row, index: int, size: int, source: str) -> ServedExplanation:
  def wrong(what):
    return errors.ArgumentError(
        f"{source} answered an explanation {index} whose {what}")

  if not isinstance(row, dict):
    raise errors.ArgumentError(
        f"{source} answered an explanation {index} that is no object: "
        f"{checked.short(row)}")
  missing = [name for name in OUTPUTS if name not in row]
  if missing:
    raise wrong(f"lacks {', '.join(missing)}")
  if not isinstance(row["class_names"], str):
    raise wrong("class_names is no string")
  if not _is_int(row["class_ids"]) or row["class_ids"] < 0:
    raise wrong(f"class_ids is no class index: {checked.short(row['class_ids'])}")
  score = row["scores"]
  if not (isinstance(score, (int, float)) and not isinstance(score, bool)
          and math.isfinite(score) and 0 <= score <= 1):
    raise wrong(f"scores is no probability: {checked.short(score)}")
  layers, ids, parts = (row[n] for n in OUTPUTS[3:])
  for name in OUTPUTS[3:]:
    if not isinstance(row[name], list) or len(row[name]) != size:
      raise wrong(f"{name} is no list of {size} (the filters of explanation "
                  "0)")
  if not all(isinstance(layer, str) for layer in layers):
    raise wrong("filter_layers are not all strings")
  if not all(_is_int(i) and i >= 0 for i in ids):
    raise wrong(f"filter_ids are not all filter indices: {checked.short(ids)}")
  if not all(isinstance(c, (int, float)) and not isinstance(c, bool)
             and math.isfinite(c) for c in parts):
    raise wrong(f"contributions are not all finite: {checked.short(parts)}")
  if any(a < b - _RANK_TOLERANCE for a, b in zip(parts, parts[1:])):
    raise wrong("contributions are not ranked")
  return ServedExplanation(row["class_names"], row["class_ids"], float(score),
                           tuple(zip(layers, ids, map(float, parts))))


def from_rows(rows, images: int, source: str) -> list[ServedExplanation]:
  """Checks the rows answered for `images` images; one explanation each.

  Raises:
    ArgumentError: unless rows have the signature's shape.
  """
  if not isinstance(rows, list):
    raise errors.ArgumentError(
        f"{source} answered explanations that are no list: "
        f"{checked.short(rows)}")
  if len(rows) != images:
    raise errors.ArgumentError(
        f"{source} answered {len(rows)} explanations for {images} images")
  if not rows:
    return []
  first = rows[0].get("contributions") if isinstance(rows[0], dict) else None
  if not isinstance(first, list) or not first:
    raise errors.ArgumentError(
        f"{source} answered an explanation 0 with no contributions list")
  return [_row(row, i, len(first), source) for i, row in enumerate(rows)]

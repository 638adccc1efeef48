"""The examples and faithfulness records a site reads, checked field by field.

A record read back (`io.records.read_object`) is valid JSON but may hold
anything: a string where a number belongs, a list of a billion filters, NaN.
Each reader below keeps only the fields a page shows, each of its type, and
raises `errors.RecordError` naming the first field that is not; the site
shows such a record as a gap. A filter's atlas record is checked by
`io.records.FilterRecord`.
"""

import math
import numbers
from typing import Sequence

from fmi_tf import errors
from fmi_tf.io import untrusted
from fmi_tf.microscope import examples_files

# No network has more filters in a layer (fmi-atlas's channel bound).
MAX_FILTERS = 65536
# Scores a faithfulness record may hold: far more than 5 layers x 16
# conditions x 4 judges x 512 filters.
MAX_SCORES = 1 << 20


def _fail(where: str, what: str):
  raise errors.RecordError(f"{where} is not {what}")


def is_number(value) -> bool:
  """A finite real number (not a bool)."""
  return (isinstance(value, numbers.Real) and not isinstance(value, bool)
          and math.isfinite(value))


def _number(where: str, value) -> float:
  if not is_number(value):
    _fail(where, "a finite number")
  return float(value)


def _integer(where: str, value, low: int = 0, high: int = 2**31) -> int:
  if not (isinstance(value, int) and not isinstance(value, bool)
          and low <= value < high):
    _fail(where, f"an integer in [{low}, {high})")
  return value


def _text(where: str, value) -> str:
  if not isinstance(value, str):
    _fail(where, "text")
  return value


def _list(where: str, value, most: int = MAX_FILTERS) -> list:
  if not isinstance(value, list) or len(value) > most:
    _fail(where, f"a list of at most {most} items")
  return value


def _optional_number(where: str, value):
  return None if value is None else _number(where, value)


def _top_entry(where: str, entry) -> dict:
  if not isinstance(entry, dict):
    _fail(where, "an object")
  box = _list(f"{where}.box", entry.get("box"), 3)
  if len(box) != 3:
    _fail(f"{where}.box", "(top, left, side)")
  window = _list(f"{where}.window", entry.get("window"), 4)
  if len(window) != 4:
    _fail(f"{where}.window", "(top, left, height, width)")
  return {"image": _text(f"{where}.image", entry.get("image")),
          "label": _integer(f"{where}.label", entry.get("label", -1), -1),
          "score": _number(f"{where}.score", entry.get("score")),
          "box": [_integer(f"{where}.box", v, -2**31) for v in box],
          "window": [_integer(f"{where}.window", v) for v in window],
          "sheet_left": _integer(f"{where}.sheet_left",
                                 entry.get("sheet_left"))}


def _filter_entry(where: str, entry, class_count: int) -> dict:
  if not isinstance(entry, dict):
    _fail(where, "an object")
  result = {
      "top": [_top_entry(f"{where}.top[{i}]", e)
              for i, e in enumerate(_list(f"{where}.top",
                                          entry.get("top", [])))],
      "mean_activation": _optional_number(f"{where}.mean_activation",
                                          entry.get("mean_activation")),
      "max_activation": _optional_number(f"{where}.max_activation",
                                         entry.get("max_activation"))}
  if entry.get("class_mean") is not None:
    means = _list(f"{where}.class_mean", entry["class_mean"])
    if len(means) != class_count:
      _fail(f"{where}.class_mean", f"{class_count} numbers, one per class")
    result["class_mean"] = [_number(f"{where}.class_mean", v) for v in means]
  if entry.get("preferred_class") is not None:
    result["preferred_class"] = _text(f"{where}.preferred_class",
                                      entry["preferred_class"])
  return result


def summary(record: dict) -> dict:
  """The fields of an examples summary that a site shows.

  Raises:
    RecordError: for a summary of another format than
      `examples_files.VERSION` (its crops would be read wrongly).
  """
  if record.get("version") != examples_files.VERSION:
    _fail("version", f"{examples_files.VERSION} (the crops' format): run "
          "fmi-dataset-examples into the directory again")
  names = _list("class_names", record.get("class_names", []))
  return {"class_names": [_text("class_names", n) for n in names],
          "skipped": _list("skipped", record.get("skipped", []),
                           untrusted.MAX_RECORD_BYTES),
          **{key: record.get(key) for key in ("k", "images", "dataset",
                                              "image_size")}}


def examples_layer(record: dict, class_names: Sequence[str]) -> dict:
  """The fields of a layer's examples record that a site shows."""
  field = record.get("receptive_field")
  size = None
  if field is not None:
    if not isinstance(field, dict):
      _fail("receptive_field", "an object")
    size = _integer("receptive_field.size", field.get("size"), 1)
  filters = _list("filters", record.get("filters", []))
  return {"receptive_field": None if size is None else {"size": size},
          "class_names": list(class_names),
          "filters": [_filter_entry(f"filters[{i}]", e, len(class_names))
                      for i, e in enumerate(filters)]}


def _object(where: str, value) -> dict:
  if not isinstance(value, dict):
    _fail(where, "an object")
  return value


def _flag(where: str, value) -> bool:
  if not isinstance(value, bool):
    _fail(where, "true or false")
  return value


def _optional_text(where: str, value):
  return None if value is None else _text(where, value)


def _score_entry(where: str, entry) -> dict:
  entry = _object(where, entry)
  return {
      **{key: _text(f"{where}.{key}", entry.get(key))
         for key in ("layer", "condition", "judge")},
      "filter": _integer(f"{where}.filter", entry.get("filter"), 0,
                         MAX_FILTERS),
      **{key: _number(f"{where}.{key}", entry.get(key))
         for key in ("score", "null")},
      **{key: _optional_number(f"{where}.{key}", entry.get(key))
         for key in ("score_low", "score_high", "gain_low", "gain_high")}}


def _summary_row(where: str, row) -> dict:
  row = _object(where, row)
  score = _object(f"{where}.score", row.get("score"))
  return {**{key: _text(f"{where}.{key}", row.get(key))
             for key in ("layer", "judge", "condition")},
          "valid": _flag(f"{where}.valid", row.get("valid")),
          "score": _optional_number(f"{where}.score.mean",
                                    score.get("mean"))}


def faithfulness(record: dict, schema_version: int) -> dict:
  """The fields of a faithfulness record (`fmi-faithfulness --out`) that a
  site shows: its network and weights, conditions, judges, per-filter scores
  and the summary's validity and mean score per (layer, judge, condition).
  """
  version = record.get("schema_version")
  if version != schema_version:
    raise errors.RecordError(
        f"not a faithfulness record of schema version {schema_version} "
        f"(schema version {version!r}); measure it again with "
        "fmi-faithfulness")
  settings = _object("settings", record.get("settings"))
  conditions = [_object(f"conditions[{i}]", c) for i, c in enumerate(
      _list("conditions", record.get("conditions")))]
  judges = [_object(f"judges[{i}]", j) for i, j in enumerate(
      _list("judges", record.get("judges")))]
  return {
      "network": _text("settings.network", settings.get("network")),
      "weights": _optional_text("settings.weights", settings.get("weights")),
      "conditions": {_text(f"conditions[{i}].name", c.get("name")):
                     _text(f"conditions[{i}].kind", c.get("kind"))
                     for i, c in enumerate(conditions)},
      "judges": {_text(f"judges[{i}].name", j.get("name")):
                 _flag(f"judges[{i}].circular", j.get("circular"))
                 for i, j in enumerate(judges)},
      "scores": [_score_entry(f"scores[{i}]", s) for i, s in enumerate(
          _list("scores", record.get("scores"), MAX_SCORES))],
      "summary": [_summary_row(f"summary[{i}]", r) for i, r in enumerate(
          _list("summary", record.get("summary"), MAX_SCORES))]}

"""The faithfulness scores a site shows, read from a faithfulness record.

A record (`fmi-faithfulness --out`, `FaithfulnessResult.to_dict`) scores
conditions, each a way of drawing pictures. The pictures of an atlas
directory are scored by the record's condition that drew them: the
directory itself (`pictures:<directory>` is recorded as
`pictures-<its name>`), else its inversion settings:
`invert-<param>-<mode>`, or `invert-<param>-<mode>@key=value,...` whose
every setting equals the directory's (the one naming most settings wins).
Failing both, the record's first condition that is no natural exemplar
stands in, and the pages say so.

A picture "beats the null" when, under every judge valid at its layer that
is not circular (natural exemplars score well under it there), the
interval of its gain over the null lies above 0; it is "untestable" where
no such judge is valid, and "not measured" where the record lacks its
filter. The record is untrusted (`site_records.faithfulness`); one of
another network or weights than the atlas is refused.
"""

import dataclasses
import glob
import os
from typing import Optional, Sequence

from fmi_tf import errors
from fmi_tf.faithfulness import result as result_lib
from fmi_tf.io import records
from fmi_tf.microscope import site_records

BEATS = "beats the null"
FAILS = "does not beat the null"
UNTESTABLE = "untestable"
NOT_MEASURED = "not measured"
NO_SCORES = ("No faithfulness scores: run fmi-faithfulness "
             "--condition=pictures:ATLAS --out=RECORD.json and build the "
             "site with --faithfulness=RECORD.json to see whether each "
             "picture predicts what its filter does on real images.")


@dataclasses.dataclass(frozen=True)
class JudgeScore:
  """One picture's score under one judge, as a filter page shows it.

  Attributes:
    judge: the judge's name.
    circular: whether it is the network under test.
    valid: whether natural exemplars score well under it at the layer.
    score, score_low, score_high: the 2-AFC score and its interval.
    null: the score of another filter's picture against these queries.
    gain_low, gain_high: the interval of the gain over the null.
    ceiling: the mean score of one natural exemplar at the layer.
  """
  judge: str
  circular: bool
  valid: bool
  score: float
  score_low: Optional[float]
  score_high: Optional[float]
  null: float
  gain_low: Optional[float]
  gain_high: Optional[float]
  ceiling: Optional[float]

  @property
  def gain(self) -> float:
    return self.score - self.null

  @property
  def verdict(self) -> str:
    if not self.valid:
      return result_lib.UNTESTABLE
    verdict = BEATS if self.gain_low is not None and self.gain_low > 0 else (
        FAILS)
    return f"{verdict} (circular judge)" if self.circular else verdict


@dataclasses.dataclass(frozen=True)
class PictureScores:
  """One picture's scores under every judge of the record."""
  condition: str
  matched: bool
  judges: tuple[JudgeScore, ...]

  @property
  def trust(self) -> str:
    """`BEATS`, `FAILS` or `UNTESTABLE` (see the module docstring)."""
    counted = [j for j in self.judges if j.valid and not j.circular]
    if not counted:
      return UNTESTABLE
    return BEATS if all(j.verdict == BEATS for j in counted) else FAILS


class Scores:
  """A checked faithfulness record, matched to an atlas's directories."""

  def __init__(self, path: str, record: dict, atlas_dirs: Sequence[str]):
    self.path = path
    self.judges = record["judges"]
    self._scores = {(s["layer"], s["condition"], s["judge"], s["filter"]): s
                    for s in record["scores"]}
    self._summary = {(r["layer"], r["judge"], r["condition"]): r
                     for r in record["summary"]}
    stand_in = next((name for name, kind in record["conditions"].items()
                     if kind != "natural"), None)
    self.conditions = []  # (condition or None, matched), per atlas directory
    for atlas_dir in atlas_dirs:
      own = _drew(atlas_dir, record["conditions"])
      self.conditions.append((own, True) if own else (stand_in, False))

  def headline_judge(self, layer: str) -> Optional[str]:
    """The judge whose score a layer page sorts by: the first that is
    valid there and not circular, else the first not circular."""
    ranked = sorted(self.judges, key=lambda j: (
        self.judges[j], not self._valid(layer, j)))
    return ranked[0] if ranked else None

  def _valid(self, layer: str, judge: str) -> bool:
    row = self._summary.get((layer, judge, result_lib.CEILING))
    return bool(row and row["valid"])

  def picture(self, layer: str, filter_id: int, directory: int
              ) -> Optional[PictureScores]:
    """The scores of an atlas directory's picture of a filter, or None
    where the record has none."""
    condition, matched = self.conditions[directory]
    judged = []
    for judge, circular in self.judges.items():
      entry = self._scores.get((layer, condition, judge, filter_id))
      if entry is None:
        continue
      ceiling = self._summary.get((layer, judge, result_lib.CEILING))
      judged.append(JudgeScore(
          judge, circular, self._valid(layer, judge), entry["score"],
          entry["score_low"], entry["score_high"], entry["null"],
          entry["gain_low"], entry["gain_high"],
          ceiling["score"] if ceiling else None))
    return PictureScores(condition, matched, tuple(judged)) if judged else None

  def notes(self, atlas_dirs: Sequence[str]) -> list[str]:
    """One line per atlas directory: which condition scores its pictures."""
    lines = []
    for atlas_dir, (condition, matched) in zip(atlas_dirs, self.conditions):
      if matched:
        lines.append(f"Faithfulness of the pictures of {atlas_dir}: "
                     f"condition {condition} of {self.path}.")
      elif condition:
        lines.append(f"No condition of {self.path} drew the pictures of "
                     f"{atlas_dir}; their pages show the scores of "
                     f"condition {condition}, measured on other pictures.")
      else:
        lines.append(f"{self.path} scores no pictures of {atlas_dir}.")
    return lines


def _same(setting: str, value) -> bool:
  """Whether a setting's text in a condition name is the atlas's value."""
  try:
    return float(setting) == float(value)
  except (TypeError, ValueError):
    return setting == str(value)


def _drew(atlas_dir: str, conditions: dict) -> Optional[str]:
  """The record's condition that drew a directory's pictures, or None."""
  pictures = f"pictures-{os.path.basename(os.path.normpath(atlas_dir))}"
  if pictures in conditions:
    return pictures
  record = _first_record(atlas_dir)
  parameters = record.run.parameters if record else None
  if not isinstance(parameters, dict) or not all(
      isinstance(parameters.get(k), str) for k in ("param", "mode")):
    return None
  inverted = f"invert-{parameters['param']}-{parameters['mode']}"
  ranked = []
  for name in conditions:
    base, _, own = name.partition("@")
    pairs = [pair.partition("=") for pair in own.split(",")] if own else []
    if base == inverted and all(key in parameters and _same(value,
                                                            parameters[key])
                                for key, _, value in pairs):
      ranked.append((-len(pairs), name))
  return min(ranked)[1] if ranked else None


def _first_record(atlas_dir: str) -> Optional[records.FilterRecord]:
  """The first readable filter record of an atlas directory, or None."""
  for path in sorted(glob.glob(os.path.join(
      glob.escape(atlas_dir), "*_[0-9][0-9][0-9][0-9].json"))):
    try:
      return records.read_filter_record(path, atlas_dir)
    except errors.RecordError:
      continue
  return None


def _check_network(path: str, record: dict, atlas_dir: str) -> None:
  first = _first_record(atlas_dir)
  network = first.run.network if first else None
  if network is None:
    return
  drawn = (network.get("network"), network.get("weights"))
  measured = (record["network"], record["weights"])
  if drawn[0] != measured[0] or (
      isinstance(drawn[1], str) and isinstance(measured[1], str)
      and os.path.basename(drawn[1]) != os.path.basename(measured[1])):
    raise errors.ArgumentError(
        f"faithfulness record {path} measured {measured[0]} with weights "
        f"{measured[1]}, but the atlas {atlas_dir} was drawn on {drawn[0]} "
        f"with weights {drawn[1]}; measure this atlas's network")


def read(path: str, atlas_dirs: Sequence[str]) -> Scores:
  """Reads a faithfulness record for a site of `atlas_dirs`.

  Examples:
    >>> scores = read("faithfulness.json", ["atlas/"])
    >>> scores.picture("block3_conv1", 7, 0).trust
    'beats the null'

  Args:
    path: the record's JSON file.
    atlas_dirs: the site's atlas directories, the first one's network
      compared with the record's (the weights by file name).

  Raises:
    ArgumentError: if the file is missing, unsafe to read, malformed, of
      another schema version, or of another network or weights.
  """
  if not isinstance(path, str) or not os.path.isfile(path):
    raise errors.ArgumentError(
        f"faithfulness record not found: {errors.shown(path)}")
  try:
    record = site_records.faithfulness(records.read_object(path),
                                       result_lib.SCHEMA_VERSION)
  except errors.RecordError as e:
    raise errors.ArgumentError(
        f"faithfulness record {path} refused: {e}") from None
  _check_network(path, record, atlas_dirs[0])
  return Scores(path, record, atlas_dirs)

"""The faithfulness of a run: per-filter scores, their summary, the record.

Each (layer, condition, judge, filter) has a score and a null: the score of
the same condition's picture of another filter of the sample against this
filter's queries. Summaries are per (layer, judge, condition): the mean
score, the mean gain over the null (paired by filter) and that gain as a
share of one natural exemplar's (`natural-top1`), each with a bootstrap
interval over filters. A judge counts at a layer only where one natural
exemplar scores well under it: a mean score of at least `VALID_CEILING`
and a gain over its null whose interval lies above 0; elsewhere the layer
is untestable with that judge, and its verdicts say so. Each filter's
score and gain also carry an interval over its queries
(`score.filter_intervals`); its picture beats the null when the gain's
interval lies above 0.
"""

import dataclasses
from typing import Optional

import numpy as np

from fmi_tf import errors
from fmi_tf.faithfulness import sanity as sanity_lib
from fmi_tf.faithfulness import score as score_lib

SCHEMA_VERSION = 2
VALID_CEILING = 0.6
CEILING = "natural-top1"
UNTESTABLE = "untestable with this judge"


@dataclasses.dataclass(frozen=True)
class FilterScore:
  """One filter's 2-AFC score under one condition and judge, and its null,
  with 95 % intervals of the score and of the gain over the null (None
  where not measured)."""
  layer: str
  condition: str
  judge: str
  filter: int
  score: float
  null: float
  score_low: Optional[float] = None
  score_high: Optional[float] = None
  gain_low: Optional[float] = None
  gain_high: Optional[float] = None

  @property
  def gain(self) -> float:
    return self.score - self.null

  @property
  def beats_null(self) -> bool:
    """Whether the gain's interval lies above 0."""
    return self.gain_low is not None and self.gain_low > 0

  @classmethod
  def judged(cls, layer: str, condition: str, judge: str, filter_id: int,
             own: tuple[np.ndarray, np.ndarray],
             null: tuple[np.ndarray, np.ndarray],
             seed: int = 0) -> "FilterScore":
    """The score of a picture whose similarities to the filter's Q+ and Q-
    are `own`, against a null picture's (`score.filter_intervals`)."""
    score, gain = score_lib.filter_intervals(own, null, seed)
    return cls(layer, condition, judge, filter_id, score.mean,
               score_lib.two_afc(*null), score.low, score.high, gain.low,
               gain.high)


@dataclasses.dataclass(frozen=True)
class FilterSanity:
  """One filter's sanity checks under one condition."""
  layer: str
  condition: str
  filter: int
  checks: sanity_lib.Sanity


@dataclasses.dataclass(frozen=True)
class FaithfulnessResult:
  """Scores and sanity checks of conditions on the same filters.

  Attributes:
    settings: the run's settings (network, dataset, sizes, seeds, ...).
    conditions: {name: kind}, in run order.
    judges: {name: circular}.
    filters: {layer: the filters measured}.
    scores: one `FilterScore` per (layer, condition, judge, filter).
    sanity: one `FilterSanity` per (layer, condition, filter).
    invariance: {(layer, condition, judge): sanity.Invariance}.
    pictures: {(layer, condition): [F, P, S, S, 3]} (not recorded).
  """
  settings: dict
  conditions: dict
  judges: dict
  filters: dict
  scores: tuple[FilterScore, ...]
  sanity: tuple[FilterSanity, ...] = ()
  invariance: dict = dataclasses.field(default_factory=dict)
  pictures: dict = dataclasses.field(default_factory=dict, compare=False)

  def per_filter(self, layer: str, condition: str, judge: str
                 ) -> list[FilterScore]:
    """The scores of one (layer, condition, judge), in filter order."""
    return [s for s in self.scores if (s.layer, s.condition, s.judge)
            == (layer, condition, judge)]

  def judge_valid(self, layer: str, judge: str) -> bool:
    """Whether one natural exemplar scores at least `VALID_CEILING` on
    average under `judge` at `layer`, and beats its null (the gain's
    interval above 0)."""
    ceiling = self.per_filter(layer, CEILING, judge)
    seed = self.settings.get("seed", 0)
    return bool(ceiling) and bool(
        np.mean([s.score for s in ceiling]) >= VALID_CEILING
        and score_lib.bootstrap([s.gain for s in ceiling], seed).low > 0)

  def compare(self, layer: str, judge: str, condition: str,
              other: str) -> score_lib.Interval:
    """Mean of `condition`'s gain over its null minus `other`'s, paired by
    filter (each method is measured against its own null, so that a bias
    common to all of a method's pictures cancels)."""
    a = self.per_filter(layer, condition, judge)
    b = self.per_filter(layer, other, judge)
    if not a or not b:
      raise errors.ArgumentError(
          f"no scores of {condition!r} and {other!r} under {judge!r} at "
          f"{layer}")
    return score_lib.bootstrap([x.gain - y.gain for x, y in zip(a, b)],
                               self.settings.get("seed", 0))

  def summary(self) -> list[dict]:
    """One row per (layer, judge, condition): `score`, `gain` over the
    null, `normalised` gain (a share of one natural exemplar's), each an
    interval dict, `valid`, `circular` and a plain `verdict`."""
    seed = self.settings.get("seed", 0)
    rows = []
    for layer in self.filters:
      for judge, circular in self.judges.items():
        valid = self.judge_valid(layer, judge)
        ceiling = [s.gain for s in self.per_filter(layer, CEILING, judge)]
        for condition in self.conditions:
          scores = self.per_filter(layer, condition, judge)
          gain = score_lib.bootstrap([s.gain for s in scores], seed)
          norm = score_lib.normalised([s.gain for s in scores], ceiling, seed)
          rows.append({
              "layer": layer, "judge": judge, "condition": condition,
              "filters": len(scores), "circular": circular, "valid": valid,
              "score": score_lib.bootstrap([s.score for s in scores],
                                           seed).to_dict(),
              "gain": gain.to_dict(), "normalised": norm.to_dict(),
              "verdict": _verdict(valid, circular, gain)})
    return rows

  def table(self) -> str:
    """The summary as aligned text, one line per row."""
    lines = [f"{'layer':<14}{'judge':<18}{'condition':<24}{'score':>22}"
             f"{'gain over null':>24}{'normalised':>22}  verdict"]
    for row in self.summary():
      lines.append(
          f"{row['layer']:<14}{row['judge']:<18}{row['condition']:<24}"
          f"{_interval(row['score']):>22}{_interval(row['gain']):>24}"
          f"{_interval(row['normalised']):>22}  {row['verdict']}")
    return "\n".join(lines)

  def to_dict(self) -> dict:
    """A JSON-ready record (pictures left out), with the summary; lists
    keep the run's order of layers, conditions and judges."""
    return {
        "schema_version": SCHEMA_VERSION, "settings": self.settings,
        "conditions": [{"name": name, "kind": kind}
                       for name, kind in self.conditions.items()],
        "judges": [{"name": name, "circular": circular}
                   for name, circular in self.judges.items()],
        "filters": [{"layer": layer, "filters": list(filters)}
                    for layer, filters in self.filters.items()],
        "scores": [dataclasses.asdict(s) for s in self.scores],
        "sanity": [{"layer": s.layer, "condition": s.condition,
                    "filter": s.filter, **s.checks.to_dict()}
                   for s in self.sanity],
        "invariance": [{"layer": layer, "condition": condition,
                        "judge": judge, **value.to_dict()}
                       for (layer, condition, judge), value
                       in self.invariance.items()],
        "summary": self.summary()}

  @classmethod
  def from_dict(cls, record: dict) -> "FaithfulnessResult":
    """Reads `to_dict`'s record back.

    Raises:
      ArgumentError: for another schema version or a malformed record.
    """
    version = (record.get("schema_version") if isinstance(record, dict)
               else None)
    if version != SCHEMA_VERSION:
      raise errors.ArgumentError(
          f"not a faithfulness record of schema version {SCHEMA_VERSION} "
          f"(schema version {version!r}); measure it again with "
          "fmi-faithfulness")
    try:
      return cls(
          record["settings"],
          {c["name"]: c["kind"] for c in record["conditions"]},
          {j["name"]: j["circular"] for j in record["judges"]},
          {f["layer"]: tuple(f["filters"]) for f in record["filters"]},
          tuple(FilterScore(**s) for s in record["scores"]),
          tuple(FilterSanity(s["layer"], s["condition"], s["filter"],
                             sanity_lib.Sanity(s["activation_ratio"],
                                               s["selective"],
                                               s["path_ratio"]))
                for s in record["sanity"]),
          {(v["layer"], v["condition"], v["judge"]): sanity_lib.Invariance(
              v["identification"], v["leak"], v["filters"], v["photos"])
           for v in record["invariance"]})
    except (KeyError, TypeError, AttributeError) as e:
      raise errors.ArgumentError(
          f"malformed faithfulness record: {e!r}") from None


def _verdict(valid: bool, circular: bool, gain: score_lib.Interval) -> str:
  if not valid:
    return UNTESTABLE
  verdict = ("beats the null" if gain.low > 0
             else "does not beat the null")
  return f"{verdict} (circular judge)" if circular else verdict


def _interval(interval: dict) -> str:
  if None in interval.values():
    return "-"
  return (f"{interval['mean']:.2f} [{interval['low']:.2f}, "
          f"{interval['high']:.2f}]")

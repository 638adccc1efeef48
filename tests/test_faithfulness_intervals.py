"""Per-filter intervals of the faithfulness score, over the filter's queries."""

import json

import numpy as np
import pytest

from fmi_tf import errors
from fmi_tf.faithfulness import judges
from fmi_tf.faithfulness import result
from fmi_tf.faithfulness import score

SIZE = 32


def _similarities(queries: int, seed: int, shift: float = 1.0):
  """A picture that is on average `shift` closer to Q+ than to Q-, and a
  null that is not, with noise."""
  rng = np.random.default_rng(seed)
  own = (rng.normal(shift, 1, queries), rng.normal(0, 1, queries))
  null = (rng.normal(0, 1, queries), rng.normal(0, 1, queries))
  return own, null


@pytest.mark.parametrize("seed", range(20))
def test_the_interval_contains_the_score_and_the_gain(seed):
  own, null = _similarities(8, seed, shift=seed / 10)
  found, gain = score.filter_intervals(own, null, seed)
  assert found.mean == pytest.approx(score.two_afc(*own))
  assert found.low <= found.mean <= found.high
  assert gain.mean == pytest.approx(score.two_afc(*own) - score.two_afc(*null))
  assert gain.low <= gain.mean <= gain.high
  assert 0 <= found.low <= found.high <= 1


def test_the_interval_shrinks_with_more_queries():
  def width(queries):
    widths = []
    for seed in range(5):
      found, gain = score.filter_intervals(*_similarities(queries, seed))
      widths.append((found.high - found.low, gain.high - gain.low))
    return np.mean(widths, axis=0)

  few, many = width(6), width(96)
  assert (many < few / 2).all(), (few, many)


def test_the_gain_is_paired_with_the_null():
  # A null as good as the picture on every query: each resample's gain is 0.
  own, _ = _similarities(8, 0, shift=0.3)
  found, gain = score.filter_intervals(own, own)
  assert (gain.mean, gain.low, gain.high) == (0, 0, 0)
  assert found.high > found.low


def test_a_query_image_beats_the_null_only_if_it_drives_the_filter():
  """Q+ are red stripes, Q- grey noise; a picture that is one of the Q+
  images beats a null picture of another texture, one of the Q- does not."""
  rng = np.random.default_rng(0)
  positive = np.zeros((8, SIZE, SIZE, 3), np.float32)
  for i in range(8):
    positive[i, :, i % 3::4, 0] = rng.uniform(0.6, 1.0)
  negative = np.repeat(rng.uniform(0.3, 0.7, (8, SIZE, SIZE, 1)), 3, axis=3)
  other = np.zeros((1, SIZE, SIZE, 3), np.float32)
  other[..., 2] = np.linspace(0, 1, SIZE)[None, :]  # A blue ramp.
  judge = judges.image_statistics_judge()
  queries = np.concatenate([positive, negative]).astype(np.float32)
  standardiser = judges.Standardiser.fit(judge.describe(queries))
  codes = standardiser(judge.describe(queries))

  def similar(picture):
    code = standardiser(judge.describe(picture[None]))[0]
    return (score.similarities(code, codes[:8]),
            score.similarities(code, codes[8:]))

  null = similar(other[0])
  trusted = result.FilterScore.judged("l", "c", "j", 0, similar(positive[0]),
                                      null)
  untrusted = result.FilterScore.judged("l", "c", "j", 0,
                                        similar(negative[0]), null)
  assert trusted.beats_null and trusted.gain_low > 0
  assert not untrusted.beats_null and untrusted.score < 0.5
  assert trusted.score_low <= trusted.score <= trusted.score_high


def test_the_record_keeps_the_intervals_and_refuses_other_versions():
  own, null = _similarities(8, 1)
  scores = tuple(result.FilterScore.judged("l", c, "j", 0, own, null)
                 for c in ("m", result.CEILING))
  res = result.FaithfulnessResult(
      {"seed": 0}, {"m": "inversion", result.CEILING: "natural"},
      {"j": False}, {"l": (0,)}, scores)
  record = json.loads(json.dumps(res.to_dict()))
  assert record["schema_version"] == 2
  back = result.FaithfulnessResult.from_dict(record)
  assert back.scores == scores
  assert back.scores[0].gain_low == scores[0].gain_low is not None
  for version in (1, 3, None):
    with pytest.raises(errors.ArgumentError,
                       match=f"schema version 2 .schema version {version}"):
      result.FaithfulnessResult.from_dict({**record,
                                           "schema_version": version})

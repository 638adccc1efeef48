"""The faithfulness score: hand-checked values and a run on the tiny model."""

import json

import numpy as np
from PIL import Image
import pytest

from fmi_tf import errors
from fmi_tf.faithfulness import conditions
from fmi_tf.faithfulness import judges
from fmi_tf.faithfulness import measure
from fmi_tf.faithfulness import queries
from fmi_tf.faithfulness import result
from fmi_tf.faithfulness import sanity
from fmi_tf.faithfulness import score

SIZE = 32


def test_two_afc_counts_pairs_and_half_ties():
  # Pairs: 3>2, 3>0, 1<2, 1>0.
  assert score.two_afc(np.array([3., 1.]), np.array([2., 0.])) == 0.75
  assert score.two_afc(np.array([1., 2.]), np.array([1., 1.])) == 0.75
  assert score.two_afc(np.array([5.]), np.array([1., 2.])) == 1.0
  assert score.two_afc(np.array([0.]), np.array([1., 2.])) == 0.0


def test_similarity_is_minus_the_distance():
  sims = score.similarities(np.array([0., 0.]),
                            np.array([[3., 4.], [0., 1.]]))
  np.testing.assert_allclose(sims, [-5., -1.])


def test_bootstrap_interval_brackets_the_mean_and_shrinks_to_a_constant():
  interval = score.bootstrap(np.array([0.6, 0.7, 0.8]))
  assert interval.mean == pytest.approx(0.7)
  assert 0.6 <= interval.low < 0.7 < interval.high <= 0.8
  constant = score.bootstrap(np.full(5, 0.25))
  assert (constant.low, constant.high) == (0.25, 0.25)
  assert not constant.excludes(0.25) and constant.excludes(0.5)


def test_normalised_gain_is_a_share_of_the_ceiling():
  interval = score.normalised(np.array([0.1, 0.2]), np.array([0.4, 0.2]))
  assert interval.mean == pytest.approx(0.5)


def test_queries_take_top_bottom_and_median():
  # Ascending order of the means: images 1, 3, 4, 2, 5, 0.
  q = queries.filter_queries(np.array([5., 0., 3., 1., 2., 4.]), 2)
  assert list(q.positive) == [0, 5]
  assert list(q.negative) == [1, 2]
  q = queries.filter_queries(np.arange(12.), 4)
  assert list(q.positive) == [11, 10, 9, 8]
  assert list(q.negative) == [0, 1, 5, 6]
  with pytest.raises(errors.ArgumentError, match="at least 12"):
    queries.filter_queries(np.arange(11.), 4)


def test_dead_filters_are_not_sampled():
  means = np.zeros((10, 4))
  means[:, 1] = 1.0
  means[:2, 2] = 1.0  # Fires on 2 images only: dead for 3 queries.
  means[:, 3] = np.arange(10)
  assert list(queries.live_filters(means, 3)) == [1, 3]
  with pytest.raises(errors.ArgumentError, match="has 1 filters that fire"):
    queries.sample_filters(means[:, :3], 3, 8, "block5_conv1",
                           np.random.default_rng(0))


def test_standardiser_weighs_every_part_alike():
  rng = np.random.default_rng(0)
  parts = [rng.normal(size=(50, 1)) * 100, rng.normal(size=(50, 16))]
  codes = judges.Standardiser.fit(parts)(parts)
  assert codes[:, :1].var() * 1 == pytest.approx(1.0)
  assert (codes[:, 1:] ** 2).sum(axis=1).mean() == pytest.approx(1.0)


def test_image_statistics_of_known_images():
  red = np.zeros((1, 16, 16, 3), np.float32)
  red[..., 0] = 1.0
  moments, _, _ = judges.image_statistics_judge().describe(red)
  np.testing.assert_allclose(
      moments[0, :3], [1 / np.sqrt(2), 1 / np.sqrt(6), 1 / np.sqrt(3)],
      rtol=1e-6)
  np.testing.assert_allclose(moments[0, 3:6], 0, atol=1e-9)
  stripes = np.zeros((2, 16, 16, 3), np.float32)
  stripes[0, :, ::4] = 1.0  # Vertical lines: gradients along x.
  stripes[1, ::4, :] = 1.0  # Horizontal lines: gradients along y.
  _, bands, histogram = judges.image_statistics_judge().describe(stripes)
  assert histogram[0, 0] == pytest.approx(1.0)
  assert histogram[1, 4] == pytest.approx(1.0)
  assert not np.allclose(bands[0], bands[1])


def test_activation_checks_and_path_ratio_by_hand():
  dataset = np.array([[1., 0.], [2., 2.], [4., 1.]])
  ratio, selective = sanity.activation_checks(np.array([[2., 1.]]), dataset,
                                              0)
  assert ratio == 0.5
  assert not selective  # z: filter 0 -0.27, filter 1 0.0.
  assert sanity.activation_checks(np.array([[8., 1.]]), dataset, 0)[1]
  drivers = np.array([[0., 0.], [2., 0.]])
  assert sanity.path_ratio(np.array([[1., 0.]]), drivers) == 0.5


def test_invariance_identifies_the_same_filter():
  rng = np.random.default_rng(0)
  pictures = rng.uniform(0, 1, (3, SIZE, SIZE, 3)) * np.array(
      [[1, 0, 0], [0, 1, 0], [0, 0, 1]])[:, None, None]
  photos = rng.uniform(0, 1, (2, SIZE, SIZE, 3))
  judge = judges.image_statistics_judge()
  standardiser = judges.Standardiser.fit(judge.describe(
      np.concatenate([pictures, photos])))
  found = sanity.invariance([pictures, pictures], photos, judge, standardiser)
  assert found.identification == 1.0
  assert (found.filters, found.photos) == (3, 2)


@pytest.fixture(scope="module")
def textures():
  """40 images: coloured noise at four scales, so filters differ on them."""
  rng = np.random.default_rng(0)
  images = []
  for i in range(40):
    cells = 2 ** (1 + i % 4)
    noise = rng.uniform(0, 1, (cells, cells, 3))
    block = np.kron(noise, np.ones((SIZE // cells, SIZE // cells, 1)))
    images.append(block * rng.uniform(0.2, 1, 3))
  return np.asarray(images, np.float32)


def _rotated_natural(request):
  """Each filter's picture is the next filter's top exemplar."""
  top = conditions.natural(1).draw(request)
  return np.roll(top, -1, axis=0)


def test_run_on_the_tiny_model(tiny_backbone, textures, tmp_path):
  out = tmp_path / "faithfulness.json"
  rotated = conditions.Condition("rotated", conditions.NATURAL,
                                 _rotated_natural)
  constant = conditions.Condition(
      "grey", conditions.INVERSION,
      lambda r: np.full((len(r.filters), 1, SIZE, SIZE, 3), 0.5))
  res = measure.measure_faithfulness(
      tiny_backbone, ["block2_conv1", "relu1_1"], textures,
      conditions=["natural-top1", rotated, constant],
      filters=2, queries=4, size=SIZE, out=str(out))
  assert res.filters.keys() == {"block1_conv1", "block2_conv1"}
  assert list(res.conditions) == ["natural-top1", "rotated", "grey",
                                  "natural-top9"]
  assert len(res.scores) == 2 * 4 * 2 * 2
  assert all(0.0 <= s.score <= 1.0 and 0.0 <= s.null <= 1.0
             for s in res.scores)
  for layer in res.filters:
    for judge in res.judges:
      natural = res.per_filter(layer, "natural-top1", judge)
      # With two filters, the rotated pictures swap score and null.
      for a, b in zip(natural, res.per_filter(layer, "rotated", judge)):
        assert (b.score, b.null) == (a.null, a.score)
      # One picture for every filter: its score is its null.
      assert all(s.gain == 0 for s in res.per_filter(layer, "grey", judge))
  assert res.judges == {"image-statistics": False, "same-network": True}
  assert {s.checks.path_ratio is None for s in res.sanity
          if s.layer == "block1_conv1"} == {True}
  assert all(s.checks.path_ratio > 0 for s in res.sanity
             if s.layer == "block2_conv1")
  record = json.loads(out.read_text())
  assert record["summary"] == res.summary()
  assert result.FaithfulnessResult.from_dict(record).summary() == res.summary()


def test_default_conditions_cover_every_method():
  names = [c.name for c in conditions.default_conditions(steps=2)]
  assert names == [
      "invert-pixel-transfer", "invert-pixel-gain", "invert-fourier-transfer",
      "invert-fourier-gain", "maximise-pixel", "maximise-fourier",
      "maximise-maco", "natural-top1", "natural-top9"]
  assert [conditions.by_name(n).name for n in names] == names


def test_a_conditions_own_settings_win_and_name_it(tiny_backbone, textures):
  request = conditions.Request(
      tiny_backbone, "block1_conv1", (0, 1), SIZE, textures[0],
      textures[:4], np.ones((4, 4), np.float32))
  own = conditions.by_name("invert-pixel-transfer@steps=1,alpha=5.0",
                           steps=4)
  assert own.name == "invert-pixel-transfer@steps=1,alpha=5.0"
  one_step = conditions.inversion("pixel", "transfer", steps=1)
  four_steps = conditions.inversion("pixel", "transfer", steps=4)
  np.testing.assert_array_equal(own.draw(request), one_step.draw(request))
  assert not np.array_equal(own.draw(request), four_steps.draw(request))
  assert conditions.by_name("maximise-maco@steps=2").kind == (
      conditions.MAXIMISATION)


@pytest.mark.parametrize("name, message", [
    ("invert-pixel-transfer@", "key=value"),
    ("invert-pixel-transfer@steps", "key=value"),
    ("invert-pixel-transfer@Steps=3", "key=value"),
    ("invert-pixel-transfer@stpes=3", "unknown setting 'stpes'"),
    ("maximise-fourier@steps=0", "steps"),
    ("invert-pixel-gain@init=photo", "init"),
])
def test_bad_settings_in_a_conditions_name_are_refused_at_once(name,
                                                               message):
  with pytest.raises(errors.ArgumentError, match=message):
    conditions.by_name(name)


def test_inversion_conditions_run_on_the_same_filters(tiny_backbone, textures):
  res = measure.measure_faithfulness(
      tiny_backbone, ["block1_conv1"], textures,
      conditions=["invert-pixel-gain", "invert-fourier-transfer",
                  "maximise-maco"],
      filters=2, queries=4, size=SIZE, steps=2,
      invariance_photos=[textures[0], textures[1]])
  drawn = {name: {s.filter for s in res.scores if s.condition == name}
           for name in res.conditions}
  assert all(filters == set(res.filters["block1_conv1"])
             for filters in drawn.values())
  assert res.pictures["block1_conv1", "invert-pixel-gain"].shape == (
      2, 1, SIZE, SIZE, 3)
  assert res.conditions["maximise-maco"] == conditions.MAXIMISATION
  assert res.pictures["block1_conv1", "maximise-maco"].shape == (
      2, 1, SIZE, SIZE, 3)
  assert {key[1] for key in res.invariance} == {"invert-pixel-gain",
                                                "invert-fourier-transfer"}
  assert res.settings["inversion_settings"] == {"steps": 2}


def _result(natural: float, natural_null: float = 0.5
            ) -> result.FaithfulnessResult:
  scores = []
  for k in range(4):
    scores += [result.FilterScore("l", "natural-top1", "j", k, natural,
                                  natural_null),
               result.FilterScore("l", "m", "j", k, 0.7, 0.5)]
  return result.FaithfulnessResult(
      {"seed": 0}, {"m": "inversion", "natural-top1": "natural"},
      {"j": False}, {"l": (0, 1, 2, 3)}, tuple(scores))


def test_a_judge_counts_only_where_natural_exemplars_score_well():
  rows = {r["condition"]: r for r in _result(0.9).summary()}
  assert rows["m"]["verdict"] == "beats the null"
  assert rows["m"]["normalised"]["mean"] == pytest.approx(0.5)
  assert rows["m"]["gain"]["mean"] == pytest.approx(0.2)
  # Gains over the null: 0.4 for the natural exemplar, 0.2 for m.
  assert _result(0.9).compare("l", "j", "natural-top1", "m").mean == (
      pytest.approx(0.2))
  assert _result(0.9, 0.8).compare("l", "j", "natural-top1", "m").mean == (
      pytest.approx(-0.1))
  # Below the threshold, or no better than another filter's exemplar.
  for natural, null in ((0.55, 0.3), (0.9, 0.9)):
    rows = {r["condition"]: r for r in _result(natural, null).summary()}
    assert rows["m"]["verdict"] == result.UNTESTABLE
    assert rows["m"]["valid"] is False  # A JSON boolean.


@pytest.mark.parametrize("kwargs, message", [
    ({"images": 20}, "needs at least 9 exemplars and 12 queries"),
    ({"conditions": ["natural-top1", "natural-top1"]}, "distinct names"),
    ({"conditions": ["invert-pixel-sideways"]}, "unknown condition"),
    ({"judges": ["resnet"]}, "unknown judge"),
    ({"judges": ["mobilenet:/nonexistent.h5"]}, "nonexistent"),
    ({"conditions": ["pictures:/nonexistent"]}, "does not exist"),
    ({"invariance_photos": [None]}, "at least 2 photos"),
    ({"filters": 1}, "filters must be an integer from 2 to"),
    ({"exemplar_fraction": 1.0}, "exemplar_fraction"),
    ({"images": -1}, "images must be an integer from 1 to"),
    ({"layers": ["block5_conv1"], "size": 8}, "too small for block5_conv1"),
])
def test_bad_input_is_one_clear_error(tiny_backbone, textures, tmp_path,
                                      kwargs, message):
  out = tmp_path / "never.json"
  with pytest.raises(errors.FmiError, match=message):
    measure.measure_faithfulness(
        tiny_backbone, kwargs.pop("layers", ["block1_conv1"]), textures,
        **{"conditions": [], "queries": 4, "size": SIZE, "out": str(out),
           **kwargs})
  assert not out.exists()


def test_a_picture_directory_with_a_missing_picture_is_named(
    tiny_backbone, textures, tmp_path):
  with pytest.raises(errors.ImageError, match="no picture of block1_conv1"):
    measure.measure_faithfulness(
        tiny_backbone, ["block1_conv1"], textures,
        conditions=[f"pictures:{tmp_path}"], queries=4, size=SIZE)
  (tmp_path / "block1_conv1_0000.png").write_bytes(b"not a png")
  with pytest.raises(errors.ImageError):
    conditions.picture_directory(str(tmp_path)).draw(conditions.Request(
        tiny_backbone, "block1_conv1", (0,), SIZE, textures[0], textures,
        np.ones((40, 4))))


def test_a_record_of_another_schema_is_refused():
  with pytest.raises(errors.ArgumentError, match="schema version"):
    result.FaithfulnessResult.from_dict({"schema_version": 99})


def test_a_set_is_as_similar_as_its_pictures_on_average():
  sims = score.set_similarities(np.array([[0., 0.], [2., 0.]]),
                                np.array([[1., 0.], [0., 0.]]))
  np.testing.assert_allclose(sims, [-1., -1.])


def test_an_atlas_directory_is_a_condition(tiny_backbone, textures, tmp_path):
  for k in range(4):  # 48 x 32 pictures: cut to the centre square.
    picture = np.zeros((32, 48, 3), np.uint8)
    picture[:, 8:40] = 60 * k
    Image.fromarray(picture).save(tmp_path / f"block1_conv1_{k:04d}.png")
  res = measure.measure_faithfulness(
      tiny_backbone, ["block1_conv1"], textures,
      conditions=[f"pictures:{tmp_path}"], filters=2, queries=4, size=SIZE)
  name = f"pictures-{tmp_path.name}"
  pictures = res.pictures["block1_conv1", name]
  for picture, k in zip(pictures[:, 0], res.filters["block1_conv1"]):
    np.testing.assert_allclose(picture, 60 * k / 255, atol=1 / 255)

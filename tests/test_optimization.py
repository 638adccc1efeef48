"""The compiled loop: it descends, it is deterministic, batches don't mix."""

import json
import time

import numpy as np
import pytest
import tensorflow as tf

from fmi_tf import errors
from fmi_tf.inversion import defaults
from fmi_tf.inversion import filter_result
from fmi_tf.inversion import filters
from fmi_tf.optim import minimizer as minimizer_lib
from fmi_tf.optim import objectives
from fmi_tf.optim import optimization
from fmi_tf.nets import feature_model

_FAST = optimization.OptimizerConfig(steps=30, steps_per_call=10,
                                     tolerance=0.0)


def _invert(backbone, photo, filter_ids, **overrides):
  config = defaults.resolve(backbone, config=filters.InversionConfig(
      **{"optimizer": _FAST, **overrides})).config
  inverter = filters.FilterInverter(backbone, "block2_conv1", config)
  return list(inverter.invert(photo, filter_ids))


def _fitting_block1_conv1(backbone, photo, measure, **config):
  """A loop fitting the photo's block1_conv1 code, judged by `measure`."""
  features = feature_model.feature_model(backbone, ["block1_conv1"])
  target = features(photo[None])["block1_conv1"]
  minimizer = minimizer_lib.Minimizer(
      features, objectives.code_distance("block1_conv1"),
      optimization.OptimizerConfig(steps_per_call=10, tolerance=0.9,
                                   **config), measure=measure)
  return minimizer, target


def _measure_given_in_targets(activations, targets):
  del activations
  return targets["measure"]


def test_a_parameterised_image_can_fit_a_fixed_code(tiny_backbone, photo,
                                                    rng):
  features = feature_model.feature_model(tiny_backbone, ["block1_conv2"])
  target = features(photo[None])["block1_conv2"]
  minimizer = minimizer_lib.Minimizer(
      features, objectives.code_distance("block1_conv2"),
      optimization.OptimizerConfig(steps=150, learning_rate=0.05,
                                   tolerance=0.0))
  start = rng.uniform(size=(1,) + photo.shape).astype(np.float32)
  first = float(objectives.code_distance("block1_conv2")(
      features(start), start, {"block1_conv2": target})[0])
  result = minimizer.minimize(start, {"block1_conv2": target})
  assert result.losses[0] < 0.1 * first
  assert result.images.min() >= 0 and result.images.max() <= 1


def test_inversion_raises_the_target_filters_energy_share(tiny_backbone,
                                                         photo):
  results = _invert(tiny_backbone, photo, [0, 1, 2, 3])
  for result in results:
    assert result.share_after > 1.5 * result.share_before


def test_same_seed_same_images(tiny_backbone, photo):
  first = _invert(tiny_backbone, photo, [1, 2], seed=3)
  second = _invert(tiny_backbone, photo, [1, 2], seed=3)
  other = _invert(tiny_backbone, photo, [1, 2], seed=4)
  for a, b, c in zip(first, second, other):
    np.testing.assert_array_equal(a.image, b.image)
    assert np.abs(a.image - c.image).max() > 0.01


def test_a_filters_result_does_not_depend_on_its_batch(tiny_backbone, photo):
  alone = _invert(tiny_backbone, photo, [3], batch_size=1)[0]
  crowd = _invert(tiny_backbone, photo, [0, 3, 5], batch_size=3)[1]
  assert crowd.filter == 3
  np.testing.assert_allclose(crowd.image, alone.image, atol=2e-3)
  assert crowd.steps == alone.steps


def test_early_stop_freezes_converged_images(tiny_backbone, photo):
  config = optimization.OptimizerConfig(steps=200, steps_per_call=10,
                                        tolerance=0.5)
  inverter = filters.FilterInverter(
      tiny_backbone, "block1_conv1", defaults.resolve(
          tiny_backbone, config=filters.InversionConfig(
              optimizer=config)).config)
  results = list(inverter.invert(photo, [0, 1]))
  assert all(r.steps < 200 for r in results)


def test_chunks_cover_every_filter_in_order(tiny_backbone, photo):
  results = _invert(tiny_backbone, photo, [5, 0, 3, 2, 4], batch_size=2)
  assert [r.filter for r in results] == [5, 0, 3, 2, 4]


@pytest.mark.parametrize("kwargs,match", [
    ({"steps": 0}, "steps"), ({"learning_rate": -1.0}, "learning_rate"),
    ({"learning_rate": float("nan")}, "learning_rate"),
    ({"schedule": "exp"}, "schedule"), ({"tolerance": 1.5}, "tolerance"),
    ({"steps_per_call": 0}, "steps_per_call"), ({"patience": 0}, "patience"),
    ({"warmup_steps": 100}, "warmup_steps"),
    ({"warmup_steps": -1}, "warmup_steps"),
    ({"beta_1": 1.0}, "beta_1"), ({"beta_2": float("nan")}, "beta_2"),
    ({"epsilon": 0.0}, "epsilon"), ({"epsilon": float("inf")}, "epsilon")])
def test_nonsense_optimizer_settings_are_refused(kwargs, match):
  with pytest.raises(errors.ArgumentError, match=match):
    optimization.OptimizerConfig(**kwargs)


@pytest.mark.parametrize("schedule", optimization.SCHEDULES)
def test_warm_up_raises_the_rate_linearly_to_its_peak(tiny_backbone, photo,
                                                      schedule):
  # Adam's first step moves every pixel whose gradient is not zero by the
  # rate itself; from mid-grey no pixel is clipped.
  features = feature_model.feature_model(tiny_backbone, ["block1_conv1"])
  target = features(photo[None])["block1_conv1"]
  grey = np.full((1,) + photo.shape, 0.5, np.float32)

  def first_step(warmup_steps):
    images = []
    minimizer = minimizer_lib.Minimizer(
        features, objectives.code_distance("block1_conv1"),
        optimization.OptimizerConfig(
            steps=8, learning_rate=0.1, schedule=schedule, steps_per_call=1,
            tolerance=0.0, warmup_steps=warmup_steps))
    minimizer.minimize(grey, {"block1_conv1": target},
                       on_progress=lambda step, x, _: images.append(x))
    return np.max(np.abs(images[0] - grey))

  # Without warm-up the cosine has decayed for one step of eight; with it,
  # the rate is a quarter of the peak, and the decay has not begun.
  decayed = 0.5 * (1.0 + np.cos(np.pi / 8)) if schedule == "cosine" else 1.0
  np.testing.assert_allclose(first_step(0), 0.1 * decayed, rtol=1e-3)
  np.testing.assert_allclose(first_step(4), 0.1 / 4, rtol=1e-3)


@pytest.mark.parametrize("kwargs,match", [
    ({"batch_size": 0}, "batch_size"), ({"init": "zeros"}, "init"),
    ({"alpha": -1.0}, "alpha"), ({"mode": "boost"}, "mode")])
def test_nonsense_inversion_settings_are_refused(kwargs, match):
  with pytest.raises(errors.ArgumentError, match=match):
    filters.InversionConfig(**kwargs)


@pytest.mark.parametrize("spec,expected", [
    ("0,5,9", [0, 5, 9]), ("2:5", [2, 3, 4]), ("all", list(range(12))),
    ("0:2,1,7", [0, 1, 7])])
def test_parse_filters(spec, expected):
  assert filters.parse_filters(spec, 12) == expected


@pytest.mark.parametrize("spec,error", [
    ("12", errors.LayerError), ("-1", errors.LayerError),
    ("0:13", errors.LayerError), ("a,b", errors.ArgumentError),
    ("3:3", errors.ArgumentError)])
def test_bad_filter_lists_are_refused(spec, error):
  with pytest.raises(error):
    filters.parse_filters(spec, 12)


def test_a_huge_filter_range_is_refused_before_it_is_built():
  started = time.perf_counter()
  with pytest.raises(errors.LayerError, match="filter 9999999999 is out"):
    filters.parse_filters("0:10000000000", 64)
  with pytest.raises(errors.LayerError, match="filter -5 is out"):
    filters.parse_filters("1,-5:3", 64)
  assert time.perf_counter() - started < 1.0


def test_objective_over_several_layers_fits_both(tiny_backbone, photo, rng):
  names = ["block1_conv2", "block2_conv1"]
  features = feature_model.feature_model(tiny_backbone, names)
  targets = features(photo[None])
  objective = (objectives.code_distance(names[0])
               + objectives.code_distance(names[1]))
  start = rng.uniform(size=(1,) + photo.shape).astype(np.float32)
  before = objective.terms(features(start), start, targets)
  result = minimizer_lib.Minimizer(
      features, objective, optimization.OptimizerConfig(
          steps=100, tolerance=0.0)).minimize(start, targets)
  after = objective.terms(features(result.images), result.images, targets)
  for name in before:
    assert float(after[name][0]) < 0.5 * float(before[name][0]), name


def test_a_dead_filter_is_revived_by_the_redirected_relu(photo):
  from tests import tiny_vgg  # pylint: disable=g-import-not-at-top
  backbone = tiny_vgg.tiny_backbone(seed=5)
  conv = backbone.model.get_layer("block2_conv1")
  kernel, bias = conv.get_weights()
  bias[2] = 0.0
  conv.set_weights([kernel, bias])
  probe = feature_model.feature_model(backbone, ["block2_conv1"])
  start = filters.initial_images(photo, [2], filters.InversionConfig())
  peak = max(float(tf.reduce_max(probe(x)["block2_conv1"][..., 2]))
             for x in (photo[None], start))
  bias[2] = -1.05 * peak  # filter 2 fires neither on the photo nor the start
  conv.set_weights([kernel, bias])
  exact = feature_model.feature_model(backbone, ["block2_conv1"])
  redirected = feature_model.feature_model(backbone, ["block2_conv1"],
                                           relu_gradient="redirected")
  np.testing.assert_allclose(redirected(photo[None])["block2_conv1"],
                             exact(photo[None])["block2_conv1"], atol=1e-5)
  result = _invert(backbone, photo, [2])[0]
  assert result.share_before == 0.0
  assert result.share_after > 0.01


def test_early_stop_waits_for_an_element_whose_measure_is_zero(
    tiny_backbone, photo):
  minimizer, target = _fitting_block1_conv1(
      tiny_backbone, photo, _measure_given_in_targets, steps=60)
  start = np.full((2,) + photo.shape, 0.5, np.float32)
  result = minimizer.minimize(start, {"block1_conv1": tf.repeat(target, 2, 0),
                                     "measure": tf.constant([0.0, 1.0])})
  assert result.steps[0] == 60
  assert result.steps[1] < 60
  np.testing.assert_array_equal(result.measures, [0.0, 1.0])


def test_early_stop_waits_for_an_element_below_its_measure_floor(
    tiny_backbone, photo):
  minimizer, target = _fitting_block1_conv1(
      tiny_backbone, photo, _measure_given_in_targets, steps=60)
  start = np.full((2,) + photo.shape, 0.5, np.float32)
  result = minimizer.minimize(
      start, {"block1_conv1": tf.repeat(target, 2, 0),
              "measure": tf.constant([1.0, 1.0])}, measure_floors=[2.0, 0.5])
  assert result.steps[0] == 60
  assert result.steps[1] < 60


def test_no_filter_stops_early_below_its_share_in_the_photo(tiny_backbone,
                                                            photo):
  # An early stop so eager that every filter stalls at its first check: a
  # filter still ends only once its share has passed its share in the photo,
  # or at the last step.
  steps = 60
  config = defaults.resolve(tiny_backbone, steps=steps, steps_per_call=1,
                            tolerance=0.99, patience=1).config
  inverter = filters.FilterInverter(tiny_backbone, "block2_conv1", config)
  results = list(inverter.invert(photo, range(inverter.num_filters)))
  assert min(r.steps for r in results) < steps  # the early stop did stop
  for r in results:
    assert r.share_after >= r.share_before * (1 - 1e-4) or r.steps == steps


def test_fourier_inversion_raises_the_filters_share_smoothly(tiny_backbone,
                                                            photo):
  fourier = optimization.OptimizerConfig(steps=100, steps_per_call=50,
                                         tolerance=0.0, param="fourier")
  results = _invert(tiny_backbone, photo, [0, 1, 2, 3], optimizer=fourier)
  pixel = _invert(tiny_backbone, photo, [0, 1, 2, 3])
  gains = [r.share_after / r.share_before for r in results]
  assert np.median(gains) > 1.5, gains
  for result in results:
    assert 0 < result.image.min() and result.image.max() < 1

  def roughness(image):
    return np.mean(np.abs(np.diff(image, axis=1)))

  assert (np.mean([roughness(r.image) for r in results])
          < np.mean([roughness(r.image) for r in pixel]))


def test_a_fourier_result_does_not_depend_on_its_batch(tiny_backbone, photo):
  fourier = optimization.OptimizerConfig(steps=20, steps_per_call=10,
                                         tolerance=0.0, param="fourier")
  alone = _invert(tiny_backbone, photo, [3], batch_size=1,
                  optimizer=fourier)[0]
  crowd = _invert(tiny_backbone, photo, [0, 3, 5], batch_size=3,
                  optimizer=fourier)[1]
  np.testing.assert_allclose(crowd.image, alone.image, atol=2e-3)


def test_unknown_param_is_refused():
  with pytest.raises(errors.ArgumentError, match="param"):
    optimization.OptimizerConfig(param="lucid")


def test_stopped_images_stay_as_they_stopped_while_others_run(
    tiny_backbone, photo, rng):
  # Five images, of which three stop as soon as patience allows: the two still
  # running are computed padded with stopped ones, whose results must be
  # discarded, so every image ends as it would alone.
  minimizer, target = _fitting_block1_conv1(
      tiny_backbone, photo, _measure_given_in_targets, steps=40)
  start = rng.uniform(0.3, 0.7, size=(5,) + photo.shape).astype(np.float32)
  shares = np.array([0.0, 1.0, 0.0, 1.0, 1.0], np.float32)
  together = minimizer.minimize(
      start, {"block1_conv1": tf.repeat(target, 5, 0),
              "measure": tf.constant(shares)})
  assert list(together.steps) == [40, 30, 40, 30, 30]
  for i in range(5):
    alone = minimizer.minimize(start[i:i + 1], {
        "block1_conv1": target, "measure": tf.constant(shares[i:i + 1])})
    assert alone.steps[0] == together.steps[i]
    np.testing.assert_allclose(together.images[i], alone.images[0],
                               atol=2e-3)


@pytest.mark.parametrize("patience,steps", [(1, 10), (2, 60), (3, 60)])
def test_one_flat_call_stops_an_image_only_without_patience(
    tiny_backbone, photo, patience, steps):
  # The measure falls in every other call and doubles in the others (the
  # loss always counts as stalled): with a patience of 2 or more the image
  # never stalls twice in a row, so it runs all its steps.
  calls = tf.Variable(0.0)

  def alternating(activations, targets):
    del targets
    count = calls.assign_add(1.0)
    return tf.fill(tf.shape(activations["block1_conv1"])[:1],
                   1.0 + tf.math.floormod(count, 2.0))

  minimizer, target = _fitting_block1_conv1(
      tiny_backbone, photo, alternating, steps=60, patience=patience)
  start = np.full((1,) + photo.shape, 0.5, np.float32)
  result = minimizer.minimize(start, {"block1_conv1": target})
  assert result.steps[0] == steps


@pytest.mark.parametrize("before,gain", [(0.0, None), (5e-7, None),
                                         (0.01, 3.0)])
def test_a_silent_filter_has_no_gain_and_says_why(before, gain):
  result = filter_result.FilterResult("block1_conv1", 0, np.zeros((2, 2, 3)), 0.1,
                                10, 1.0, before, 0.03)
  record = result.record()
  assert result.gain == (None if gain is None else pytest.approx(gain))
  assert record["energy_share_gain"] == result.gain
  assert ("energy_share_gain_undefined" in record) == (gain is None)
  json.dumps(record)


def test_progress_counts_the_step_budget_from_the_first_batch(tiny_backbone,
                                                              photo):
  # Early stop ends batches before their last step; the rest of a batch's
  # budget is counted when it ends, so the filter-steps reported add up to
  # steps_per_filter per filter, batch by batch.
  config = defaults.resolve(tiny_backbone, config=filters.InversionConfig(
      batch_size=4, optimizer=optimization.OptimizerConfig(
          steps=200, steps_per_call=10, tolerance=0.2, patience=1))).config
  inverter = filters.FilterInverter(tiny_backbone, "block3_conv1", config)
  reports, finished = [], []
  results = inverter.invert(photo, list(range(8)),
                            on_step=lambda status, steps: reports.append(
                                (len(finished), steps)))
  for result in results:
    finished.append(result)
  assert max(r.steps for r in finished) < 200  # the batches stopped early
  first_batch = sum(steps for done, steps in reports if done == 0)
  assert first_batch == 4 * 200
  assert sum(steps for _, steps in reports) == 8 * inverter.steps_per_filter

"""The one composition of a run's objective and its shared settings."""

import numpy as np
import pytest
import tensorflow as tf

from fmi_tf import errors
from fmi_tf.inversion import filters
from fmi_tf.optim import composition
from fmi_tf.optim import objectives
from fmi_tf.style import reallocation
from fmi_tf.style import stylization


def _images():
  return tf.constant(np.random.default_rng(0).random((2, 8, 8, 3)),
                     tf.float32)


def test_compose_adds_the_weighted_priors_and_the_user_term_by_name():
  images = _images()
  main = objectives.l2()
  total = composition.compose(main, tv_weight=2.0, l2_weight=0.5,
                              user=3.0 * objectives.total_variation())
  tv = objectives.total_variation()({}, images, {})
  l2 = objectives.l2()({}, images, {})
  terms = total.terms({}, images, {})
  np.testing.assert_allclose(terms["loss/tv"], 5.0 * tv, rtol=1e-6)
  np.testing.assert_allclose(terms["loss/l2"], 1.5 * l2, rtol=1e-6)
  value, means = composition.total_and_terms(total, {}, images, {})
  np.testing.assert_allclose(value, np.mean(5.0 * tv + 1.5 * l2), rtol=1e-6)
  assert sorted(means) == ["loss/l2", "loss/tv"]


def test_compose_without_priors_or_user_is_the_main_term():
  images = _images()
  main = objectives.l2()
  np.testing.assert_allclose(composition.compose(main)({}, images, {}),
                             main({}, images, {}))


@pytest.mark.parametrize("config", [filters.InversionConfig,
                                    stylization.StyleConfig,
                                    reallocation.ReallocationConfig])
@pytest.mark.parametrize("field,value,phrase", [
    ("tv_weight", -1.0, "tv_weight must be"),
    ("noise_std", float("nan"), "noise_std must be"),
])
def test_every_run_config_refuses_a_bad_shared_setting_alike(
    config, field, value, phrase):
  with pytest.raises(errors.ArgumentError, match=phrase):
    config(**{field: value})


@pytest.mark.parametrize("settings,phrase", [
    ({"seed": -1}, "seed"), ({"batch_size": 0}, "batch_size"),
    ({"l2_weight": float("inf")}, "l2_weight must be")])
def test_check_settings_names_the_bad_setting(settings, phrase):
  with pytest.raises(errors.ArgumentError, match=phrase):
    composition.check_settings(**settings)


def test_grey_noise_images_depend_on_their_own_seed_only():
  together = composition.grey_noise_images([4, 4, 3], [(0, 1), (0, 2)], 0.1)
  alone = composition.grey_noise_images([4, 4, 3], [(0, 2)], 0.1)
  np.testing.assert_array_equal(together[1], alone[0])
  assert float(tf.reduce_min(together)) >= 0.0

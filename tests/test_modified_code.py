"""The modified code and the objective that measures distance to it."""

import numpy as np
import pytest
import tensorflow as tf

from fmi_tf import errors
from fmi_tf.inversion import modified_code
from fmi_tf.optim import objectives


@pytest.fixture
def code(rng):
  return tf.constant(rng.uniform(size=(1, 5, 6, 7)).astype(np.float32))


def test_transfer_keeps_the_total_in_map_k_only(code):
  dense = modified_code.dense(
      modified_code.filter_target(code, [2, 5], "transfer")).numpy()
  total = code.numpy().sum(axis=-1)
  for b, k in enumerate([2, 5]):
    np.testing.assert_allclose(dense[b].sum(), code.numpy().sum(), rtol=1e-5)
    np.testing.assert_allclose(dense[b, ..., k], total[0], rtol=1e-6)
    others = np.delete(dense[b], k, axis=-1)
    assert not others.any()


def test_gain_scales_map_k_by_alpha_and_the_rest_by_beta(code):
  dense = modified_code.dense(modified_code.filter_target(
      code, [3], "gain", alpha=4.0, beta=0.25)).numpy()[0]
  np.testing.assert_allclose(dense[..., 3], 4.0 * code.numpy()[0, ..., 3],
                             rtol=1e-6)
  np.testing.assert_allclose(np.delete(dense, 3, -1),
                             0.25 * np.delete(code.numpy()[0], 3, -1),
                             rtol=1e-6)


@pytest.mark.parametrize("mode", modified_code.MODES)
def test_factored_distance_equals_dense_distance(code, rng, mode):
  target = modified_code.filter_target(code, [0, 4, 6], mode, 3.0, 0.5)
  phi = tf.constant(rng.uniform(size=(3, 5, 6, 7)).astype(np.float32))
  got = modified_code.filter_code_distance("l")({"l": phi}, None, {"l": target})
  dense = modified_code.dense(target)
  want = (tf.reduce_sum(tf.square(phi - dense), [1, 2, 3])
          / tf.reduce_sum(tf.square(dense), [1, 2, 3]))
  np.testing.assert_allclose(got, want, rtol=1e-4)
  dense_objective = objectives.code_distance("l")
  np.testing.assert_allclose(dense_objective({"l": phi}, None, {"l": dense}),
                             want, rtol=1e-5)


def test_unknown_mode_is_refused(code):
  with pytest.raises(errors.ArgumentError, match="transfer, gain"):
    modified_code.filter_target(code, [0], "boost")


def test_objective_algebra_builds_new_values():
  a = objectives.total_variation()
  b = objectives.l2()
  combined = 2.0 * a - b
  images = tf.constant(np.random.default_rng(1).uniform(
      size=(2, 4, 4, 3)).astype(np.float32))
  terms = combined.terms({}, images, {})
  assert list(terms) == ["loss/tv", "loss/l2"]
  assert list(a.terms({}, images, {})) == ["loss/tv"]
  assert a.parts[0].weight == 1.0
  np.testing.assert_allclose(terms["loss/tv"], 2 * a({}, images, {}))
  np.testing.assert_allclose(terms["loss/l2"], -b({}, images, {}))
  np.testing.assert_allclose(combined({}, images, {}),
                             terms["loss/tv"] + terms["loss/l2"])


def test_total_variation_known_value():
  image = np.zeros((1, 3, 3, 3), np.float32)
  image[0, :, 1:, :] = 1.0  # a vertical edge between columns 0 and 1
  # Pairs over the top-left 2x2 block: dx is 1 in column 0, dy is 0.
  value = objectives.total_variation()({}, tf.constant(image), {})
  np.testing.assert_allclose(value, [0.5])

"""The objective vocabulary: algebra on values, hand-computed values, ascent.

Every objective gets a value checked by hand on a small activation tensor,
and a few render steps on the tiny network that must move it the right way
(lucid's habit).
"""

import numpy as np
import pytest
import tensorflow as tf

import fmi_tf
from fmi_tf import errors
from fmi_tf import objectives

_LAYER = "block3_conv1"


def _acts(seed: int = 0, shape=(3, 4, 5, 6)) -> dict:
  rng = np.random.default_rng(seed)
  return {_LAYER: tf.constant(rng.uniform(0, 2, shape), tf.float32)}


def _value(objective, acts=None, images=None, targets=None) -> np.ndarray:
  acts = _acts() if acts is None else acts
  if images is None:
    images = tf.zeros([next(iter(acts.values())).shape[0], 4, 4, 3])
  return objective(acts, images, targets or {}).numpy()


# The algebra, on values.

def test_a_plus_a_is_twice_a_and_a_minus_a_is_zero():
  a = objectives.channel(_LAYER, 2)
  np.testing.assert_allclose(_value(a + a), 2 * _value(a), rtol=1e-6)
  np.testing.assert_allclose(_value(a - a), 0.0, atol=1e-6)
  np.testing.assert_allclose(_value(3.0 * a), 3 * _value(a), rtol=1e-6)
  np.testing.assert_allclose(_value(a / 4), _value(a) / 4, rtol=1e-6)


def test_sum_of_objectives_adds_their_values():
  parts = [objectives.channel(_LAYER, k) for k in range(3)]
  np.testing.assert_allclose(
      _value(sum(parts)), sum(_value(p) for p in parts), rtol=1e-6)


def test_terms_with_one_name_are_summed_not_overwritten():
  a = objectives.channel(_LAYER, 1)
  terms = (a + 2 * a).terms(_acts(), tf.zeros([3, 4, 4, 3]), {})
  assert list(terms) == [f"loss/channel/{_LAYER}"]
  np.testing.assert_allclose(terms[f"loss/channel/{_LAYER}"].numpy(),
                             3 * _value(a), rtol=1e-6)


def test_a_user_term_named_like_a_prior_keeps_the_prior():
  tv = objectives.total_variation()
  mine = objectives.Objective.of(
      lambda acts, images, targets: tf.ones([tf.shape(images)[0]]),
      "loss/tv")
  images = tf.random.stateless_uniform([2, 8, 8, 3], (1, 2))
  both = _value(tv + mine, {}, images)
  np.testing.assert_allclose(both, _value(tv, {}, images) + 1.0, rtol=1e-6)


def test_objectives_refuse_arithmetic_with_other_things():
  with pytest.raises(TypeError):
    objectives.channel(_LAYER, 1) + 1.0  # pylint: disable=expression-not-assigned
  with pytest.raises(TypeError):
    objectives.channel(_LAYER, 1) * "2"  # pylint: disable=expression-not-assigned


# Values on hand-computed cases.

def test_channel_is_minus_the_maps_mean_per_image():
  acts = _acts()
  expected = -acts[_LAYER].numpy()[..., 2].mean(axis=(1, 2))
  np.testing.assert_allclose(_value(objectives.channel(_LAYER, 2), acts),
                             expected, rtol=1e-6)
  per_image = objectives.channel(_LAYER, [0, 5, 3])
  maps = acts[_LAYER].numpy()
  np.testing.assert_allclose(
      _value(per_image, acts),
      [-maps[0, ..., 0].mean(), -maps[1, ..., 5].mean(),
       -maps[2, ..., 3].mean()], rtol=1e-6)
  # A narrowed batch keeps each image's own target.
  narrowed = {_LAYER: acts[_LAYER][1:]}
  np.testing.assert_allclose(
      _value(per_image, narrowed, targets={objectives.ELEMENT: [1, 2]}),
      [-maps[1, ..., 5].mean(), -maps[2, ..., 3].mean()], rtol=1e-6)


def test_neuron_is_the_centre_unit_or_a_given_one():
  maps = _acts()[_LAYER].numpy()
  np.testing.assert_allclose(_value(objectives.neuron(_LAYER, 4)),
                             -maps[:, 2, 2, 4], rtol=1e-6)
  np.testing.assert_allclose(_value(objectives.neuron(_LAYER, 4, (1, 3))),
                             -maps[:, 1, 3, 4], rtol=1e-6)


def test_direction_is_the_mean_dot_product_times_the_cosine_power():
  maps = _acts()[_LAYER].numpy()
  vector = np.arange(6, dtype=np.float32) - 2.0
  dot = maps @ vector
  np.testing.assert_allclose(_value(objectives.direction(_LAYER, vector)),
                             -dot.mean(axis=(1, 2)), rtol=1e-5)
  cosine = np.maximum(dot / (1e-4 + np.linalg.norm(maps, axis=-1))
                      / (1e-4 + np.linalg.norm(vector)), 0.1)
  np.testing.assert_allclose(
      _value(objectives.direction(_LAYER, vector, cossim_pow=2.0)),
      -(dot * cosine ** 2).mean(axis=(1, 2)), rtol=1e-5)


def test_channel_weights_weigh_the_map_means():
  means = _acts()[_LAYER].numpy().mean(axis=(1, 2))
  np.testing.assert_allclose(
      _value(objectives.channel_weights(_LAYER, {1: 2.0, 4: -0.5})),
      -(2.0 * means[:, 1] - 0.5 * means[:, 4]), rtol=1e-5)
  weights = np.linspace(-1, 1, 6)
  np.testing.assert_allclose(
      _value(objectives.channel_weights(_LAYER, weights)),
      -(means @ weights), rtol=1e-5)


def test_deepdream_is_minus_the_mean_square():
  maps = _acts()[_LAYER].numpy()
  np.testing.assert_allclose(_value(objectives.deepdream(_LAYER)),
                             -(maps ** 2).mean(axis=(1, 2, 3)), rtol=1e-5)


def test_diversity_is_the_mean_gram_cosine_to_the_other_images():
  maps = _acts()[_LAYER].numpy()
  grams = np.einsum("bhwc,bhwd->bcd", maps, maps).reshape(3, -1)
  grams /= np.linalg.norm(grams, axis=1, keepdims=True)
  cosines = grams @ grams.T
  expected = [(cosines[i].sum() - 1.0) / 2 for i in range(3)]
  np.testing.assert_allclose(_value(objectives.diversity(_LAYER)), expected,
                             rtol=1e-5)
  same = {_LAYER: tf.repeat(_acts()[_LAYER][:1], 3, axis=0)}
  np.testing.assert_allclose(_value(objectives.diversity(_LAYER), same), 1.0,
                             rtol=1e-5)


def test_alignment_shares_each_pairs_distance_between_them():
  maps = _acts()[_LAYER].numpy()
  pair = lambda i, j: ((maps[i] - maps[j]) ** 2).mean()  # pylint: disable=unnecessary-lambda-assignment
  d01, d12, d02 = pair(0, 1) / 2, pair(1, 2) / 2, pair(0, 2) / 4
  expected = [(d01 + d02) / 2, (d01 + d12) / 2, (d12 + d02) / 2]
  np.testing.assert_allclose(_value(objectives.alignment(_LAYER)), expected,
                             rtol=1e-5)


def test_a_string_stands_for_channel():
  np.testing.assert_allclose(
      _value(objectives.as_objective(f"{_LAYER}:2")),
      _value(objectives.channel(_LAYER, 2)))
  batched = objectives.as_objective(f"{_LAYER}:0:3")
  assert batched.elements == 3
  listed = objectives.as_objective([f"{_LAYER}:0", f"{_LAYER}:1",
                                    f"{_LAYER}:2"])
  np.testing.assert_allclose(_value(listed), _value(batched))


def test_per_image_gives_each_image_its_own_objective():
  acts = _acts()
  parts = [objectives.channel(_LAYER, 1), objectives.deepdream(_LAYER),
           -objectives.channel(_LAYER, 4)]
  got = _value(objectives.per_image(parts), acts)
  np.testing.assert_allclose(got, [_value(p, acts)[i]
                                   for i, p in enumerate(parts)], rtol=1e-6)


# Bad input: one clear exception.

@pytest.mark.parametrize("make,error", [
    (lambda: objectives.channel(_LAYER, -1), errors.LayerError),
    (lambda: objectives.channel(_LAYER, "7"), errors.ArgumentError),
    (lambda: objectives.channel(_LAYER, []), errors.ArgumentError),
    (lambda: objectives.channel(_LAYER, [1.5]), errors.ArgumentError),
    (lambda: objectives.channel(_LAYER, range(10**12)), errors.ArgumentError),
    (lambda: objectives.direction(_LAYER, [[[1.0]]]), errors.ArgumentError),
    (lambda: objectives.direction(_LAYER, [1.0, np.nan]),
     errors.ArgumentError),
    (lambda: objectives.direction(_LAYER, [1.0], cossim_pow=-1),
     errors.ArgumentError),
    (lambda: objectives.as_objective("block3_conv1"), errors.ArgumentError),
    (lambda: objectives.as_objective("block3_conv1:x"), errors.ArgumentError),
    (lambda: objectives.as_objective(42), errors.ArgumentError),
    (lambda: objectives.channel(_LAYER, range(3))
     + objectives.channel(_LAYER, range(4)), errors.ArgumentError),
    (lambda: objectives.per_image([objectives.diversity(_LAYER)]),
     errors.ArgumentError),
])
def test_bad_objectives_are_refused_when_built(make, error):
  with pytest.raises(error):
    make()


@pytest.mark.parametrize("objective,images,message", [
    (objectives.channel(_LAYER, 8), None, "out of range"),
    (objectives.neuron(_LAYER, 1, (40, 0)), None, "outside"),
    (objectives.direction(_LAYER, [1.0, 2.0]), None, "has 2 weights"),
    (objectives.class_logit(3), None, "classification head"),
    (objectives.diversity(_LAYER), 1, "at least 2"),
    (objectives.alignment(_LAYER), 1, "at least 2"),
    ("block9_conv1:0", None, "unknown layer"),
])
def test_objectives_the_network_cannot_evaluate_are_refused_before_a_step(
    tiny_backbone, objective, images, message):
  with pytest.raises(errors.FmiError, match=message):
    fmi_tf.render(tiny_backbone, objective, images=images, size=32, steps=1,
                  progress=False)


# Each objective moves the right way in a few steps on the tiny network.

def _ascends(backbone, objective, layer_values, size=32, steps=24,
             param="pixel", **kwargs):
  """Renders and returns (value at the start, value at the end)."""
  kwargs["param"] = param
  start = fmi_tf.render(backbone, objective, size=size, steps=1,
                        learning_rate=1e-9, progress=False, tolerance=0.0,
                        **kwargs)
  end = fmi_tf.render(backbone, objective, size=size, steps=steps,
                      progress=False, tolerance=0.0, **kwargs)
  return layer_values(start), layer_values(end)


def _loss(result):
  return np.array([r["loss"] for r in result.records])


@pytest.mark.parametrize("objective", [
    objectives.channel(_LAYER, 3),
    objectives.channel(_LAYER, [0, 5]),
    objectives.neuron(_LAYER, 2),
    objectives.direction(_LAYER, np.linspace(-1, 1, 8), cossim_pow=1.0),
    objectives.channel_weights(_LAYER, {1: 1.0, 6: 0.5}),
    objectives.deepdream(_LAYER),
    -objectives.channel(_LAYER, 1),
    objectives.channel(_LAYER, [2] * 3) + objectives.diversity(
        "block2_conv1"),
    objectives.channel(_LAYER, [2] * 3) + objectives.alignment(
        "block2_conv1"),
])
def test_every_objective_falls_in_a_few_steps(tiny_backbone, objective):
  before, after = _ascends(tiny_backbone, objective, _loss)
  assert np.all(after < before), (before, after)


def test_class_logit_raises_the_class_score_of_a_network_with_a_head():
  import keras  # pylint: disable=import-outside-toplevel
  inputs = keras.Input((None, None, 3))
  x = keras.layers.Conv2D(6, 3, activation="relu", name="conv")(inputs)
  x = keras.layers.GlobalAveragePooling2D()(x)
  outputs = keras.layers.Dense(4, activation="softmax", name="head")(x)
  model = keras.Model(inputs, outputs)
  net = fmi_tf.network(model)
  assert net.logits == ("head", True)
  before, after = _ascends(net, objectives.class_logit(2), _loss)
  assert after[0] < before[0]
  # The objective reads the logits, not the softmax.
  result = fmi_tf.render(net, objectives.class_logit(2), size=32, steps=1,
                         progress=False, precision="float32")
  dense = model.get_layer("head")
  features = np.asarray(keras.Model(inputs, dense.input)(result.images))
  kernel, bias = dense.get_weights()
  np.testing.assert_allclose(-_loss(result), (features @ kernel + bias)[:, 2],
                             rtol=1e-4)

"""Energy reallocation: random shares, rank transfer, inversion of the codes."""

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from fmi_tf import errors
from fmi_tf import texture
from fmi_tf.optim import optimization
from fmi_tf.style import energy_codes
from fmi_tf.style import reallocation


@pytest.fixture
def code(rng):
  values = rng.uniform(size=(1, 6, 5, 8)).astype(np.float32)
  values[..., 3] = 0.0
  return tf.constant(values)


def test_random_code_is_reproducible_and_seed_dependent(code):
  first = energy_codes.random_code(code, [0, 1, 2], layer_index=1)
  again = energy_codes.random_code(code, [2, 0], layer_index=1)
  np.testing.assert_array_equal(first[0], again[1])
  np.testing.assert_array_equal(first[2], again[0])
  assert not np.allclose(first[0], first[1])
  other_layer = energy_codes.random_code(code, [0], layer_index=2)
  assert not np.allclose(first[0], other_layer[0])


def test_random_code_preserves_the_layer_total(code):
  total = float(tf.reduce_sum(texture.energies(code)))
  result = texture.energies(energy_codes.random_code(code, range(5)))
  np.testing.assert_allclose(tf.reduce_sum(result, axis=-1), [total] * 5,
                             rtol=1e-5)


@pytest.mark.parametrize("concentration", [1.0, 0.1])
def test_random_shares_follow_the_symmetric_dirichlet(concentration):
  num_filters, draws = 64, 200
  shares = np.stack([
      energy_codes.random_shares(s, 0, num_filters, concentration)
      for s in range(draws)])
  assert np.all(shares >= 0)
  np.testing.assert_allclose(shares.sum(axis=1), 1.0, rtol=1e-5)
  # Each share has mean 1/C and variance (C-1) / (C^2 (C a + 1)).
  expected_std = np.sqrt((num_filters - 1) /
                         (num_filters ** 2 * (num_filters * concentration + 1)))
  assert 0.9 * expected_std < shares.std() < 1.1 * expected_std
  # Over the seeds, no filter is favoured: every filter's mean share is 1/C
  # within 4.5 standard errors (sorted or biased shares miss it by far more).
  standard_error = expected_std / np.sqrt(draws)
  np.testing.assert_array_less(np.abs(shares.mean(axis=0) - 1 / num_filters),
                               4.5 * standard_error)


def test_with_energies_gives_each_map_the_energy_asked_for(code, rng):
  wanted = rng.uniform(0.1, 2.0, size=(2, 8)).astype(np.float32)
  result = energy_codes.with_energies(code, tf.constant(wanted))
  assert result.shape == (2, 6, 5, 8)
  np.testing.assert_allclose(texture.energies(result), wanted, rtol=1e-5)
  # A live map is the original scaled; the dead map 3 becomes uniform.
  for b in range(2):
    for k in (0, 5):
      np.testing.assert_allclose(
          result[b, ..., k],
          code[0, ..., k] * wanted[b, k] / np.mean(code[0, ..., k]),
          rtol=1e-5)
    np.testing.assert_allclose(result[b, ..., 3], wanted[b, 3], rtol=1e-6)


def test_flat_shares_are_all_positive():
  shares = np.stack([energy_codes.random_shares(s, 0, 64) for s in range(50)])
  assert np.all(shares > 0)


def _share_statistics(concentration):
  shares = np.stack([energy_codes.random_shares(s, 0, 64, concentration)
                     for s in range(100)])
  entropy = -np.sum(shares * np.log(np.maximum(shares, 1e-30)), axis=1)
  return shares.max(axis=1).mean(), entropy.mean()


def test_lower_concentration_gives_more_unequal_shares():
  statistics = [_share_statistics(c) for c in (3.0, 1.0, 0.3, 0.1)]
  largest, entropy = (np.array(values) for values in zip(*statistics))
  assert np.all(np.diff(largest) > 0)
  assert np.all(np.diff(entropy) < 0)


def test_random_shares_are_reproducible_per_seed_and_concentration():
  first = energy_codes.random_shares(3, 1, 64, 0.1)
  np.testing.assert_array_equal(first,
                                energy_codes.random_shares(3, 1, 64, 0.1))
  assert not np.allclose(first, energy_codes.random_shares(4, 1, 64, 0.1))
  assert not np.allclose(first, energy_codes.random_shares(3, 1, 64, 0.5))


def test_maps_keep_their_spatial_pattern(code):
  result = energy_codes.random_code(code, [7])[0].numpy()
  for k in (0, 5):
    ratio = result[..., k] / code[0, ..., k].numpy()
    np.testing.assert_allclose(ratio, ratio.flat[0], rtol=1e-4)


def test_a_dead_map_takes_its_energy_as_a_uniform_map(code):
  result = energy_codes.random_code(code, [0])[0].numpy()[..., 3]
  assert result.min() > 0
  np.testing.assert_allclose(result, result.flat[0])


def test_rank_puts_exactly_the_style_sorted_energies(code, rng):
  style = tf.constant(rng.uniform(size=(1, 8)) * 10, tf.float32)
  result = texture.energies(energy_codes.rank_code(code, style))[0].numpy()
  np.testing.assert_allclose(np.sort(result), np.sort(style[0]), rtol=1e-5)
  content_order = np.argsort(-texture.energies(code)[0].numpy(), kind="stable")
  np.testing.assert_allclose(result[content_order],
                             -np.sort(-style[0].numpy()), rtol=1e-5)


@pytest.mark.parametrize("spec,seeds", [
    ("0:4", [0, 1, 2, 3]), ("3", [3]), ("0,4,7", [0, 4, 7]),
    ("0:2,9,1", [0, 1, 9])])
def test_parse_seeds(spec, seeds):
  assert reallocation.parse_seeds(spec) == seeds


@pytest.mark.parametrize("spec", ["", "a:b", "4:4", "-1", "1:x",
                                  "0:10000000000", "-3:2"])
def test_parse_seeds_refuses_bad_lists(spec):
  with pytest.raises(errors.ArgumentError, match="seed"):
    reallocation.parse_seeds(spec)


@pytest.mark.parametrize("mode,has_style", [("rank", False), ("random", True)])
def test_style_image_only_with_rank(mode, has_style):
  with pytest.raises(errors.ArgumentError, match="rank"):
    reallocation.check_style(mode, has_style)


def test_unknown_mode_is_refused():
  with pytest.raises(errors.ArgumentError, match="mode"):
    reallocation.ReallocationConfig(mode="shuffle")


@pytest.mark.parametrize("concentration", [0.0, -0.5, float("nan")])
def test_non_positive_concentration_is_refused(concentration):
  with pytest.raises(errors.ArgumentError, match="concentration"):
    reallocation.ReallocationConfig(concentration=concentration)


def _reallocator(backbone, mode, steps, concentration=0.1, param="pixel"):
  return reallocation.Reallocator(backbone, reallocation.ReallocationConfig(
      mode=mode, layers=("relu1_1", "relu2_1"), concentration=concentration,
      optimizer=optimization.OptimizerConfig(steps=steps, learning_rate=0.05,
                                             steps_per_call=10, tolerance=0.0,
                                             param=param)))


def _code_distance(codes, targets):
  return sum(tf.reduce_sum(tf.square(codes[layer] - target), axis=[1, 2, 3])
             / tf.reduce_sum(tf.square(target), axis=[1, 2, 3])
             for layer, target in targets.items()).numpy()


def test_random_inversion_approaches_the_reallocated_code(tiny_backbone,
                                                          photo):
  reallocator = _reallocator(tiny_backbone, "random", 150)
  targets = reallocator.targets(photo, [0, 1])
  result = reallocator.invert(photo, [0, 1])
  assert result.images.shape == (2, *photo.shape)
  grey = np.full((2, *photo.shape), 0.5, np.float32)
  before = _code_distance(reallocator.codes(grey), targets)
  after = _code_distance(reallocator.codes(result.images), targets)
  np.testing.assert_allclose(after, result.losses, rtol=1e-3)
  assert np.all(after < 0.5 * before)


def test_fourier_reallocation_approaches_the_code_whatever_its_batch(
    tiny_backbone, photo):
  reallocator = _reallocator(tiny_backbone, "random", 150, param="fourier")
  targets = reallocator.targets(photo, [0, 1])
  both = reallocator.invert(photo, [0, 1]).images
  alone = reallocator.invert(photo, [1]).images
  np.testing.assert_allclose(both[1], alone[0], atol=1e-4)
  assert both.min() >= 0 and both.max() <= 1
  grey = np.full((2, *photo.shape), 0.5, np.float32)
  before = _code_distance(reallocator.codes(grey), targets)
  after = _code_distance(reallocator.codes(both), targets)
  assert np.all(after < 0.8 * before)


def test_the_configured_concentration_shapes_the_targets(tiny_backbone,
                                                         photo):
  seeds = range(8)
  largest_share = {}
  for concentration in (1.0, 0.1):
    targets = _reallocator(tiny_backbone, "random", 1,
                           concentration).targets(photo, seeds)
    shares = texture.energy_shares(targets["block2_conv1"]).numpy()
    largest_share[concentration] = shares.max(axis=1).mean()
  assert largest_share[0.1] > 2 * largest_share[1.0]


def test_rank_inversion_gives_one_image_per_seed(tiny_backbone, photo, rng):
  style = rng.uniform(size=(24, 24, 3)).astype(np.float32)
  reallocator = _reallocator(tiny_backbone, "rank", 10)
  targets = reallocator.targets(photo, [0, 1, 2], style)
  assert all(t.shape[0] == 3 for t in targets.values())
  np.testing.assert_array_equal(targets["block1_conv1"][0],
                                targets["block1_conv1"][2])
  result = reallocator.invert(photo, [0, 1, 2], style)
  assert result.images.shape == (3, *photo.shape)
  assert not np.allclose(result.images[0], result.images[1])


def test_seeds_in_chunks_give_the_images_of_one_batch(tiny_backbone, photo):
  config = reallocation.ReallocationConfig(
      layers=("block1_conv1",), optimizer=optimization.OptimizerConfig(
          steps=3, tolerance=0.0))
  seeds = [4, 0, 9, 2, 7]
  whole = reallocation.Reallocator(tiny_backbone, config).invert(photo, seeds)
  chunked = reallocation.Reallocator(
      tiny_backbone, dataclasses.replace(config, batch_size=2))
  calls = []
  result = chunked.invert(photo, seeds, on_progress=lambda step, chunk, *_:
                          calls.append((step, list(chunk))))
  # Equal up to float rounding: kernels may block a batch of 2 and one of 5
  # differently (AVX2 oneDNN does).
  np.testing.assert_allclose(result.images, whole.images, atol=1e-5)
  np.testing.assert_allclose(result.losses, whole.losses, rtol=1e-4)
  assert [chunk for _, chunk in calls] == [[4, 0], [9, 2], [7]]
  assert [step for step, _ in calls] == [3, 6, 9]
  assert chunked.total_steps(len(seeds)) == 9


@pytest.mark.parametrize("batch_size", [0, -1, 1.5])
def test_a_bad_seed_batch_is_refused(batch_size):
  with pytest.raises(errors.ArgumentError, match="batch_size"):
    reallocation.ReallocationConfig(batch_size=batch_size)


def test_layers_default_to_the_networks_two_shallowest_style_layers(
    tiny_backbone):
  def layers(**given):
    return reallocation.ReallocationConfig(**given).for_network(
        tiny_backbone).layers

  assert layers() == ("block1_conv1", "block2_conv1")
  assert layers(layers=("relu3_1", "conv1_1")) == ("block1_conv1",
                                                   "block3_conv1")
  with pytest.raises(errors.LayerError, match="unknown layer 'fc7'"):
    layers(layers=("fc7",))

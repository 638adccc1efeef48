"""Texture statistics: energies, shares, Gram matrices, representations."""

import numpy as np
import pytest
import tensorflow as tf

from fmi_tf import errors
from fmi_tf import texture
from fmi_tf.io import images
from fmi_tf.nets import default_layers
from fmi_tf.nets import feature_model


def _code():
  """A [1, 2, 2, 2] code: map 0 is 1..4, map 1 is 0, 0, 3, 4."""
  return tf.constant([[[[1.0, 0.0], [2.0, 0.0]],
                       [[3.0, 3.0], [4.0, 4.0]]]])


def test_first_order_energy_is_the_spatial_mean():
  np.testing.assert_allclose(texture.energies(_code()), [[2.5, 1.75]])


def test_second_order_energy_is_the_root_mean_square():
  np.testing.assert_allclose(texture.energies(_code(), order=2),
                             [[np.sqrt(7.5), np.sqrt(25.0 / 4)]], rtol=1e-6)


def test_second_order_energy_is_the_root_of_the_gram_diagonal(rng):
  code = tf.constant(rng.uniform(size=(2, 5, 4, 3)), tf.float32)
  np.testing.assert_allclose(
      texture.energies(code, order=2),
      np.sqrt(np.diagonal(texture.gram(code), axis1=1, axis2=2)), rtol=1e-5)


def test_unknown_energy_order_is_refused():
  with pytest.raises(errors.ArgumentError,
                     match="energy order must be one of 1, 2, not 3"):
    texture.energies(_code(), order=3)


def test_energy_shares_sum_to_one_and_follow_the_energies():
  shares = texture.energy_shares(_code()).numpy()
  np.testing.assert_allclose(shares, [[2.5 / 4.25, 1.75 / 4.25]], rtol=1e-6)


def test_gram_known_values():
  expected = np.array([[1 + 4 + 9 + 16, 9 + 16], [9 + 16, 9 + 16]]) / 4.0
  np.testing.assert_allclose(texture.gram(_code())[0], expected)


def test_gram_is_symmetric_and_ignores_positions(rng):
  code = rng.uniform(size=(1, 6, 6, 4)).astype(np.float32)
  shuffled = code.reshape(1, 36, 4)[:, rng.permutation(36)].reshape(code.shape)
  matrix = texture.gram(code)[0].numpy()
  np.testing.assert_allclose(matrix, matrix.T, rtol=1e-6)
  np.testing.assert_allclose(texture.gram(shuffled)[0], matrix, rtol=1e-5)


# At 64 px the maps of blocks 4-5 are 8x8 and 4x4, dominated by the border:
# shift invariance is a property of the first three blocks' statistics here.
_SHIFT_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1")


def _energy_vector(activations, layers):
  """The energies of every filter of `layers`, concatenated: [B, D]."""
  return tf.concat([texture.energies(activations[layer]) for layer in layers],
                   axis=-1)


def _shift_change(backbone, image):
  """Relative change of the energy vector under a half-period circular shift."""
  model = feature_model.feature_model(backbone, _SHIFT_LAYERS)
  shifted = np.roll(image, (image.shape[0] // 3, image.shape[1] // 2),
                    axis=(0, 1))
  vectors = [_energy_vector(model(x[None]), _SHIFT_LAYERS)[0]
             for x in (image, shifted)]
  return float(tf.norm(vectors[1] - vectors[0]) / tf.norm(vectors[0]))


def test_energy_vector_changes_little_under_circular_shift(tiny_backbone, rng):
  texture_image = rng.uniform(size=(64, 64, 3)).astype(np.float32)
  assert _shift_change(tiny_backbone, texture_image) < 0.05


def test_energy_vector_tells_textures_apart(tiny_backbone, rng):
  noise = rng.uniform(size=(64, 64, 3)).astype(np.float32)
  stripes = np.tile((np.arange(64) // 4 % 2)[None, :, None],
                    (64, 1, 3)).astype(np.float32)
  layers = default_layers.style_layers(tiny_backbone)
  model = feature_model.feature_model(tiny_backbone, layers)
  a, b = (_energy_vector(model(x[None]), layers)[0]
          for x in (noise, stripes))
  assert float(tf.norm(a - b) / tf.norm(a)) > 0.1


@pytest.mark.real_weights
@pytest.mark.real_data
@pytest.mark.slow
def test_real_texture_energy_is_shift_invariant(real_backbone, dtd10_root):
  image = images.load_image(f"{dtd10_root}/banded/banded_0002.jpg", 128)
  assert _shift_change(real_backbone, image) < 0.1

"""Parameterisations: images round-trip, stay in range, transforms are seeded."""

import numpy as np
import pytest
import tensorflow as tf

from fmi_tf import errors
from fmi_tf.optim import parameterization


@pytest.mark.parametrize("param", parameterization.CODE_PARAMS)
def test_parameters_of_an_image_give_the_image_back(param, photo):
  height, width = photo.shape[:2]
  chosen = parameterization.make(param, height, width)
  images = tf.constant(np.clip(photo[None], 0.01, 0.99))
  back = chosen.to_images(chosen.to_parameters(images)).numpy()
  np.testing.assert_allclose(back, images.numpy(), atol=1e-3)


def test_fourier_images_stay_inside_the_unit_range(rng):
  fourier = parameterization.make("fourier", 24, 30)
  parameters = fourier.to_parameters(tf.fill([2, 24, 30, 3], 0.5))
  wild = parameters + 50.0 * rng.normal(size=parameters.shape).astype(
      np.float32)
  images = fourier.to_images(wild).numpy()
  assert images.shape == (2, 24, 30, 3)
  assert images.min() >= 0 and images.max() <= 1 and images.std() > 0.1


def test_fourier_transform_depends_on_seed_and_step_only(photo):
  height, width = photo.shape[:2]
  fourier = parameterization.make("fourier", height, width)
  images = tf.constant(np.stack([photo, photo[::-1]]))
  seeds = tf.constant([[0, 1], [0, 2]])
  steps = tf.constant([3.0, 3.0])
  both = fourier.transform(images, seeds, steps).numpy()
  first = fourier.transform(images[:1], seeds[:1], steps[:1]).numpy()
  np.testing.assert_allclose(both[:1], first, atol=1e-6)
  later = fourier.transform(images[:1], seeds[:1], steps[:1] + 1).numpy()
  assert np.abs(later - first).max() > 1e-3
  # A small shift and zoom: the picture stays close to the input.
  assert np.abs(first[0] - photo).mean() < 0.1


def test_pixel_transform_is_the_identity(photo):
  pixel = parameterization.make("pixel", *photo.shape[:2])
  images = tf.constant(photo[None])
  np.testing.assert_array_equal(
      pixel.transform(images, tf.constant([[0, 0]]), tf.constant([1.0])),
      images)


def test_unknown_param_is_refused():
  with pytest.raises(errors.ArgumentError, match="pixel, fourier"):
    parameterization.make("lucid", 8, 8)

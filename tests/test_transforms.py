"""Transforms: seeded per element, composable, affine runs resampled once."""

import numpy as np
import pytest
import tensorflow as tf

from fmi_tf.optim import composition
from fmi_tf.optim import minimizer as minimizer_lib
from fmi_tf.optim import objectives
from fmi_tf.optim import optimization
from fmi_tf.optim import parameterization
from fmi_tf.optim import transforms

_SEEDS = tf.constant([[0, 1], [0, 2]])
_STEPS = tf.constant([3.0, 3.0])


@pytest.mark.parametrize("transform", [
    transforms.jitter(0.05), transforms.scale(0.1), transforms.rotate(10.0),
    transforms.compose([transforms.jitter(0.05), transforms.rotate(10.0)])])
def test_a_transform_depends_on_its_elements_seed_and_step_only(transform,
                                                                photo):
  images = tf.constant(np.stack([photo, photo[::-1]]))
  both = transform(images, _SEEDS, _STEPS).numpy()
  first = transform(images[:1], _SEEDS[:1], _STEPS[:1]).numpy()
  np.testing.assert_allclose(both[:1], first, atol=1e-6)
  later = transform(images[:1], _SEEDS[:1], _STEPS[:1] + 1).numpy()
  assert np.abs(later - first).max() > 1e-3
  assert np.abs(first[0] - photo).mean() < 0.1  # small: close to the input


def test_zero_sized_affine_transforms_are_the_identity(photo):
  images = tf.constant(photo[None])
  chain = transforms.compose([transforms.jitter(0.0), transforms.scale(0.0),
                              transforms.rotate(0.0)])
  np.testing.assert_allclose(chain(images, _SEEDS[:1], _STEPS[:1]), images,
                             atol=1e-5)


def test_an_affine_run_is_one_resampling_close_to_two(photo):
  images = tf.constant(photo[None])
  shift, turn = transforms.jitter(0.05), transforms.rotate(10.0)
  once = transforms.compose([shift, turn])(images, _SEEDS[:1], _STEPS[:1])
  twice = turn(shift(images, _SEEDS[:1], _STEPS[:1]), _SEEDS[:1], _STEPS[:1])
  inner = (slice(None), slice(4, -4), slice(4, -4))
  assert np.abs(once.numpy()[inner] - twice.numpy()[inner]).mean() < 0.03
  # Resampled once, the picture keeps more detail than resampled twice.
  assert np.std(once.numpy()) >= np.std(twice.numpy())


def test_a_users_function_joins_the_chain(photo):
  def flip(images, seeds, steps):
    del seeds, steps
    return images[:, :, ::-1]

  images = tf.constant(photo[None])
  chain = transforms.compose([transforms.jitter(0.0), flip])
  np.testing.assert_allclose(chain(images, _SEEDS[:1], _STEPS[:1]),
                             images[:, :, ::-1], atol=1e-5)


@pytest.mark.parametrize("spatial,color", [
    ("pixel", "decorrelated"), ("fourier", "plain")])
def test_mixed_parts_round_trip_and_stay_in_range(spatial, color, photo):
  height, width = photo.shape[:2]
  param = parameterization.Parameterization(
      parameterization.PixelSpace() if spatial == "pixel"
      else parameterization.FourierSpace(height, width),
      parameterization.DecorrelatedColor() if color == "decorrelated"
      else parameterization.PlainColor())
  images = tf.constant(np.clip(photo[None], 0.01, 0.99))
  back = param.to_images(param.to_parameters(images)).numpy()
  np.testing.assert_allclose(back, images.numpy(), atol=1e-3)
  wild = param.project(param.to_parameters(images) * 40.0)
  out = param.to_images(wild).numpy()
  assert out.min() >= 0 and out.max() <= 1


def test_objective_layers_are_the_union_of_its_terms():
  objective = (objectives.code_distance("block2_conv1")
               + 0.5 * objectives.total_variation()
               + objectives.code_distance("block1_conv1")
               - objectives.code_distance("block2_conv1"))
  assert objective.layers == ("block2_conv1", "block1_conv1")


def test_the_minimizer_builds_the_feature_model_its_objective_reads(
    tiny_backbone, photo):
  objective = objectives.code_distance("block2_conv1")
  minimizer = minimizer_lib.Minimizer.for_objective(
      tiny_backbone, objective,
      optimization.OptimizerConfig(steps=30, tolerance=0.0))
  assert list(minimizer.features.output) == ["block2_conv1"]
  code = minimizer.features(photo[None])["block2_conv1"]
  noise = composition.grey_noise_images(photo.shape, [(0, 0)], 0.1)
  result = minimizer.minimize(noise, {"block2_conv1": code})
  start = objective(minimizer.features(noise), noise,
                    {"block2_conv1": code}).numpy()
  assert result.losses[0] < 0.5 * start[0]

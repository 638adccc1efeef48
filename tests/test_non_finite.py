"""NaN, infinities and numbers too large for float32 are refused as
settings, and a result that went non-finite is an error, never an image."""

import math

import numpy as np
import pytest
import tensorflow as tf

import fmi_tf
from fmi_tf import errors
from fmi_tf.inversion import filters
from fmi_tf.optim import minimizer as minimizer_lib
from fmi_tf.optim import optimization
from fmi_tf.style import reallocation
from fmi_tf.style import stylization

_BAD_NUMBERS = [math.inf, -math.inf, math.nan, 1e308, -1.0]


@pytest.mark.parametrize("value", _BAD_NUMBERS)
@pytest.mark.parametrize("config,field", [
    *((filters.InversionConfig, name) for name in (
        "alpha", "beta", "tv_weight", "l2_weight", "noise_std")),
    *((stylization.StyleConfig, name) for name in (
        "content_weight", "style_weight", "tv_weight", "noise_std")),
    *((reallocation.ReallocationConfig, name) for name in (
        "concentration", "tv_weight", "noise_std")),
    (optimization.OptimizerConfig, "learning_rate"),
    (optimization.OptimizerConfig, "tolerance"),
])
def test_every_float_setting_must_be_finite_and_in_range(config, field,
                                                          value):
  with pytest.raises(errors.ArgumentError):
    config(**{field: value})


@pytest.mark.parametrize("weight", _BAD_NUMBERS)
def test_style_layer_weights_must_be_finite(weight):
  with pytest.raises(errors.ArgumentError, match="style layer block1_conv1"):
    stylization.StyleConfig(style_layers=(("block1_conv1", weight),))


@pytest.mark.parametrize("seed", [-1, 2**31, 2**63, 2**64, 1.5, True])
@pytest.mark.parametrize("config", [filters.InversionConfig,
                                    stylization.StyleConfig])
def test_seeds_must_fit_the_random_ops(config, seed):
  with pytest.raises(errors.ArgumentError, match="seed must be an integer"):
    config(seed=seed)


def test_a_seed_list_beyond_int32_is_refused():
  with pytest.raises(errors.ArgumentError, match="from 0 to 2147483647"):
    reallocation.parse_seeds(f"0,{2**63}")


def test_largest_float32_setting_is_accepted():
  config = filters.InversionConfig(tv_weight=errors.LARGEST_SETTING)
  assert config.tv_weight == errors.LARGEST_SETTING


def test_an_inversion_that_overflows_is_an_error(tiny_backbone, photo,
                                                 tmp_path):
  settings = {"mode": "gain", "alpha": 1e30, "beta": 1e30, "steps": 2,
              "progress": False}
  with pytest.raises(errors.ArgumentError, match="went non-finite"):
    fmi_tf.invert(tiny_backbone, "block1_conv1", filters=[0], image=photo,
                  **settings)
  with pytest.raises(errors.ArgumentError, match="went non-finite"):
    fmi_tf.draw_atlas(tiny_backbone, ["block1_conv1"], str(tmp_path / "a"),
                      image=photo, **settings)
  assert not (tmp_path / "a").exists()


def test_minimize_never_returns_an_infinite_loss(tiny_backbone, photo):
  infinite = fmi_tf.objectives.Objective.of(
      lambda activations, images, targets: tf.reduce_sum(
          images, [1, 2, 3]) * np.inf, "loss/infinite")
  minimizer = minimizer_lib.Minimizer.for_objective(
      tiny_backbone, infinite + fmi_tf.objectives.code_distance(
          "block1_conv1"), optimization.OptimizerConfig(steps=2))
  code = minimizer.features(photo[None])["block1_conv1"]
  with pytest.raises(errors.ArgumentError,
                     match="starting images' loss went non-finite"):
    minimizer.minimize(photo[None], {"block1_conv1": code})

"""The one rule that resolves an inversion's unset settings, and its callers."""

import json

import numpy as np
import pytest

import fmi_tf
from fmi_tf import errors
from fmi_tf.inversion import defaults
from fmi_tf.inversion import filters
from fmi_tf.nets import feature_model
from fmi_tf.optim import optimization
from fmi_tf.optim import parameterization
from tests import tiny_mobilenet
from tests import tool_runs

_FAST = {"steps": 2, "steps_per_call": 2, "tolerance": 0.0}


def _labelled(backbone: feature_model.Backbone,
              network: str) -> feature_model.Backbone:
  return feature_model.Backbone(backbone.model, backbone.covered_layers,
                                backbone.source, network,
                                backbone.preprocessing)


@pytest.fixture(scope="module")
def tiny_as_mobilenet():
  """The tiny network, named as keras.applications' MobileNet."""
  return _labelled(tiny_mobilenet.tiny_backbone(), "mobilenet")


def _settings(resolved: defaults.Resolved) -> tuple:
  config, size, square = resolved
  return (parameterization.name(config.optimizer.param), config.tv_weight,
          size, square)


@pytest.mark.parametrize("network, expected", [
    ("vgg19", ("pixel", 0.0, 128, True)),
    ("vgg16", ("pixel", 0.0, 128, True)),
    ("mine.keras", ("pixel", 0.0, 128, True)),
    ("tiny_mobilenet", ("pixel", 0.0, 128, True)),
    ("mobilenet", ("fourier", 2.0, 224, True)),
    ("resnet50", ("fourier", 2.0, 224, True)),
    ("efficientnet_b0", ("fourier", 2.0, 224, True)),
])
def test_each_network_resolves_its_defaults(tiny_as_mobilenet, network,
                                            expected):
  assert _settings(defaults.resolve(network)) == expected
  assert _settings(defaults.resolve(
      _labelled(tiny_as_mobilenet, network))) == expected


@pytest.mark.parametrize("network", ["vgg19", "mobilenet"])
@pytest.mark.parametrize("settings", [
    {}, {"param": "fourier"}, {"param": "pixel"}, {"tv_weight": 0.5},
    {"param": "fourier", "tv_weight": 0.0, "steps": 3}])
def test_no_config_and_the_default_config_resolve_alike(network, settings):
  assert defaults.resolve(network, **settings) == defaults.resolve(
      network, config=filters.InversionConfig(), **settings)


def test_fourier_brings_its_prior_unless_one_is_given():
  fourier = optimization.OptimizerConfig(param="fourier")
  assert defaults.resolve("vgg19", param="fourier").config.tv_weight > 0
  assert defaults.resolve("vgg19", config=filters.InversionConfig(
      optimizer=fourier)).config.tv_weight > 0
  for given in ({"tv_weight": 0.0},
                {"config": filters.InversionConfig(tv_weight=0.0)},
                {"config": filters.InversionConfig(tv_weight=0.0,
                                                   optimizer=fourier)}):
    assert defaults.resolve("vgg19", param="fourier",
                            **given).config.tv_weight == 0.0, given
  assert defaults.resolve("mobilenet", tv_weight=0.0).config.tv_weight == 0.0
  assert defaults.resolve("vgg19", param=parameterization.fourier
                          ).config.tv_weight == 0.0  # a user's own


def test_what_the_caller_gives_stands(tiny_as_mobilenet):
  config = filters.InversionConfig(
      alpha=3.0, tv_weight=1.0,
      optimizer=optimization.OptimizerConfig(steps=7, param="pixel"))
  resolved, size, square = defaults.resolve(tiny_as_mobilenet, 40, False,
                                            config, steps=3, tv_weight=None)
  assert (resolved.alpha, resolved.tv_weight, resolved.optimizer.steps,
          resolved.optimizer.param, size, square) == (
              3.0, 1.0, 3, "pixel", 40, False)
  assert defaults.resolve(tiny_as_mobilenet, config=resolved, size=40,
                          square=False) == (resolved, 40, False)


@pytest.mark.parametrize("kwargs, match", [
    ({"alfa": 1.0}, "unknown setting 'alfa'"),
    ({"tv_weight": -1.0}, "tv_weight"),
    ({"param": "lucid"}, "param"),
    ({"size": 0}, "size"),
    ({"square": "yes"}, "square"),
    ({"config": optimization.OptimizerConfig()}, "config must be"),
])
def test_bad_settings_are_refused(kwargs, match):
  with pytest.raises(errors.ArgumentError, match=match):
    defaults.resolve("vgg19", **kwargs)


def test_the_photo_is_square_unless_told_otherwise(tiny_backbone):
  def shape(**kwargs):
    result = fmi_tf.invert(tiny_backbone, "block1_conv1", [0], size=48,
                           steps=1, progress=False, **kwargs)
    assert result.records[0].run.square == (kwargs.get("square") is not False)
    return result.images.shape[1:3]

  assert shape() == (48, 48)
  assert shape(square=True) == (48, 48)
  height, width = shape(square=False)  # The embedded photo is landscape.
  assert width == 48 and height < width


def test_invert_uses_the_networks_defaults_unless_given(tiny_as_mobilenet):
  def record(**kwargs):
    result = fmi_tf.invert(tiny_as_mobilenet, "pw_relu", [0], steps=1,
                           progress=False, **kwargs)
    parameters = result.records[0].run.parameters
    return (max(result.images.shape[1:3]), result.records[0].run.size,
            parameters["param"], parameters["tv_weight"])

  assert record() == (224, 224, "fourier", 2.0)
  assert record(config=filters.InversionConfig()) == record()
  assert record(size=32, param="pixel") == (32, 32, "pixel", 0.0)
  assert record(size=32, tv_weight=0.0) == (32, 32, "fourier", 0.0)


# (size, keyword settings) the entry points are given alike.
_CASES = [(None, {}), (32, {"param": "fourier"}),
          (32, {"param": "fourier", "tv_weight": 0.0, "square": False})]


def _run_settings(record: dict) -> tuple:
  return record["size"], record["square"], record["parameters"]


@pytest.mark.parametrize("size, settings", _CASES)
def test_invert_and_draw_atlas_resolve_alike(tiny_keras, tmp_path, size,
                                             settings):
  expected = defaults.resolve(tiny_keras, size, **{**_FAST, **settings})
  result = fmi_tf.invert(tiny_keras, "block1_conv1", [0], size=size,
                         progress=False, **_FAST, **settings)
  fmi_tf.draw_atlas(tiny_keras, "block1_conv1", str(tmp_path), size=size,
                    progress=False, **_FAST, **settings)
  written = json.loads((tmp_path / "block1_conv1_0000.json").read_text())
  assert _run_settings(result.records[0].to_dict()) == _run_settings(
      written) == (
      expected.size, expected.square, expected.config.record())


@pytest.mark.beam
@pytest.mark.parametrize("size, settings", _CASES)
def test_the_beam_atlas_resolves_as_draw_atlas(tiny_keras, tmp_path, size,
                                               settings):
  from fmi_tf.beam import atlas  # pylint: disable=g-import-not-at-top
  plan = atlas.plan_atlas(tiny_keras, "block1_conv1", str(tmp_path),
                          size=size, **_FAST, **settings)
  assert (plan.config, plan.size, plan.square) == defaults.resolve(
      tiny_keras, size, **{**_FAST, **settings})


def test_fourier_with_its_prior_raises_the_filters_share_and_smooths(
    tiny_backbone, photo):
  def invert(**settings):
    return fmi_tf.invert(tiny_backbone, "block2_conv1", [0, 1, 2, 3],
                         image=photo, progress=False, param="fourier",
                         steps=100, steps_per_call=50, tolerance=0.0,
                         **settings)

  brought, bare = invert(), invert(tv_weight=0.0)
  gains = [r["energy_share_gain"] for r in brought.records]
  assert np.median(gains) > 1.5, gains

  def roughness(images):
    return np.mean(np.abs(np.diff(images, axis=2)))

  assert roughness(brought.images) < roughness(bare.images)


@pytest.mark.slow
@pytest.mark.parametrize("flags, expected, logged", [
    (["--param=fourier"], 2.0, "--tv_weight=2 (the defaults of "
     "--param=fourier)"),
    (["--param=fourier", "--tv_weight=0"], 0.0, None),
    ([], 0.0, None),
])
def test_invert_tool_applies_records_and_logs_the_defaults(
    tiny_keras, tmp_path, flags, expected, logged):
  process = tool_runs.run_tool(
      "fmi-invert", f"--model={tiny_keras}", "--layer=block1_conv1",
      "--filters=0", "--size=16", "--steps=2", f"--out={tmp_path}", *flags)
  assert process.returncode == 0, process.stderr
  record = json.loads((tmp_path / "block1_conv1_0000.json").read_text())
  assert record["parameters"]["tv_weight"] == expected
  assert ("(the defaults of --param" in process.stderr) == (
      logged is not None)
  if logged:
    assert logged in process.stderr

"""The settings a parameterisation brings: applied, recorded, overridden."""

import json

import numpy as np
import pytest

import fmi_tf
from fmi_tf.inversion import filters
from fmi_tf.inversion import param_defaults
from fmi_tf.optim import optimization
from fmi_tf.optim import parameterization
from tests import tool_runs

_FAST = {"steps": 4, "steps_per_call": 2, "tolerance": 0.0}


def test_only_fourier_brings_settings():
  assert param_defaults.of("pixel") == {}
  assert param_defaults.of(parameterization.fourier) == {}
  assert param_defaults.of("fourier") == param_defaults.FOURIER
  assert param_defaults.FOURIER["tv_weight"] > 0


def test_fill_keeps_what_the_caller_gave():
  fill = param_defaults.fill
  assert fill({"param": "fourier", "steps": 3}, config_given=False) == {
      **param_defaults.FOURIER, "param": "fourier", "steps": 3}
  assert fill({"param": "fourier", "tv_weight": 0.0},
              config_given=False)["tv_weight"] == 0.0
  assert fill({"steps": 3}, config_given=False) == {"steps": 3}
  assert fill({"param": "fourier"}, config_given=True) == {"param": "fourier"}


def _recorded_tv_weight(backbone, photo, **settings):
  result = fmi_tf.invert(backbone, "block2_conv1", [0], image=photo,
                         progress=False, **{**_FAST, **settings})
  return result.records[0].run.parameters["tv_weight"]


def test_invert_applies_and_records_the_defaults_unless_given(tiny_backbone,
                                                              photo):
  brought = param_defaults.FOURIER["tv_weight"]
  assert _recorded_tv_weight(tiny_backbone, photo, param="fourier") == brought
  assert _recorded_tv_weight(tiny_backbone, photo) == 0.0
  assert _recorded_tv_weight(tiny_backbone, photo, param="fourier",
                             tv_weight=0.5) == 0.5
  assert _recorded_tv_weight(
      tiny_backbone, photo, param="fourier",
      config=filters.InversionConfig()) == 0.0


def test_fourier_keeps_the_loops_early_stop_unless_given(tiny_backbone,
                                                         photo):
  def parameters(**settings):
    result = fmi_tf.invert(tiny_backbone, "block2_conv1", [0], image=photo,
                           progress=False, steps=4, param="fourier",
                           **settings)
    return result.records[0].run.parameters

  defaults = optimization.OptimizerConfig()
  recorded = parameters()
  assert (recorded["steps_per_call"], recorded["tolerance"],
          recorded["patience"]) == (defaults.steps_per_call,
                                    defaults.tolerance, defaults.patience)
  given = parameters(steps_per_call=2, tolerance=0.5)
  assert (given["steps_per_call"], given["tolerance"]) == (2, 0.5)


def test_draw_atlas_applies_the_defaults(tiny_backbone, photo, tmp_path):
  fmi_tf.draw_atlas(tiny_backbone, "block1_conv1", str(tmp_path), photo,
                    progress=False, param="fourier", **_FAST)
  record = json.loads((tmp_path / "block1_conv1_0000.json").read_text())
  assert record["parameters"]["tv_weight"] == (
      param_defaults.FOURIER["tv_weight"])


def test_fourier_with_its_defaults_raises_the_filters_share_and_smooths(
    tiny_backbone, photo):
  def invert(**settings):
    return fmi_tf.invert(tiny_backbone, "block2_conv1", [0, 1, 2, 3],
                         image=photo, progress=False, param="fourier",
                         steps=100, steps_per_call=50, tolerance=0.0,
                         **settings)

  brought, bare = invert(), invert(tv_weight=0.0)
  gains = [r.energy_share_gain for r in brought.records]
  assert np.median(gains) > 1.5, gains

  def roughness(images):
    return np.mean(np.abs(np.diff(images, axis=2)))

  assert roughness(brought.images) < roughness(bare.images)


@pytest.fixture(scope="module")
def block1_weights(tmp_path_factory):
  """VGG19-shaped weights (random) covering block1_conv1 only."""
  return tool_runs.random_vgg19_weights(
      str(tmp_path_factory.mktemp("weights") / "block1.h5"), ["block1_conv1"])


@pytest.mark.slow
@pytest.mark.parametrize("flags,expected", [
    (["--param=fourier"], param_defaults.FOURIER["tv_weight"]),
    (["--param=fourier", "--tv_weight=0"], 0.0),
    ([], 0.0),
])
def test_invert_tool_applies_records_and_logs_the_defaults(
    block1_weights, tmp_path, flags, expected):
  process = tool_runs.run_tool(
      "fmi-invert", "--layer=block1_conv1", "--filters=0", "--size=16",
      "--steps=2", f"--weights={block1_weights}", f"--out={tmp_path}",
      *flags)
  assert process.returncode == 0, process.stderr
  record = json.loads((tmp_path / "block1_conv1_0000.json").read_text())
  assert record["parameters"]["tv_weight"] == expected
  logged = f"--tv_weight={expected:g} (the defaults of --param=fourier)"
  assert (logged in process.stderr) == (flags == ["--param=fourier"])

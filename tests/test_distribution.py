"""Distributed inversion gives the single-device results.

Logical devices must be configured before TensorFlow initialises its devices,
so the distributed run is a subprocess (`logical_devices_main` below) that
writes .npy files; the test compares them with a single-device run in the
test process.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from fmi_tf import errors
from fmi_tf.inversion import distribution
from fmi_tf.inversion import defaults
from fmi_tf.inversion import filter_result
from fmi_tf.inversion import filters
from fmi_tf.optim import optimization
from fmi_tf.io import images
from tests import tiny_vgg

_LAYER = "block2_conv1"
_FILTERS = list(range(6))
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _config() -> filters.InversionConfig:
  return defaults.resolve("vgg19", config=filters.InversionConfig(
      batch_size=2, seed=7, optimizer=optimization.OptimizerConfig(
          steps=30, steps_per_call=10, tolerance=0.0))).config


def _invert_all(strategy) -> list[filter_result.FilterResult]:
  """The filters, inverted on the strategy's replicas, in order."""
  inverter = distribution.DistributedInverter(
      tiny_vgg.tiny_backbone(), _LAYER, _config(), strategy)
  return sorted(inverter.invert(images.fit_photo(None, 32, square=True),
                                _FILTERS),
                key=lambda r: r.filter)


def logical_devices_main(out_dir: str) -> None:
  """Inverts under MirroredStrategy on 2 logical CPUs."""
  cpu = tf.config.list_physical_devices("CPU")[0]
  tf.config.set_logical_device_configuration(
      cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
  strategy = distribution.make_strategy("mirrored")
  results = _invert_all(strategy)
  np.save(os.path.join(out_dir, "filters.npy"), [r.filter for r in results])
  np.save(os.path.join(out_dir, "images.npy"), [r.image for r in results])
  with open(os.path.join(out_dir, "devices.json"), "w") as f:
    json.dump(distribution.replica_devices(strategy), f)


def _launch(main: str, out_dir) -> subprocess.Popen:
  env = {**os.environ, "PYTHONPATH": _ROOT, "CUDA_VISIBLE_DEVICES": ""}
  code = f"from tests import test_distribution as t; t.{main}({str(out_dir)!r})"
  return subprocess.Popen([sys.executable, "-c", code], cwd=_ROOT, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)


def _finish(process: subprocess.Popen) -> None:
  try:
    _, stderr = process.communicate(timeout=240)
  except subprocess.TimeoutExpired:
    process.kill()
    raise
  assert process.returncode == 0, stderr[-3000:]


@pytest.fixture(scope="module")
def single_device_images(tiny_backbone, photo):
  inverter = filters.FilterInverter(tiny_backbone, _LAYER, _config())
  return np.stack([r.image for r in inverter.invert(photo, _FILTERS)])


@pytest.mark.slow
def test_two_logical_devices_match_one_device(tmp_path,
                                              single_device_images):
  _finish(_launch("logical_devices_main", tmp_path))
  devices = json.loads((tmp_path / "devices.json").read_text())
  assert [d.split(":")[-2:] for d in devices] == [["CPU", "0"], ["CPU", "1"]]
  assert list(np.load(tmp_path / "filters.npy")) == _FILTERS
  np.testing.assert_allclose(np.load(tmp_path / "images.npy"),
                             single_device_images, atol=2e-3)


def test_records_of_a_distributed_layer_name_its_network(tiny_backbone):
  inverter = distribution.DistributedInverter(
      tiny_backbone, "relu2_1", _config(),
      distribution.make_strategy("default"))
  assert inverter.layer == "block2_conv1"
  assert inverter.layer_record["layer_index"] == tiny_backbone.depth("conv2_1")
  assert inverter.layer_record["network"]["network"] == "vgg19"
  assert inverter.layer_record["network"]["weights"] == tiny_backbone.source


@pytest.mark.parametrize("items,count,expected", [
    (list(range(5)), 2, [[0, 1, 2], [3, 4]]),
    (list(range(2)), 3, [[0], [1], []]),
    ([], 2, [[], []])])
def test_contiguous_slices_cover_in_order(items, count, expected):
  assert distribution.contiguous_slices(items, count) == expected


def test_no_distribution_is_no_device():
  strategy = distribution.make_strategy("default")
  assert distribution.replica_devices(strategy) == [None]


@pytest.mark.parametrize("kind", ["tpu", "multi_worker"])
def test_unknown_strategy_is_refused(kind):
  with pytest.raises(errors.ArgumentError, match="strategy must be one of"):
    distribution.make_strategy(kind)

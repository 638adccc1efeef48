"""Distributed inversion gives the single-device results.

Logical devices must be configured before TensorFlow initialises its devices,
and a multi-worker strategy owns its process, so each distributed run is a
subprocess (the `*_main` functions below) that writes .npy files; the test
compares their union with a single-device run in the test process.
"""

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from fmi_tf import errors
from fmi_tf.inversion import distribution
from fmi_tf.inversion import filters
from fmi_tf.optim import optimization
from fmi_tf.io import images
from tests import tiny_vgg

_LAYER = "block2_conv1"
_FILTERS = list(range(6))
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _config() -> filters.InversionConfig:
  return filters.InversionConfig(
      batch_size=2, seed=7, optimizer=optimization.OptimizerConfig(
          steps=30, steps_per_call=10, tolerance=0.0))


def _invert_share(strategy) -> list[filters.FilterResult]:
  """This worker's share of the filters, inverted on its replicas, in order."""
  mine = distribution.worker_share(strategy, _FILTERS)
  if not mine:
    return []
  inverter = distribution.DistributedInverter(
      tiny_vgg.tiny_backbone(), _LAYER, _config(), strategy)
  return sorted(inverter.invert(images.load_image(None, 32), mine),
                key=lambda r: r.filter)


def logical_devices_main(out_dir: str) -> None:
  """Inverts under MirroredStrategy on 2 logical CPUs."""
  cpu = tf.config.list_physical_devices("CPU")[0]
  tf.config.set_logical_device_configuration(
      cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
  strategy = distribution.make_strategy("mirrored")
  results = _invert_share(strategy)
  np.save(os.path.join(out_dir, "filters.npy"), [r.filter for r in results])
  np.save(os.path.join(out_dir, "images.npy"), [r.image for r in results])
  with open(os.path.join(out_dir, "devices.json"), "w") as f:
    json.dump(distribution.replica_devices(strategy), f)


def worker_main(out_dir: str) -> None:
  """Inverts this worker's share under MultiWorkerMirroredStrategy."""
  strategy = distribution.make_strategy("multi_worker")
  index, count = distribution.worker_position(strategy)
  results = _invert_share(strategy)
  np.save(os.path.join(out_dir, f"filters_{index}_of_{count}.npy"),
          [r.filter for r in results])
  np.save(os.path.join(out_dir, f"images_{index}_of_{count}.npy"),
          [r.image for r in results])


def _launch(main: str, out_dir, tf_config=None) -> subprocess.Popen:
  env = {**os.environ, "PYTHONPATH": _ROOT, "CUDA_VISIBLE_DEVICES": ""}
  env.pop("TF_CONFIG", None)
  if tf_config:
    env["TF_CONFIG"] = json.dumps(tf_config)
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


def _free_loopback_ports(count: int) -> list[int]:
  sockets = [socket.socket() for _ in range(count)]
  for s in sockets:
    s.bind(("127.0.0.1", 0))
  ports = [s.getsockname()[1] for s in sockets]
  for s in sockets:
    s.close()
  return ports


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


@pytest.mark.slow
def test_two_workers_share_the_filters_and_match_one_process(
    tmp_path, single_device_images):
  ports = _free_loopback_ports(2)
  cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
  workers = [_launch("worker_main", tmp_path,
                     {"cluster": cluster, "task": {"type": "worker",
                                                   "index": i}})
             for i in range(2)]
  for process in workers:
    _finish(process)
  shares = [list(np.load(tmp_path / f"filters_{i}_of_2.npy"))
            for i in range(2)]
  assert shares[0] and shares[1]
  assert shares[0] + shares[1] == _FILTERS
  union = np.concatenate([np.load(tmp_path / f"images_{i}_of_2.npy")
                          for i in range(2)])
  np.testing.assert_allclose(union, single_device_images, atol=2e-3)


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


def test_no_distribution_is_one_worker_on_no_device():
  strategy = distribution.make_strategy("default")
  assert distribution.worker_position(strategy) == (0, 1)
  assert distribution.replica_devices(strategy) == [None]


def test_unknown_strategy_and_missing_tf_config_are_refused(monkeypatch):
  with pytest.raises(errors.ArgumentError, match="strategy must be one of"):
    distribution.make_strategy("tpu")
  monkeypatch.delenv("TF_CONFIG", raising=False)
  with pytest.raises(errors.ArgumentError, match="TF_CONFIG"):
    distribution.make_strategy("multi_worker")

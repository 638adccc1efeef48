"""Training from a descriptor cache at a URL that the Beam encoder filled.

`fmi-texture-encode-beam` writes the cache's shards to a bucket of a local
S3-compatible server (moto's, on 127.0.0.1; `tests.s3_server`);
`fmi_tf.train_texture_classifier` and `fmi-texture-train` read them from
the URL, encoding nothing, and fit the classifier the local copy gives. A
URL cache of another network, image size or encoder is refused in one line.
Marked `beam`: skipped without `moto[server]` or the [beam] extra.
"""

import json
import os

import numpy as np
import pytest

from fmi_tf import datasets
from fmi_tf import errors
from fmi_tf.io import storage
from fmi_tf.nets import networks
from fmi_tf.recognition import training
from tests import noise_folders
from tests import tiny_vgg
from tests import tool_runs

pytestmark = pytest.mark.beam

_SIZES = {"image_size": 16}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
  """Eight 30 x 36 noise pictures of two classes, dark and bright."""
  return noise_folders.noise_classes(tmp_path_factory.mktemp("data"),
                                     {"dark": 4, "bright": 4})


@pytest.fixture(scope="module")
def encoded(s3_server, tiny_keras, folder):
  """The URL of the tiny network's energy cache, written by the Beam tool."""
  url = s3_server.bucket("cache") + "/tiny"
  process = tool_runs.run_tool(
      "fmi-texture-encode-beam", f"--model={tiny_keras}",
      f"--dataset=folder:{folder}", "--encoders=energy",
      "--image_size=16", "--test_fraction=0.5", "--images_per_item=3",
      f"--cache_dir={url}", *s3_server.pipeline_args)
  assert process.returncode == 0, process.stderr
  storage.configure(s3_server.pipeline_args)
  return url


def _train(net, folder, cache_dir, **options):
  return training.train_texture_classifier(
      net, datasets.DatasetSpec(f"folder:{folder}", test_fraction=0.5),
      "energy", cache_dir=cache_dir,
      **{**_SIZES, **options})


@pytest.mark.slow
def test_training_from_the_url_is_training_from_its_local_copy(
    s3_server, encoded, tiny_keras, folder, tmp_path):
  objects = s3_server.objects("cache", "tiny/")
  assert any(n.endswith("-of-00004.npz") for n in objects)
  local = tmp_path / "cache"
  local.mkdir()
  for name, data in objects.items():
    (local / name).write_bytes(data)
  net = networks.load(tiny_keras)
  remote = _train(net, folder, encoded)
  copied = _train(net, folder, str(local))
  assert remote.report["timings"]["encode_seconds"] == 0  # all read
  assert copied.report["timings"]["encode_seconds"] == 0
  assert remote.accuracy == copied.accuracy
  assert remote.report["confusion_matrix"] == copied.report[
      "confusion_matrix"]
  images = np.random.default_rng(1).uniform(0, 1, (3, 16, 16, 3))
  np.testing.assert_allclose(remote.probabilities(images),
                             copied.probabilities(images), atol=1e-6)
  assert s3_server.objects("cache", "tiny/") == objects  # nothing written

  out = tmp_path / "run"
  process = tool_runs.run_tool(
      "fmi-texture-train", f"--model={tiny_keras}",
      f"--dataset=folder:{folder}", "--encoder=energy", "--image_size=16",
      "--test_fraction=0.5", f"--cache_dir={encoded}", f"--out={out}",
      *s3_server.pipeline_args)
  assert process.returncode == 0, process.stderr
  report = json.loads((out / training.REPORT_FILE).read_text())
  assert report["accuracy"] == remote.accuracy
  assert report["timings"]["encode_seconds"] == 0


@pytest.mark.slow
@pytest.mark.parametrize("case,phrase", [
    ("another network", "its network is"),
    ("another image size", "its image_size is 16, this run's 24"),
    ("another encoder", "its statistic is"),
    ("no cache", "no descriptor cache")])
def test_a_url_cache_of_other_settings_is_refused(
    case, phrase, s3_server, encoded, tiny_keras, folder, tmp_path):
  net, options, url = networks.load(tiny_keras), {}, encoded
  if case == "another network":
    other = str(tmp_path / "other.keras")
    tiny_vgg.tiny_vgg19_model(seed=1).save(other)
    net = networks.load(other)
  elif case == "another image size":
    options = {"image_size": 24}
  elif case == "another encoder":
    options = {"encoder": "gram"}
  else:
    url = s3_server.bucket("empty-cache") + "/tiny"
  with pytest.raises(errors.ArgumentError, match=(
      f"cache directory {url} holds .*{phrase}")):
    training.train_texture_classifier(
        net, datasets.DatasetSpec(f"folder:{folder}", test_fraction=0.5),
        cache_dir=url, out=str(tmp_path / "out"),
        **{"encoder": "energy", **_SIZES, **options})
  assert not os.path.exists(tmp_path / "out")


@pytest.mark.slow
def test_the_tool_refuses_a_url_cache_of_other_settings_in_one_line(
    s3_server, encoded, tiny_keras, folder, tmp_path):
  process = tool_runs.run_tool(
      "fmi-texture-train", f"--model={tiny_keras}",
      f"--dataset=folder:{folder}", "--encoder=energy", "--image_size=24",
      "--test_fraction=0.5", f"--cache_dir={encoded}",
      f"--out={tmp_path}/run", *s3_server.pipeline_args)
  tool_runs.assert_one_line_error(
      process, "fmi-texture-train",
      f"cache directory {encoded} holds descriptors of other settings: its "
      "image_size is 16, this run's 24")
  assert not os.path.exists(tmp_path / "run")
  stray = tool_runs.run_tool(
      "fmi-texture-train", f"--model={tiny_keras}",
      f"--dataset=folder:{folder}", f"--cache_dir={tmp_path}/cache",
      f"--out={tmp_path}/run", "--s3_endpoint_url=http://127.0.0.1:9")
  tool_runs.assert_one_line_error(stray, "fmi-texture-train",
                                  "unexpected arguments: --s3_endpoint_url")

"""Texture training and evaluation on bad input: refused before any work,
outputs whole or absent, a corrupt cache encoded again."""

import errno
import logging
import math
import os

import keras
import numpy as np
from PIL import Image
import pytest

from fmi_tf import datasets
from fmi_tf import errors
from fmi_tf.recognition import classifier as linear
from fmi_tf.recognition import comparison
from fmi_tf.recognition import encoder
from fmi_tf.recognition import encoder_config
from fmi_tf.recognition import memory
from fmi_tf.io import directories
from fmi_tf.recognition import trained_model
from fmi_tf.recognition import training
from tests import hostile_images
from tests import tool_runs


def _stripes(root, classes=("fine", "wide"), count=4, size=20):
  """Images of stripes, fine or wide, in <root>/<class>/."""
  for period, name in zip((2, 8), classes):
    os.makedirs(root / name, exist_ok=True)
    for i in range(count):
      x = (np.arange(size) + i) // (period // 2) % 2
      pixels = np.repeat(np.tile(x, (size, 1))[..., None] * 255, 3, -1)
      Image.fromarray(pixels.astype(np.uint8)).save(root / name / f"{i}.png")
  return f"folder:{root}"


class _NoEncoding:
  """A progress factory failing the test if any image gets encoded."""

  def __init__(self, *args, **kwargs):
    raise AssertionError("images were encoded before the input was checked")


def _train(net, dataset, out, **options):
  """Trains on a spec split in halves (or with the split settings given)."""
  split = {name: options.pop(name) for name in ("seed", "test_fraction")
           if name in options}
  return training.train_texture_classifier(
      net, datasets.DatasetSpec(dataset, **{"test_fraction": 0.5, **split}),
      options.pop("encoder", "energy"),
      image_size=options.pop("image_size", 16), out=out, **options)


@pytest.mark.parametrize("options,phrase", [
    ({"C": math.nan}, "C must be a finite positive number"),
    ({"C": math.inf}, "C must be a finite positive number"),
    ({"C": 0.0}, "C must be a finite positive number"),
    ({"method": "tree"}, "classifier must be one of"),
    ({"image_size": 0}, "image_size must be an integer from 1 to 4096"),
    ({"batch_size": 0}, "batch_size must be an integer from 1 to 4096"),
    ({"seed": -1}, "seed must be an integer from 0 to"),
    ({"test_fraction": math.nan}, "test_fraction must be a number in"),
    ({"encoder": encoder_config.EncoderConfig(scales=(1000.0,))},
     "GB of memory is available"),
    ({"encoder": encoder_config.EncoderConfig(scales=(0.25,))},
     "need at least 16 px"),
])
def test_bad_numbers_are_refused_before_any_work(tiny_backbone, tmp_path,
                                                 options, phrase):
  dataset = _stripes(tmp_path / "data")
  with pytest.raises(errors.ArgumentError) as raised:
    _train(tiny_backbone, dataset, str(tmp_path / "out"),
           progress=_NoEncoding, **options)
  assert phrase in str(raised.value) and "\n" not in str(raised.value)
  assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("scales", [(math.nan,), (math.inf,), (1.0, -2.0),
                                    (0.0,), ()])
def test_encoder_scales_must_be_finite_and_positive(scales):
  with pytest.raises(errors.ArgumentError, match="finite positive factors"):
    encoder_config.EncoderConfig(scales=scales)


def test_the_memory_estimate_grows_with_the_scale_squared(tiny_backbone,
                                                          monkeypatch):
  one = memory.encoding_bytes(tiny_backbone, 1.0, 64, 4)
  assert memory.encoding_bytes(tiny_backbone, 2.0, 64, 4) == 4 * one
  assert memory.encoding_bytes(tiny_backbone, 1.0, 64, 8) == 2 * one
  # Tiny VGG's first layer has 4 channels: 4 x (3 + 2 x 4) bytes a pixel.
  assert one == 4 * 64 * 64 * 4 * (3 + 2 * 4)
  assert 0 < memory.available_bytes()
  monkeypatch.setattr(memory, "available_bytes", lambda: 10 * one)
  memory.check_encoding(tiny_backbone, [1.0, 3.0], 64, 4)
  with pytest.raises(errors.ArgumentError, match="at scale 4 "):
    memory.check_encoding(tiny_backbone, [1.0, 4.0], 64, 4)


def test_the_smallest_image_size_follows_the_deepest_layer(tiny_backbone):
  assert encoder.smallest_image_size(tiny_backbone, ["block1_conv1"]) == 1
  assert encoder.smallest_image_size(tiny_backbone, ["block3_conv1"]) == 4
  assert encoder.smallest_image_size(tiny_backbone, ["block5_conv1"]) == 16


def test_a_run_refused_after_encoding_leaves_no_output(tiny_backbone,
                                                       tmp_path):
  dataset = _stripes(tmp_path / "data")
  for name in os.listdir(tmp_path / "data" / "wide"):
    (tmp_path / "data" / "wide" / name).write_bytes(b"\x89PNG broken")
  with pytest.raises(errors.ArgumentError, match="at least 2 classes"):
    _train(tiny_backbone, dataset, str(tmp_path / "out" / "run"))
  assert not (tmp_path / "out").exists()


def test_a_bomb_in_a_dataset_is_skipped_and_counted(tiny_backbone, tmp_path):
  dataset = _stripes(tmp_path / "data", count=5)
  (tmp_path / "data" / "fine" / "2.png").write_bytes(
      hostile_images.bomb_png())
  report = _train(tiny_backbone, dataset, None).report
  assert report["skipped_images"] == ["fine/2.png"]
  assert report["train_images"] + report["test_images"] == 9


def test_an_output_under_a_regular_file_is_refused_before_work(
    tiny_backbone, tmp_path):
  dataset = _stripes(tmp_path / "data")
  (tmp_path / "file").write_text("")
  with pytest.raises(errors.OutputError, match="is not a directory"):
    _train(tiny_backbone, dataset, str(tmp_path / "file" / "out"),
           progress=_NoEncoding)
  with pytest.raises(errors.OutputError, match="is not a directory"):
    comparison.evaluate_texture_encoders(
        tiny_backbone, datasets.DatasetSpec(dataset, test_fraction=0.5),
        ["energy"], folds=1, image_size=16,
        report_dir=str(tmp_path / "file" / "report"), progress=_NoEncoding)


def _failing_save_weights(self, path, *args, **kwargs):
  """Writes a partial weights file, then fails as a full disk does."""
  del self, args, kwargs
  with open(path, "wb") as f:
    f.write(b"\x89HDF")
  raise OSError(errno.ENOSPC, "No space left on device", path)


def _tree(root):
  return {os.path.relpath(os.path.join(d, f), root): open(
      os.path.join(d, f), "rb").read() for d, _, files in os.walk(root)
          for f in files}


def test_a_full_disk_while_saving_leaves_nothing(tiny_backbone, tmp_path,
                                                 monkeypatch):
  dataset = _stripes(tmp_path / "data")
  classifier = _train(tiny_backbone, dataset, None)
  monkeypatch.setattr(keras.Model, "save_weights", _failing_save_weights)
  with pytest.raises(errors.OutputError) as raised:
    classifier.save(str(tmp_path / "out"))
  assert "No space left on device" in str(raised.value)
  assert "\n" not in str(raised.value)
  assert os.listdir(tmp_path) == ["data"]
  with pytest.raises(errors.OutputError):
    trained_model.save(str(tmp_path / "model"), classifier.model)
  assert os.listdir(tmp_path) == ["data"]
  monkeypatch.undo()
  classifier.save(str(tmp_path / "out"))
  before = _tree(tmp_path / "out")
  assert set(os.listdir(tmp_path / "out" / "model")) == {
      "encoder.json", "encoder.weights.h5", "classifier.npz"}
  monkeypatch.setattr(keras.Model, "save_weights", _failing_save_weights)
  with pytest.raises(errors.OutputError):
    classifier.save(str(tmp_path / "out"))
  assert _tree(tmp_path / "out") == before
  assert sorted(os.listdir(tmp_path)) == ["data", "out"]


def test_a_rerun_replaces_the_model_directory_whole(tiny_backbone, tmp_path):
  dataset = _stripes(tmp_path / "data")
  out = str(tmp_path / "out")
  _train(tiny_backbone, dataset, out)
  (tmp_path / "out" / "model" / "stale.txt").write_text("old")
  (tmp_path / "out" / "notes.txt").write_text("mine")
  again = _train(tiny_backbone, dataset, out, C=1.0)
  assert set(os.listdir(tmp_path / "out" / "model")) == {
      "encoder.json", "encoder.weights.h5", "classifier.npz"}
  assert (tmp_path / "out" / "notes.txt").read_text() == "mine"
  loaded = linear.LinearClassifier.load(os.path.join(out, "model"))
  np.testing.assert_array_equal(loaded.weights,
                                again.model.classifier.weights)
  assert not [n for n in os.listdir(tmp_path) if n.endswith(".part")]


def test_check_makes_nothing(tmp_path):
  assert directories.check(str(tmp_path / "a" / "b")) == str(
      tmp_path / "a" / "b")
  assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("damage", [
    lambda path: path.write_bytes(b"garbage, not a zip"),
    lambda path: path.write_bytes(path.read_bytes()[:40]),
    lambda path: np.savez(path, names=np.asarray(["a"]), labels=[0, 1],
                          values=np.zeros((3, 2))),
    lambda path: np.savez(path, other=np.zeros(2)),
])
def test_a_corrupt_descriptor_cache_is_encoded_again(tiny_backbone, tmp_path,
                                                     caplog, damage):
  dataset = _stripes(tmp_path / "data")
  cache = tmp_path / "cache"
  first = _train(tiny_backbone, dataset, None, cache_dir=str(cache))
  files = sorted(cache.glob("*.npz"))
  assert files
  for path in files:
    damage(path)
  caplog.set_level(logging.WARNING)
  again = _train(tiny_backbone, dataset, None, cache_dir=str(cache))
  assert again.report["confusion_matrix"] == first.report[
      "confusion_matrix"]
  assert again.report["timings"]["encode_seconds"] > 0
  warned = [r.getMessage() for r in caplog.records if "corrupt" in
            r.getMessage()]
  assert len(warned) == len(files), warned
  assert all("encoded again" in message for message in warned)
  caplog.clear()
  third = _train(tiny_backbone, dataset, None, cache_dir=str(cache))
  assert third.report["timings"]["encode_seconds"] == 0
  assert not [r for r in caplog.records if "corrupt" in r.getMessage()]


@pytest.mark.slow
@pytest.mark.parametrize("flag,phrase", [
    ("--C=nan", "--C=nan: must be a finite number"),
    ("--test_fraction=nan", "--test_fraction=nan: must be a finite number"),
    ("--scales=nan", "--scales must be finite positive numbers"),
    ("--scales=1000", "GB of memory is available"),
    ("--seed=-5", "--seed=-5"),
    ("--out=FILE/out", "is not a directory"),
])
def test_texture_train_refuses_in_one_line_and_writes_nothing(
    tiny_keras, tmp_path, flag, phrase):
  dataset = _stripes(tmp_path / "data")
  (tmp_path / "FILE").write_text("")
  out_flag = [] if flag.startswith("--out") else [f"--out={tmp_path}/out"]
  finished = tool_runs.run_tool(
      "fmi-texture-train", f"--dataset={dataset}", f"--model={tiny_keras}",
      "--image_size=16", *out_flag, flag.replace("FILE", f"{tmp_path}/FILE"))
  tool_runs.assert_one_line_error(finished, "fmi-texture-train", phrase)
  assert sorted(os.listdir(tmp_path)) == ["FILE", "data"]

"""SavedModel export: fresh-process reload, signatures, versions, errors."""

import io
import json
import os
import subprocess
import sys

import numpy as np
from PIL import Image
import pytest
import tensorflow as tf

from fmi_tf import errors
from fmi_tf.recognition import classifier
from fmi_tf.recognition import encoder
from fmi_tf.recognition import trained_model
from fmi_tf.serving import export

CLASSES = ("banded", "dotted", "striped")
SIZE = 24

RELOAD = """
import json, sys
import tensorflow as tf
model = tf.saved_model.load(sys.argv[1])
with open(sys.argv[2], "rb") as f:
  request = json.load(f)
image_bytes = tf.constant([bytes.fromhex(h) for h in request["bytes"]])
images = tf.constant(request["uint8"], tf.uint8)
answer = {
    "serving_default": model.signatures["serving_default"](
        image_bytes=image_bytes),
    "serving_uint8": model.signatures["serving_uint8"](images=images),
    "signatures": sorted(model.signatures.keys()),
    "modules": sorted(m for m in sys.modules if m.startswith("fmi_tf")),
}
for name in ("serving_default", "serving_uint8"):
  answer[name] = {k: v.numpy().tolist() for k, v in answer[name].items()}
  answer[name]["class_names"] = [
      [n.decode() for n in row] for row in answer[name]["class_names"]]
with open(sys.argv[3], "w") as f:
  json.dump(answer, f)
"""


@pytest.fixture(scope="module")
def model(tiny_backbone):
  config = encoder.EncoderConfig(kind="energy", order=2)
  encoder_model = encoder.build(tiny_backbone, config)
  generator = np.random.default_rng(5)
  train = generator.uniform(size=(9, SIZE, SIZE, 3)).astype(np.float32)
  descriptors = encoder_model(train).numpy()
  fitted = classifier.train(descriptors, np.arange(9) % 3, CLASSES)
  return trained_model.TrainedModel(encoder_model, config, SIZE, fitted)


@pytest.fixture(scope="module")
def exported(model, tmp_path_factory):
  base = str(tmp_path_factory.mktemp("exports"))
  return base, export.export_all(model, base, "texture")


@pytest.fixture(scope="module")
def photos():
  generator = np.random.default_rng(11)
  uint8 = generator.integers(0, 256, (2, 30, 40, 3), dtype=np.uint8)
  encoded = []
  for image, kind in zip(uint8, ("PNG", "BMP")):
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, kind)
    encoded.append(buffer.getvalue())
  return uint8, encoded


def test_layout_is_tf_serving_versioned(exported, model):
  base, paths = exported
  assert sorted(paths) == ["texture", "texture_classifier", "texture_encoder"]
  for name, path in paths.items():
    assert path == os.path.join(base, name, "1")
    assert os.path.isfile(os.path.join(path, "saved_model.pb"))
    assert os.path.isdir(os.path.join(path, "variables"))
  again = export.export_versioned(export.modules(model)[""], base, "texture")
  assert again == os.path.join(base, "texture", "2")
  assert os.path.isfile(os.path.join(paths["texture"], "saved_model.pb"))
  assert sorted(os.listdir(os.path.join(base, "texture"))) == ["1", "2"]


@pytest.mark.slow
def test_reloaded_in_a_fresh_process_predicts_like_the_model(
    exported, model, photos, tmp_path):
  uint8, encoded = photos
  request = tmp_path / "request.json"
  request.write_text(json.dumps({"bytes": [b.hex() for b in encoded],
                                 "uint8": uint8.tolist()}))
  answer_path = tmp_path / "answer.json"
  finished = subprocess.run(
      [sys.executable, "-c", RELOAD, exported[1]["texture"], str(request),
       str(answer_path)], capture_output=True, text=True, timeout=240)
  assert finished.returncode == 0, finished.stderr[-2000:]
  answer = json.loads(answer_path.read_text())
  assert answer["signatures"] == ["serving_default", "serving_uint8"]
  assert answer["modules"] == []
  module = export.modules(model)[""]
  expected = model.classifier.scores(
      model.encoder(export.fit_batch(uint8, SIZE)).numpy())
  for name in ("serving_default", "serving_uint8"):
    np.testing.assert_allclose(answer[name]["scores"], expected, rtol=1e-4,
                               atol=1e-4)
  in_memory = module.serve_bytes(tf.constant(encoded))
  np.testing.assert_allclose(answer["serving_default"]["scores"],
                             in_memory["scores"].numpy(), rtol=1e-5,
                             atol=1e-5)
  ranked = np.argsort(-expected, axis=1)
  for name in ("serving_default", "serving_uint8"):
    assert answer[name]["class_ids"] == ranked.tolist()
    assert answer[name]["class_names"] == [
        [CLASSES[i] for i in row] for row in ranked]


def _reload_in_fresh_process(path, photos, tmp_path):
  uint8, encoded = photos
  request = tmp_path / "request.json"
  request.write_text(json.dumps({"bytes": [b.hex() for b in encoded],
                                 "uint8": uint8.tolist()}))
  answer_path = tmp_path / "answer.json"
  finished = subprocess.run(
      [sys.executable, "-c", RELOAD, path, str(request), str(answer_path)],
      capture_output=True, text=True, timeout=240)
  assert finished.returncode == 0, finished.stderr[-2000:]
  return json.loads(answer_path.read_text())


@pytest.mark.real_weights
@pytest.mark.slow
@pytest.mark.parametrize("kind", encoder.KINDS)
def test_deep_default_encoders_export_exactly(kind, real_backbone, photos,
                                              tmp_path):
  config = encoder.EncoderConfig(kind=kind, scales=(1.0, 0.5))
  assert config.statistic_layers[-1] in ("block5_conv1", "block5_conv4")
  encoder_model = encoder.build(real_backbone, config)
  size = 48
  train = np.random.default_rng(2).uniform(size=(6, size, size, 3)).astype(
      np.float32)
  fitted = classifier.train(encoder_model(train).numpy(), np.arange(6) % 3,
                            CLASSES)
  model = trained_model.TrainedModel(encoder_model, config, size, fitted)
  trained_model.save(str(tmp_path / "model"), model)
  reloaded = trained_model.load(str(tmp_path / "model"))
  paths = export.export_all(reloaded, str(tmp_path / "exports"), "deep")
  answer = _reload_in_fresh_process(paths["deep"], photos, tmp_path)
  assert answer["signatures"] == ["serving_default", "serving_uint8"]
  assert answer["modules"] == []
  expected = model.classifier.scores(
      model.encoder(export.fit_batch(photos[0], size)).numpy())
  for name in ("serving_default", "serving_uint8"):
    np.testing.assert_allclose(answer[name]["scores"], expected, rtol=1e-4,
                               atol=1e-4)
    assert answer[name]["class_ids"] == np.argsort(
        -expected, axis=1).tolist()


def test_encoder_and_classifier_exports_compose(exported, model, photos):
  uint8, encoded = photos
  encoder_export = tf.saved_model.load(exported[1]["texture_encoder"])
  classifier_export = tf.saved_model.load(exported[1]["texture_classifier"])
  descriptors = encoder_export.signatures["serving_default"](
      image_bytes=tf.constant(encoded))["descriptors"]
  scores = classifier_export.signatures["serving_default"](
      descriptors=descriptors)["scores"].numpy()
  expected = model.classifier.scores(
      model.encoder(export.fit_batch(uint8, SIZE)).numpy())
  np.testing.assert_allclose(scores, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.slow
def test_saved_model_cli_lists_both_signatures(exported):
  shown = subprocess.run(
      ["saved_model_cli", "show", "--dir", exported[1]["texture"], "--all"],
      check=True, capture_output=True, text=True, timeout=240).stdout
  assert "signature_def['serving_default']" in shown
  assert "signature_def['serving_uint8']" in shown
  assert "image_bytes" in shown and "DT_STRING" in shown
  assert "class_names" in shown and "DT_UINT8" in shown


def test_a_corrupt_image_in_a_batch_is_a_clear_error(exported, photos):
  loaded = tf.saved_model.load(exported[1]["texture"])
  batch = tf.constant([photos[1][0], b"not an image at all"])
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match=r"cannot decode image_bytes.*\[1\]"):
    loaded.signatures["serving_default"](image_bytes=batch)


def test_trained_model_directory_holds_its_three_files(model, tmp_path):
  trained_model.save(str(tmp_path), model)
  assert sorted(os.listdir(tmp_path)) == [
      "classifier.npz", "encoder.json", "encoder.weights.h5"]
  (tmp_path / "encoder.json").unlink()
  with pytest.raises(errors.ArgumentError, match="encoder.json"):
    trained_model.load(str(tmp_path))

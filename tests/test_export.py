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


def _expected_probabilities(model, uint8):
  """The in-memory model's calibrated probabilities of uint8 images."""
  return model.classifier.probabilities(
      model.encoder(export.fit_batch(uint8, SIZE)).numpy())


def _assert_ranked_and_aligned(outputs, probabilities):
  """class_names, class_ids, scores ranked and aligned; probabilities too."""
  np.testing.assert_allclose(outputs["probabilities"], probabilities,
                             rtol=1e-4, atol=1e-5)
  ranked = np.argsort(-probabilities, axis=1, kind="stable")
  assert np.asarray(outputs["class_ids"]).tolist() == ranked.tolist()
  assert [[_name(n) for n in row] for row in outputs["class_names"]] == [
      [CLASSES[i] for i in row] for row in ranked]
  np.testing.assert_allclose(
      outputs["scores"], np.take_along_axis(probabilities, ranked, axis=1),
      rtol=1e-4, atol=1e-5)
  assert np.all(np.diff(np.asarray(outputs["scores"]), axis=1) <= 0)


def _name(value) -> str:
  return value.decode() if isinstance(value, bytes) else value


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
  return base, export.export(model, base, "texture")


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


@pytest.mark.slow
def test_reloaded_in_a_fresh_process_predicts_like_the_model(
    exported, model, photos, tmp_path):
  uint8, encoded = photos
  answer = _reload_in_fresh_process(exported[1]["texture"], photos, tmp_path)
  assert answer["signatures"] == ["serving_default", "serving_uint8"]
  assert answer["modules"] == []
  module = export.modules(model)[""]
  expected = _expected_probabilities(model, uint8)
  for name in ("serving_default", "serving_uint8"):
    _assert_ranked_and_aligned(answer[name], expected)
  in_memory = module.serve_bytes(tf.constant(encoded))
  np.testing.assert_allclose(answer["serving_default"]["scores"],
                             in_memory["scores"].numpy(), rtol=1e-5,
                             atol=1e-5)


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
  paths = export.export(str(tmp_path / "model"), str(tmp_path / "exports"),
                        "deep")
  answer = _reload_in_fresh_process(paths["deep"], photos, tmp_path)
  assert answer["signatures"] == ["serving_default", "serving_uint8"]
  assert answer["modules"] == []
  expected = model.classifier.probabilities(
      model.encoder(export.fit_batch(photos[0], size)).numpy())
  for name in ("serving_default", "serving_uint8"):
    _assert_ranked_and_aligned(answer[name], expected)


def test_encoder_and_classifier_exports_compose(exported, model, photos):
  uint8, encoded = photos
  encoder_export = tf.saved_model.load(exported[1]["texture_encoder"])
  classifier_export = tf.saved_model.load(exported[1]["texture_classifier"])
  descriptors = encoder_export.signatures["serving_default"](
      image_bytes=tf.constant(encoded))["descriptors"]
  outputs = classifier_export.signatures["serving_default"](
      descriptors=descriptors)
  _assert_ranked_and_aligned({k: v.numpy() for k, v in outputs.items()},
                             _expected_probabilities(model, uint8))


def test_exported_probabilities_are_calibrated_not_margins(exported, model,
                                                          photos):
  uint8, _ = photos
  served = tf.saved_model.load(exported[1]["texture"]).signatures[
      "serving_uint8"](images=tf.constant(uint8))["probabilities"].numpy()
  descriptors = model.encoder(export.fit_batch(uint8, SIZE)).numpy()
  margins = model.classifier.scores(descriptors)
  np.testing.assert_allclose(served.sum(axis=1), 1.0, rtol=1e-5)
  assert model.classifier.temperature != pytest.approx(1.0)
  np.testing.assert_allclose(
      served, tf.nn.softmax(margins / model.classifier.temperature),
      rtol=1e-4, atol=1e-5)
  assert not np.allclose(served, tf.nn.softmax(margins), atol=1e-3)


def test_exporting_no_model_directory_is_an_error_that_writes_nothing(
    tmp_path):
  with pytest.raises(errors.ArgumentError, match="missing"):
    export.export(str(tmp_path / "nothing"), str(tmp_path / "exports"))
  assert not (tmp_path / "exports").exists()


@pytest.mark.parametrize("signature,feed", [("serving_default", "bytes"),
                                            ("serving_uint8", "uint8")])
def test_tf_serving_style_session_load_answers_like_the_model(
    exported, model, photos, signature, feed):
  """Loads as TF Serving does: a v1 Session, the loader, the tensor names."""
  uint8, encoded = photos
  value = encoded if feed == "bytes" else uint8
  with tf.Graph().as_default() as graph:
    with tf.compat.v1.Session(graph=graph) as session:
      meta_graph = tf.compat.v1.saved_model.loader.load(
          session, [tf.compat.v1.saved_model.tag_constants.SERVING],
          exported[1]["texture"])
      signature_def = meta_graph.signature_def[signature]
      (input_info,) = signature_def.inputs.values()
      names = sorted(signature_def.outputs)
      fetched = session.run(
          [signature_def.outputs[n].name for n in names],
          feed_dict={input_info.name: value})
  assert names == ["class_ids", "class_names", "probabilities", "scores"]
  _assert_ranked_and_aligned(dict(zip(names, fetched)),
                             _expected_probabilities(model, uint8))


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

"""SavedModel export: fresh-process reload, signatures, versions, errors."""

import io
import json
import os
import struct
import subprocess
import sys
import zlib

import numpy as np
from PIL import Image
import pytest
import tensorflow as tf

from fmi_tf import errors
from fmi_tf.nets import networks
from fmi_tf.recognition import classifier
from fmi_tf.recognition import encoder
from fmi_tf.recognition import encoder_config
from fmi_tf.recognition import trained_model
from fmi_tf.serving import adapters
from fmi_tf.serving import export
from fmi_tf.serving import image_headers
from fmi_tf.serving import local_client
from tests import tool_runs

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
      model.encoder(adapters.fit_batch(uint8, SIZE)).numpy())


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
  config = encoder_config.EncoderConfig(kind="energy", order=2)
  encoder_model = encoder.build(tiny_backbone, config)
  generator = np.random.default_rng(5)
  train = generator.uniform(size=(9, SIZE, SIZE, 3)).astype(np.float32)
  descriptors = encoder_model(train).numpy()
  fitted = classifier.train(descriptors, np.arange(9) % 3, CLASSES)
  return trained_model.TrainedModel(encoder_model, config, SIZE, fitted,
                                   networks.record(tiny_backbone))


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
  again = export.export(model, base)
  assert again["texture"] == os.path.join(base, "texture", "2")
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
  assert answer["signatures"] == ["explain", "serving_default",
                                  "serving_uint8"]
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
@pytest.mark.parametrize("kind", encoder_config.KINDS)
def test_deep_default_encoders_export_exactly(kind, real_backbone, photos,
                                              tmp_path):
  config = encoder_config.EncoderConfig(
      kind=kind, scales=(1.0, 0.5)).for_network(real_backbone)
  assert config.statistic_layers[-1] in ("block5_conv1", "block5_conv4")
  encoder_model = encoder.build(real_backbone, config)
  size = 48
  train = np.random.default_rng(2).uniform(size=(6, size, size, 3)).astype(
      np.float32)
  fitted = classifier.train(encoder_model(train).numpy(), np.arange(6) % 3,
                            CLASSES)
  model = trained_model.TrainedModel(encoder_model, config, size, fitted,
                                     networks.record(real_backbone))
  trained_model.save(str(tmp_path / "model"), model)
  paths = export.export(str(tmp_path / "model"), str(tmp_path / "exports"),
                        "deep")
  answer = _reload_in_fresh_process(paths["deep"], photos, tmp_path)
  # A Gram descriptor's dimensions name no single filter: no explanation.
  explained = ["explain"] if kind != "gram" else []
  assert answer["signatures"] == [*explained, "serving_default",
                                  "serving_uint8"]
  assert answer["modules"] == []
  expected = model.classifier.probabilities(
      model.encoder(adapters.fit_batch(photos[0], size)).numpy())
  for name in ("serving_default", "serving_uint8"):
    _assert_ranked_and_aligned(answer[name], expected)


@pytest.mark.real_weights
def test_a_record_naming_no_network_is_read_as_vgg19s(real_backbone,
                                                       tmp_path):
  config = encoder_config.EncoderConfig(kind="energy", layers=("relu1_1",))
  encoder_model = encoder.build(real_backbone, config)
  images = np.random.default_rng(4).uniform(size=(4, 16, 16, 3)).astype(
      np.float32)
  fitted = classifier.train(encoder_model(images).numpy(), np.arange(4) % 2,
                            ("a", "b"))
  directory = tmp_path / "model"
  trained_model.save(str(directory), trained_model.TrainedModel(
      encoder_model, config, 16, fitted, networks.record(real_backbone)))
  record = json.loads((directory / trained_model.CONFIG_FILE).read_text())
  del record["network"]  # as written before records named their network
  (directory / trained_model.CONFIG_FILE).write_text(json.dumps(record))
  loaded = trained_model.load(str(directory))
  assert loaded.network == networks.record(real_backbone)
  np.testing.assert_allclose(loaded.encoder(images), encoder_model(images),
                             rtol=1e-5, atol=1e-6)


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
  descriptors = model.encoder(adapters.fit_batch(uint8, SIZE)).numpy()
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


def _encoded(kind: str) -> bytes:
  buffer = io.BytesIO()
  Image.fromarray(np.full((6, 8, 3), 128, np.uint8)).save(buffer, kind)
  return buffer.getvalue()


def _declaring(kind: str, height: int, width: int) -> bytes:
  """A small real image of kind whose header declares height x width."""
  data = _encoded(kind)
  if kind == "PNG":
    return data[:16] + struct.pack(">II", width, height) + data[24:]
  if kind == "BMP":
    return data[:18] + struct.pack("<ii", width, -height) + data[26:]
  frame = data.index(b"\xff\xc0") + 5
  return data[:frame] + struct.pack(">HH", height, width) + data[frame + 4:]


def _run_v1(export_dir: str, image_bytes: list) -> dict:
  """Runs serving_default as TF Serving does: v1 loader, session, names."""
  with tf.Graph().as_default() as graph:
    with tf.compat.v1.Session(graph=graph) as session:
      meta_graph = tf.compat.v1.saved_model.loader.load(
          session, [tf.compat.v1.saved_model.tag_constants.SERVING],
          export_dir)
      signature_def = meta_graph.signature_def["serving_default"]
      names = sorted(signature_def.outputs)
      fetched = session.run(
          [signature_def.outputs[n].name for n in names],
          feed_dict={signature_def.inputs["image_bytes"].name: image_bytes})
  return dict(zip(names, fetched))


def test_declared_sizes_are_read_from_the_headers():
  batch = [_encoded("JPEG"), _encoded("PNG"), _encoded("BMP"),
           _declaring("JPEG", 60000, 50000), _declaring("PNG", 30000, 20000),
           _declaring("BMP", 40000, 3), b"\x89PNG"]
  assert image_headers.dimensions(tf.constant(batch)).numpy().tolist() == [
      [6, 8], [6, 8], [6, 8], [60000, 50000], [30000, 20000], [40000, 3],
      [0, 0]]


@pytest.mark.parametrize("kind,height,width", [
    ("PNG", 30000, 30000), ("PNG", 2**31 - 1, 2**31 - 1), ("JPEG", 65500, 300),
    ("BMP", 20000, 20000), ("PNG", 4097, 4096)])
def test_an_image_declaring_too_many_pixels_is_refused_before_decoding(
    exported, photos, kind, height, width):
  bomb = _declaring(kind, height, width)
  assert len(bomb) < 2000 and height * width > image_headers.MAX_PIXELS
  with pytest.raises(tf.errors.InvalidArgumentError) as refused:
    _run_v1(exported[1]["texture"], [photos[1][0], photos[1][1], bomb])
  message = refused.value.message
  assert f"image_bytes over {image_headers.MAX_PIXELS} pixels" in message
  assert "not decoded, at batch indices] [2]" in message
  assert f"[[{height} {width}]]" in message


def test_images_at_the_limit_and_small_ones_are_classified(exported, model,
                                                           photos):
  limit = _declaring("PNG", 4096, 4096)
  with pytest.raises(tf.errors.InvalidArgumentError) as failed:
    _run_v1(exported[1]["texture"], [photos[1][0], limit])
  assert "pixels" not in failed.value.message  # Passed the check, truncated.
  answer = _run_v1(exported[1]["texture"], list(photos[1]))
  _assert_ranked_and_aligned(answer, _expected_probabilities(model, photos[0]))


def test_gif_is_refused_naming_its_index(exported, photos):
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match=r"no JPEG, PNG or BMP image.*\] \[1\]"):
    _run_v1(exported[1]["texture"], [photos[1][0], _encoded("GIF")])


def test_the_pixel_limit_is_an_export_setting(model, photos, tmp_path):
  paths = export.export(model, str(tmp_path), "small", max_pixels=30 * 40 - 1)
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match=r"over 1199 pixels.*\] \[0 1\]"):
    _run_v1(paths["small"], list(photos[1]))
  for max_pixels in (0, -1, 2.5):
    with pytest.raises(errors.ArgumentError, match="max_pixels"):
      export.export(model, str(tmp_path / "none"), max_pixels=max_pixels)
  assert not (tmp_path / "none").exists()


SERVE_BOMB = """
import resource, sys
import tensorflow as tf
with open(sys.argv[2], "rb") as f:
  bomb = f.read()
with tf.Graph().as_default() as graph, tf.compat.v1.Session() as session:
  meta_graph = tf.compat.v1.saved_model.loader.load(
      session, ["serve"], sys.argv[1])
  signature_def = meta_graph.signature_def["serving_default"]
  before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
  try:
    session.run(signature_def.outputs["scores"].name,
                feed_dict={signature_def.inputs["image_bytes"].name: [bomb]})
  except tf.errors.InvalidArgumentError as e:
    print("refused" if "pixels" in e.message else e.message)
  after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
  print((after - before) * 1024)
"""


def _png_bomb(side: int) -> bytes:
  """A valid grey PNG of side x side zeros: kilobytes that decode to much."""
  def chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data)))
  compressor = zlib.compressobj(9)
  row = b"\0" * (side + 1)
  pixels = b"".join(compressor.compress(row) for _ in range(side))
  return (b"\x89PNG\r\n\x1a\n"
          + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0))
          + chunk(b"IDAT", pixels + compressor.flush()) + chunk(b"IEND", b""))


@pytest.mark.slow
def test_a_decompression_bomb_leaves_the_serving_process_small(exported,
                                                              tmp_path):
  """A 12000² PNG of 140 KB would take 430 MB decoded, 1.7 GB as floats."""
  side = 12000
  bomb = tmp_path / "bomb.png"
  bomb.write_bytes(_png_bomb(side))
  assert bomb.stat().st_size < 2**20
  finished = subprocess.run(
      [sys.executable, "-c", SERVE_BOMB, exported[1]["texture"], str(bomb)],
      capture_output=True, text=True, timeout=240)
  assert finished.returncode == 0, finished.stderr[-2000:]
  verdict, growth = finished.stdout.split()
  assert verdict == "refused"
  assert int(growth) < side * side // 4


def test_trained_model_directory_holds_its_three_files(model, tmp_path):
  trained_model.save(str(tmp_path), model)
  assert sorted(os.listdir(tmp_path)) == [
      "classifier.npz", "encoder.json", "encoder.weights.h5"]
  (tmp_path / "encoder.json").unlink()
  with pytest.raises(errors.ArgumentError, match="encoder.json"):
    trained_model.load(str(tmp_path))


def test_the_local_client_names_the_export_to_use(exported, photos):
  base, paths = exported
  with pytest.raises(errors.ArgumentError) as classifier_export:
    local_client.LocalClient(paths["texture_classifier"])
  assert str(classifier_export.value) == (
      f"{paths['texture_classifier']} is the classifier export (descriptors "
      "-> classes, it takes no images); give the end-to-end export, "
      f"{os.path.join(base, 'texture', '<version>')}")
  with pytest.raises(errors.ArgumentError,
                     match=r"is the encoder export \(images -> descriptors"):
    local_client.LocalClient(paths["texture_encoder"])
  with pytest.raises(errors.ArgumentError,
                     match=r"no saved_model.pb in .*texture \(it holds "
                     r"versions: give one, e.g. .*texture/\d+\)"):
    local_client.LocalClient(os.path.join(base, "texture"))
  predictions = local_client.LocalClient(paths["texture"]).classify(
      photos[1])
  assert [len(p.class_names) for p in predictions] == [3, 3]


@pytest.mark.slow
@pytest.mark.parametrize("which,phrase", [
    ("texture_classifier", "is the classifier export"),
    ("texture_encoder", "is the encoder export")])
def test_fmi_classify_on_another_export_says_which_to_use(exported, photos,
                                                        tmp_path, which,
                                                        phrase):
  image = tmp_path / "one.png"
  image.write_bytes(photos[1][0])
  finished = tool_runs.run_tool("fmi-classify", str(image),
                                f"--saved_model={exported[1][which]}")
  tool_runs.assert_one_line_error(finished, "fmi-classify", phrase)
  assert "give the end-to-end export" in finished.stderr

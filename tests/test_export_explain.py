"""The explain signature, warmup requests and server files of the exports."""

import io
import os

from google.protobuf import text_format
import numpy as np
from PIL import Image
import pytest
import tensorflow as tf
from tensorflow_serving.config import model_server_config_pb2

from fmi_tf.nets import networks
from fmi_tf.recognition import classifier
from fmi_tf.recognition import encoder
from fmi_tf.recognition import encoder_config
from fmi_tf.recognition import explanation
from fmi_tf.recognition import trained_model
from fmi_tf.serving import explain_signature
from fmi_tf.serving import adapters
from fmi_tf.serving import export
from fmi_tf.serving import server_config
from fmi_tf.serving import warmup

CLASSES = ("banded", "dotted", "striped")
SIZE = 24


def _model(backbone, kind="energy", mean=True):
  config = encoder_config.EncoderConfig(kind=kind, layers=("block1_conv1",
                                                           "block2_conv1"))
  encoder_model = encoder.build(backbone, config)
  train = np.random.default_rng(5).uniform(size=(9, SIZE, SIZE, 3))
  fitted = classifier.train(encoder_model(train.astype(np.float32)).numpy(),
                            np.arange(9) % 3, CLASSES)
  if not mean:
    fitted = classifier.LinearClassifier(fitted.weights, fitted.bias,
                                         CLASSES, fitted.temperature)
  return trained_model.TrainedModel(encoder_model, config, SIZE, fitted,
                                   networks.record(backbone))


@pytest.fixture(scope="module")
def model(tiny_backbone):
  return _model(tiny_backbone)


@pytest.fixture(scope="module")
def exported(model, tmp_path_factory):
  base = str(tmp_path_factory.mktemp("exports"))
  return base, export.export(model, base, "texture")


def _png(pixels: np.ndarray) -> bytes:
  buffer = io.BytesIO()
  Image.fromarray(pixels).save(buffer, "PNG")
  return buffer.getvalue()


def _run_v1(export_dir, signature, feeds):
  """Runs a signature as TF Serving does: v1 loader, session, names."""
  with tf.Graph().as_default() as graph:
    with tf.compat.v1.Session(graph=graph) as session:
      meta_graph = tf.compat.v1.saved_model.loader.load(
          session, [tf.compat.v1.saved_model.tag_constants.SERVING],
          export_dir)
      signature_def = meta_graph.signature_def[signature]
      names = sorted(signature_def.outputs)
      fetched = session.run(
          [signature_def.outputs[n].name for n in names],
          feed_dict={signature_def.inputs[k].name: v
                     for k, v in feeds.items()})
  return dict(zip(names, fetched))


def test_explain_through_the_v1_loader_matches_the_library(exported, model):
  pixels = np.random.default_rng(2).integers(0, 256, (2, 30, 30, 3),
                                             dtype=np.uint8)
  answer = _run_v1(exported[1]["texture"], explain_signature.NAME,
                   {"image_bytes": [_png(p) for p in pixels]})
  assert sorted(answer) == sorted(explain_signature.OUTPUTS)
  descriptors = model.encoder(adapters.fit_batch(pixels, SIZE)).numpy()
  units = explanation.descriptor_units(model.encoder)
  expected = explanation.explain_descriptors(
      model.classifier, units, descriptors, k=len(units))
  for i, why in enumerate(expected):
    assert answer["class_names"][i].decode() == why.class_name
    assert answer["class_ids"][i] == why.class_id
    assert answer["scores"][i] == pytest.approx(why.probability, rel=1e-4)
    np.testing.assert_allclose(answer["contributions"][i],
                               [c.contribution for c in why.top],
                               rtol=1e-3, atol=1e-5)
    assert answer["contributions"][i].shape == (len(units),)
    top = [(l.decode(), int(f)) for l, f in zip(
        answer["filter_layers"][i][:3], answer["filter_ids"][i][:3])]
    assert top == [(c.layer, c.index) for c in why.top[:3]]


@pytest.mark.parametrize("kind,mean", [("gram", True), ("energy", False)])
def test_models_that_cannot_be_explained_export_without_explain(
    tiny_backbone, tmp_path, kind, mean):
  model = _model(tiny_backbone, kind, mean)
  reason = explain_signature.unexplained_because(model)
  assert reason and ("Gram entries" in reason if kind == "gram"
                     else "training mean" in reason)
  paths = export.export(model, str(tmp_path))
  loaded = tf.saved_model.load(paths["texture"])
  assert sorted(loaded.signatures) == ["serving_default", "serving_uint8"]


def test_every_export_warms_up_with_real_requests_of_each_signature(
    exported):
  for name, path in exported[1].items():
    logs = warmup.read(path)
    loaded = tf.saved_model.load(path)
    assert sorted(log.predict_log.request.model_spec.signature_name
                  for log in logs) == sorted(loaded.signatures)
    for log in logs:
      request = log.predict_log.request
      assert request.model_spec.name == name
      feeds = {k: tf.make_ndarray(v) for k, v in request.inputs.items()}
      if "image_bytes" in feeds:
        assert feeds["image_bytes"][0][:2] == b"\xff\xd8"  # a real JPEG
      answer = _run_v1(path, request.model_spec.signature_name, feeds)
      batch = len(next(iter(feeds.values())))
      assert all(len(v) == batch for v in answer.values())


def test_the_server_files_name_every_model_and_batch_like_the_clients(
    exported, model):
  base, paths = exported
  config = model_server_config_pb2.ModelServerConfig()
  with open(os.path.join(base, server_config.MODEL_CONFIG_FILE)) as f:
    text_format.Parse(f.read(), config)
  served = {c.name: c.base_path for c in config.model_config_list.config}
  assert served == {name: os.path.dirname(os.path.abspath(path))
                    for name, path in paths.items()}
  assert {c.model_platform for c in config.model_config_list.config} == {
      "tensorflow"}
  with open(os.path.join(base, server_config.BATCHING_FILE)) as f:
    fields = dict(line.replace("{", "").replace("}", "").split(
        " value: ") for line in f.read().splitlines())
  assert {k.strip(): int(v) for k, v in fields.items()} == {
      "max_batch_size": 16, "batch_timeout_micros": 5000,
      "max_enqueued_batches": 64, "num_batch_threads": 4}


def test_a_second_export_is_added_to_the_model_config(exported, model):
  base, _ = exported
  export.export(model, base, "other")
  with open(os.path.join(base, server_config.MODEL_CONFIG_FILE)) as f:
    text = f.read()
  assert text.count("config {") == 6 and '"other_encoder"' in text


@pytest.mark.parametrize("kind,tolerance", [("JPEG", 0.02), ("PNG", 1e-5)])
def test_a_rotated_photo_is_served_upright(exported, kind, tolerance):
  """A phone photo stored sideways (EXIF orientation 6; in a PNG, its eXIf
  chunk) answers as the upright photo, through the v1 loader."""
  photo = Image.open(io.BytesIO(warmup.sample_inputs()["image_bytes"][0]))
  photo = photo.convert("RGB").resize((64, 48))
  tags = Image.Exif()
  tags[0x0112] = 6
  encoded = []
  for picture, extra in ((photo, {}), (photo.transpose(Image.ROTATE_270),
                                       {"exif": tags.tobytes()})):
    buffer = io.BytesIO()
    picture.save(buffer, kind, **extra, **(
        {"quality": 98} if kind == "JPEG" else {}))
    encoded.append(buffer.getvalue())
  upright, sideways = (
      _run_v1(exported[1]["texture"], "serving_default",
              {"image_bytes": [data]})["probabilities"][0]
      for data in encoded)
  if kind == "PNG":
    assert b"eXIf" in encoded[1]
  np.testing.assert_allclose(sideways, upright, atol=tolerance)

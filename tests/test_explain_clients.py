"""fmi-classify --explain: locally, over REST and over gRPC; bad input."""

import subprocess

import grpc
import numpy as np
from PIL import Image
import pytest
import tensorflow as tf

from fmi_tf import errors
from fmi_tf.nets import networks
from fmi_tf.recognition import classifier
from fmi_tf.recognition import encoder
from fmi_tf.recognition import encoder_config
from fmi_tf.recognition import explanation
from fmi_tf.recognition import trained_model
from fmi_tf.serving import adapters
from fmi_tf.serving import client as serving_client
from fmi_tf.serving import explanations
from fmi_tf.serving import export
from fmi_tf.serving import grpc_client
from fmi_tf.serving import local_client
from tests import fake_serving

CLASSES = ("banded", "dotted", "striped")
SIZE = 24
ROWS = [
    {"class_names": "dotted", "class_ids": 1, "scores": 0.7,
     "filter_layers": ["block4_conv1", "block5_conv1", "block1_conv1"],
     "filter_ids": [231, 87, 3], "contributions": [0.5, 0.25, -0.1]},
    {"class_names": "banded", "class_ids": 0, "scores": 0.6,
     "filter_layers": ["block1_conv1", "block4_conv1", "block5_conv1"],
     "filter_ids": [9, 2, 1], "contributions": [0.3, 0.125, 0.0625]},
]
MISSING = 'Serving signature name: "explain" not found in signature def'


@pytest.fixture
def rest():
  with fake_serving.rest_server((200, lambda body: {
      "predictions": ROWS[:len(body["instances"])]})) as httpd:
    yield httpd


@pytest.fixture
def grpc_server():
  dtypes = dict(zip(explanations.OUTPUTS, (
      tf.string, tf.int32, tf.float32, tf.string, tf.int32, tf.float32)))
  with fake_serving.grpc_service(lambda request: fake_serving.tensors(
      ROWS[:len(request.inputs["image_bytes"].string_val)], dtypes)
                                 ) as service:
    yield service


def test_rest_asks_the_explain_signature_and_reads_ranked_filters(rest):
  answered = serving_client.RestClient(rest.address, "texture").explain(
      [b"a", b"b"])
  assert rest.requests[0]["body"]["signature_name"] == "explain"
  assert answered[0].class_name == "dotted" and answered[0].score == 0.7
  assert answered[0].top(2) == [("block4_conv1", 231, 0.5),
                                ("block5_conv1", 87, 0.25)]
  assert answered[0].describe(2) == (
      "dotted 0.700 because block4_conv1/231 +0.5000, block5_conv1/87 +0.2500")
  assert answered[0].describe(3).endswith("block1_conv1/3 -0.1000")
  for k in (4, 0):
    with pytest.raises(errors.ArgumentError,
                       match=f"cannot show {k} filters: the descriptor has 3"):
      answered[1].describe(k)


def test_grpc_asks_the_explain_signature_and_reads_ranked_filters(
    grpc_server):
  client = grpc_client.GrpcClient(grpc_server.address, "texture")
  answered = client.explain([b"a", b"b"])
  client.close()
  assert grpc_server.requests[0].model_spec.signature_name == "explain"
  assert answered[1].class_name == "banded" and answered[1].class_id == 0
  assert answered[1].top(1) == [("block1_conv1", 9, pytest.approx(0.3))]


def test_a_model_without_explain_is_named_over_rest_and_grpc(rest,
                                                             grpc_server):
  rest.reply = (400, {"error": MISSING})
  with pytest.raises(errors.ArgumentError, match="has no explain signature: "
                     "it was exported before explanations"):
    serving_client.RestClient(rest.address, "texture").explain([b"a"])
  grpc_server.error = (grpc.StatusCode.FAILED_PRECONDITION, MISSING)
  with pytest.raises(errors.ArgumentError, match="has no explain signature"):
    grpc_client.GrpcClient(grpc_server.address, "texture").explain([b"a"])


@pytest.mark.parametrize("change,problem", [
    ({"contributions": [0.1, 0.5, -0.1]}, "not ranked"),
    ({"contributions": [0.5, float("nan"), 0.1]}, "not all finite"),
    ({"filter_ids": [1, -2, 3]}, "not all filter indices"),
    ({"filter_layers": ["a", "b"]}, "no list of 3"),
    ({"scores": 1.5}, "no probability"),
    ({"class_names": ["dotted"]}, "no string"),
])
def test_malformed_explanations_are_refused(rest, change, problem):
  rest.reply = (200, {"predictions": [ROWS[0], {**ROWS[1], **change}]})
  with pytest.raises(errors.ArgumentError, match=problem):
    serving_client.RestClient(rest.address, "texture").explain([b"a", b"b"])


@pytest.fixture(scope="module")
def exports(tiny_backbone, tmp_path_factory):
  """A fresh export, and one of a classifier saved before explanations."""
  config = encoder_config.EncoderConfig(kind="energy", layers=("block1_conv1",
                                                               "block2_conv1"))
  encoder_model = encoder.build(tiny_backbone, config)
  train = np.random.default_rng(5).uniform(size=(9, SIZE, SIZE, 3))
  fitted = classifier.train(encoder_model(train.astype(np.float32)).numpy(),
                            np.arange(9) % 3, CLASSES)
  old = classifier.LinearClassifier(fitted.weights, fitted.bias, CLASSES,
                                    fitted.temperature)
  base = str(tmp_path_factory.mktemp("exports"))
  network = networks.record(tiny_backbone)
  new_model = trained_model.TrainedModel(encoder_model, config, SIZE, fitted,
                                         network)
  return (new_model,
          export.export(new_model, base, "texture")["texture"],
          export.export(trained_model.TrainedModel(
              encoder_model, config, SIZE, old, network), base,
              "old")["old"])


def _photos(tmp_path):
  paths = []
  for i, pixels in enumerate(np.random.default_rng(4).integers(
      0, 256, (2, 32, 32, 3), dtype=np.uint8)):
    path = tmp_path / f"photo{i}.png"
    Image.fromarray(pixels).save(path)
    paths.append(path)
  return paths


def test_the_local_client_explains_as_the_library(exports, tmp_path):
  model, path, old = exports
  photos = _photos(tmp_path)
  images = serving_client.read_images(photos)
  answered = local_client.LocalClient(path).explain(images)
  fitted = np.stack([np.asarray(Image.open(p)) for p in photos])
  units = explanation.descriptor_units(model.encoder)
  expected = explanation.explain_descriptors(
      model.classifier, units,
      model.encoder(adapters.fit_batch(fitted, SIZE)).numpy(), k=3)
  for served, why in zip(answered, expected):
    assert served.class_name == why.class_name
    assert [(l, f) for l, f, _ in served.top(3)] == [
        (c.layer, c.index) for c in why.top]
  with pytest.raises(errors.ArgumentError, match="has no explain signature"):
    local_client.LocalClient(old).explain(images)


def _classify(*arguments):
  return subprocess.run(["fmi-classify", *map(str, arguments)],
                        capture_output=True, text=True, timeout=180)


@pytest.mark.slow
def test_fmi_classify_explains_locally_and_refuses_bad_requests(exports,
                                                                 tmp_path):
  _, path, old = exports
  photos = _photos(tmp_path)
  finished = _classify(*photos, f"--saved_model={path}", "--explain=2")
  assert finished.returncode == 0, finished.stderr
  lines = finished.stdout.strip().splitlines()
  assert len(lines) == 2 and lines[0].startswith(f"{photos[0]}: ")
  assert " because block" in lines[0] and lines[0].count("/") >= 2
  too_many = _classify(*photos, f"--saved_model={path}", "--explain=100000")
  assert too_many.returncode != 0 and not too_many.stdout
  assert "cannot show 100000 filters: the descriptor has" in too_many.stderr
  refused = _classify(photos[0], f"--saved_model={old}", "--explain=2")
  assert refused.returncode != 0 and not refused.stdout
  assert "has no explain signature" in refused.stderr.strip().splitlines()[-1]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["rest", "grpc"])
def test_fmi_classify_explains_through_a_server(kind, rest, grpc_server,
                                                tmp_path):
  image = tmp_path / "one.jpg"
  image.write_bytes(b"\xff\xd8\xff one")
  address = rest.address if kind == "rest" else grpc_server.address
  finished = _classify(image, f"--server={address}", "--explain=2")
  assert finished.returncode == 0, finished.stderr
  assert finished.stdout.strip() == (
      f"{image}: dotted 0.700 because block4_conv1/231 +0.5000, "
      "block5_conv1/87 +0.2500")

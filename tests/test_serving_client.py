"""TF Serving clients against loopback servers playing REST and gRPC."""

import base64
import http.server
import subprocess
import threading

import grpc
import pytest
import tensorflow as tf

import fmi_tf
from fmi_tf import errors
from fmi_tf.serving import client as serving_client
from fmi_tf.serving import grpc_client
from tests import fake_serving

# The documented row-format answer of a model with several named outputs:
# ranked, aligned names, ids and scores, and probabilities in class order.
ANSWER = {"predictions": [
    {"class_names": ["dotted", "banded", "striped"], "class_ids": [1, 0, 2],
     "scores": [0.7, 0.2, 0.1], "probabilities": [0.2, 0.7, 0.1]},
    {"class_names": ["banded", "striped", "dotted"], "class_ids": [0, 2, 1],
     "scores": [0.6, 0.3, 0.1], "probabilities": [0.6, 0.1, 0.3]},
]}


def _answer(body):
  """ANSWER's rows, one per image of the request."""
  return {"predictions": ANSWER["predictions"][:len(body["instances"])]}


@pytest.fixture
def server():
  with fake_serving.rest_server((200, _answer)) as httpd:
    yield httpd


def _address(httpd) -> str:
  return f"http://127.0.0.1:{httpd.server_address[1]}"


def test_request_is_the_documented_row_format_body(server):
  images = [b"\xff\xd8\xff first", b"\x89PNG second"]
  serving_client.RestClient(_address(server), "texture").classify(images)
  request, = server.requests
  assert request["path"] == "/v1/models/texture:predict"
  assert request["content_type"] == "application/json"
  assert request["body"] == {
      "signature_name": "serving_default",
      "instances": [
          {"image_bytes": {"b64": base64.b64encode(images[0]).decode()}},
          {"image_bytes": {"b64": base64.b64encode(images[1]).decode()}}]}


def test_a_version_is_part_of_the_url(server):
  serving_client.RestClient(_address(server) + "/", "tex", 3).classify([b"x"])
  assert server.requests[0]["path"] == "/v1/models/tex/versions/3:predict"


def test_documented_response_is_parsed_into_ranked_classes(server):
  predictions = serving_client.RestClient(
      _address(server), "texture").classify([b"a", b"b"])
  assert predictions[0].top(2) == [("dotted", 0.7), ("banded", 0.2)]
  assert predictions[1].top(1) == [("banded", 0.6)]
  assert predictions[1].class_ids == (0, 2, 1)


def test_an_error_answer_becomes_one_clear_error(server):
  server.reply = (400, {"error": "Invalid argument: cannot decode image"})
  with pytest.raises(errors.ArgumentError, match="cannot decode image"):
    serving_client.RestClient(_address(server), "texture").classify([b"a"])


def test_an_unreachable_server_is_reported(server):
  address = _address(server)
  server.shutdown()
  server.server_close()
  with pytest.raises(errors.ArgumentError, match="cannot reach"):
    serving_client.RestClient(address, "texture", timeout=5).classify([b"a"])


@pytest.mark.slow
def test_fmi_classify_prints_the_top_classes(server, tmp_path):
  first, second = tmp_path / "one.jpg", tmp_path / "two.png"
  first.write_bytes(b"\xff\xd8\xff one")
  second.write_bytes(b"\x89PNG two")
  finished = subprocess.run(
      ["fmi-classify", str(first), str(second), f"--server={_address(server)}",
       "--model_name=texture", "--top_k=2"],
      capture_output=True, text=True, timeout=120)
  assert finished.returncode == 0, finished.stderr
  lines = finished.stdout.strip().splitlines()
  assert lines == [f"{first}: dotted 0.700, banded 0.200",
                   f"{second}: banded 0.600, striped 0.300"]
  sent = server.requests[0]["body"]["instances"]
  assert base64.b64decode(sent[1]["image_bytes"]["b64"]) == b"\x89PNG two"


def test_images_go_in_bounded_batches(server):
  server.reply = (200, {"predictions": ANSWER["predictions"][:1]})
  predictions = serving_client.RestClient(
      _address(server), "texture", batch_size=1).classify([b"a", b"b", b"c"])
  assert len(predictions) == 3
  assert [len(r["body"]["instances"]) for r in server.requests] == [1, 1, 1]
  server.requests.clear()
  serving_client.RestClient(_address(server), "texture",
                            batch_size=1).classify([b"a"])
  assert len(server.requests) == 1


def test_an_answer_of_the_wrong_length_is_refused(server):
  server.reply = (200, {"predictions": ANSWER["predictions"][:1]})
  with pytest.raises(errors.ArgumentError, match="1 predictions for 2"):
    serving_client.RestClient(_address(server), "texture").classify([b"a",
                                                                     b"b"])


def test_an_oversized_answer_is_refused(server, monkeypatch):
  monkeypatch.setattr(serving_client, "MAX_RESPONSE_BYTES", 100)
  server.reply = (200, b"[" + b" " * 200 + b"]")
  with pytest.raises(errors.ArgumentError, match="more than 100 bytes"):
    serving_client.RestClient(_address(server), "texture").classify([b"a"])


@pytest.mark.parametrize("address", ["file:///etc/passwd", "ftp://host/x",
                                     "localhost:8501", "http://"])
def test_only_http_and_https_addresses_are_taken(address):
  with pytest.raises(errors.ArgumentError, match="http:// or https://"):
    serving_client.RestClient(address, "texture")


class _Redirect(http.server.BaseHTTPRequestHandler):

  def do_POST(self):  # pylint: disable=invalid-name
    self.send_response(302)
    self.send_header("Location", "ftp://127.0.0.1/answer.json")
    self.end_headers()

  def log_message(self, *args):
    del args


def test_a_redirect_away_from_http_is_refused():
  httpd = http.server.HTTPServer(("127.0.0.1", 0), _Redirect)
  threading.Thread(target=httpd.serve_forever, daemon=True).start()
  try:
    with pytest.raises(errors.ArgumentError, match="redirected to ftp:"):
      serving_client.RestClient(_address(httpd), "texture").classify([b"a"])
  finally:
    httpd.shutdown()
    httpd.server_close()


_OUTPUTS = {"class_names": tf.string, "class_ids": tf.int32,
            "scores": tf.float32, "probabilities": tf.float32}


@pytest.fixture
def grpc_server():
  with fake_serving.grpc_service(lambda request: fake_serving.tensors(
      ANSWER["predictions"][:len(request.inputs["image_bytes"].string_val)],
      _OUTPUTS)) as service:
    yield service


def test_grpc_request_names_model_version_signature_and_images(grpc_server):
  images = [b"\xff\xd8\xff first", b"\x89PNG second", b"BM third"]
  client = grpc_client.GrpcClient(grpc_server.address, "texture", 4,
                                  batch_size=2)
  predictions = client.classify(images)
  client.close()
  first, second = grpc_server.requests
  assert first.model_spec.name == "texture"
  assert first.model_spec.version.value == 4
  assert first.model_spec.signature_name == "serving_default"
  assert list(first.inputs["image_bytes"].string_val) == images[:2]
  assert list(second.inputs["image_bytes"].string_val) == images[2:]
  assert [p.top(2) for p in predictions] == [
      [("dotted", pytest.approx(0.7)), ("banded", pytest.approx(0.2))],
      [("banded", pytest.approx(0.6)), ("striped", pytest.approx(0.3))],
      [("dotted", pytest.approx(0.7)), ("banded", pytest.approx(0.2))]]
  assert predictions[1].class_ids == (0, 2, 1)


def test_grpc_errors_are_one_clear_error(grpc_server):
  grpc_server.error = (grpc.StatusCode.INVALID_ARGUMENT, "cannot decode image")
  client = grpc_client.GrpcClient(grpc_server.address, "texture")
  with pytest.raises(errors.ArgumentError,
                     match="INVALID_ARGUMENT: cannot decode image"):
    client.classify([b"a"])
  with pytest.raises(errors.ArgumentError, match="grpc://HOST:PORT"):
    grpc_client.GrpcClient("grpc://localhost", "texture")
  unreachable = grpc_client.GrpcClient("grpc://127.0.0.1:1", "texture",
                                       timeout=5)
  with pytest.raises(errors.ArgumentError,
                     match="cannot reach|no complete answer from grpc:"):
    unreachable.classify([b"a"])


@pytest.mark.slow
def test_fmi_classify_over_grpc_prints_the_top_classes(grpc_server, tmp_path):
  image = tmp_path / "one.jpg"
  image.write_bytes(b"\xff\xd8\xff one")
  finished = subprocess.run(
      ["fmi-classify", str(image), f"--server={grpc_server.address}",
       "--model_name=texture", "--top_k=2"],
      capture_output=True, text=True, timeout=120)
  assert finished.returncode == 0, finished.stderr
  assert finished.stdout.strip() == f"{image}: dotted 0.700, banded 0.200"
  assert grpc_server.requests[0].model_spec.name == "texture"


def test_connect_picks_the_client_by_the_address_scheme(server, grpc_server):
  images = [b"\xff\xd8\xff first", b"\x89PNG second"]
  rest = fmi_tf.connect(_address(server), model_name="tex", version=3)
  assert [p.describe(2) for p in rest.classify(images)] == [
      "dotted 0.700, banded 0.200", "banded 0.600, striped 0.300"]
  assert server.requests[0]["path"] == "/v1/models/tex/versions/3:predict"
  served = fmi_tf.connect("GRPC" + grpc_server.address[len("grpc"):])
  assert served.classify(images[:1])[0].describe(1) == "dotted 0.700"
  assert grpc_server.requests[0].model_spec.name == "texture"


def test_connect_runs_a_saved_model_in_process(tmp_path):
  with pytest.raises(errors.ArgumentError, match="no saved_model.pb in"):
    fmi_tf.connect(saved_model=tmp_path)


@pytest.mark.parametrize("arguments, message", [
    ({}, "exactly one of server, saved_model"),
    ({"server": "http://127.0.0.1:1", "saved_model": "exports/texture/1"},
     "exactly one of server, saved_model"),
    ({"server": "ftp://127.0.0.1:1"}, "no grpc://HOST:PORT, http:// or"),
    ({"server": "127.0.0.1:8501"}, "no grpc://HOST:PORT, http:// or"),
    ({"server": "grpc://127.0.0.1"}, "grpc://HOST:PORT: the port"),
    ({"server": "http://127.0.0.1:1", "version": 0}, "version must be"),
    ({"server": "http://127.0.0.1:1", "model_name": ""}, "model_name must"),
    ({"server": "http://127.0.0.1:1", "timeout": -1}, "timeout must be"),
])
def test_connect_refuses_bad_targets_in_one_line(arguments, message):
  with pytest.raises(errors.ArgumentError, match=message) as raised:
    fmi_tf.connect(**arguments)
  assert "\n" not in str(raised.value)

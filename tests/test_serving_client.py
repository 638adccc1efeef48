"""The TF Serving REST client against a loopback server playing its format."""

import base64
import http.server
import json
import subprocess
import threading

import pytest

from fmi_tf import errors
from fmi_tf.serving import client as serving_client

# The documented row-format answer of a model with several named outputs.
ANSWER = {"predictions": [
    {"scores": [0.5, 2.5, -1.0], "class_ids": [1, 0, 2],
     "class_names": ["dotted", "banded", "striped"]},
    {"scores": [3.0, 0.0, 1.0], "class_ids": [0, 2, 1],
     "class_names": ["banded", "striped", "dotted"]},
]}


class _Recorder(http.server.BaseHTTPRequestHandler):
  """Records each POST and answers with the server's canned reply."""

  def do_POST(self):  # pylint: disable=invalid-name
    body = self.rfile.read(int(self.headers["Content-Length"]))
    self.server.requests.append({
        "path": self.path, "content_type": self.headers["Content-Type"],
        "body": json.loads(body)})
    status, reply = self.server.reply
    data = json.dumps(reply).encode()
    self.send_response(status)
    self.send_header("Content-Type", "application/json")
    self.send_header("Content-Length", str(len(data)))
    self.end_headers()
    self.wfile.write(data)

  def log_message(self, *args):
    del args


@pytest.fixture
def server():
  httpd = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
  httpd.requests = []
  httpd.reply = (200, ANSWER)
  thread = threading.Thread(target=httpd.serve_forever, daemon=True)
  thread.start()
  yield httpd
  httpd.shutdown()
  httpd.server_close()


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
  assert predictions[0].top(2) == [("dotted", 2.5), ("banded", 0.5)]
  assert predictions[1].top(1) == [("banded", 3.0)]
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
       "--model=texture", "--top_k=2"],
      capture_output=True, text=True, timeout=120)
  assert finished.returncode == 0, finished.stderr
  lines = finished.stdout.strip().splitlines()
  assert lines == [f"{first}: dotted 2.500, banded 0.500",
                   f"{second}: banded 3.000, striped 1.000"]
  sent = server.requests[0]["body"]["instances"]
  assert base64.b64decode(sent[1]["image_bytes"]["b64"]) == b"\x89PNG two"

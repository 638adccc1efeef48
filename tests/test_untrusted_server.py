"""Clients against loopback servers that misbehave: each answer is one error.

A raw TCP server on 127.0.0.1 reads each request and sends a canned reply,
byte for byte, so that HTTP itself can be broken; every test is bounded in
time by the client's own timeout.
"""

import json
import socket
import threading
import time

import pytest
import tensorflow as tf

from fmi_tf import errors
from fmi_tf.serving import client as serving_client
from fmi_tf.serving import deadline
from fmi_tf.serving import grpc_client
from tests import fake_serving
from tests import tool_runs

ROW = {"class_names": ["dotted", "banded", "striped"], "class_ids": [1, 0, 2],
       "scores": [0.7, 0.2, 0.1], "probabilities": [0.2, 0.7, 0.1]}
OTHER_ROW = {"class_names": ["banded", "striped", "dotted"],
             "class_ids": [0, 2, 1], "scores": [0.6, 0.3, 0.1]}


def http(body: bytes, status: str = "200 OK", headers: bytes = b"") -> bytes:
  return (f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
          f"Content-Length: {len(body)}\r\n").encode() + headers + b"\r\n" + body


def answer(*rows, status="200 OK") -> bytes:
  return http(json.dumps({"predictions": list(rows)}).encode(), status)


def row(**changes) -> dict:
  return {**ROW, **changes}


class RawServer:
  """Answers every request on 127.0.0.1 with `reply` (bytes, or a function
  of the socket that writes it), after `delay` seconds."""

  def __init__(self):
    self.reply = answer(ROW)
    self.delay = 0.0
    self.requests = 0
    self._listener = socket.create_server(("127.0.0.1", 0))
    self._listener.settimeout(0.2)
    self.port = self._listener.getsockname()[1]
    self.url = f"http://127.0.0.1:{self.port}"
    self._stop = threading.Event()
    self._thread = threading.Thread(target=self._serve, daemon=True)
    self._thread.start()

  def _serve(self):
    while not self._stop.is_set():
      try:
        connection, _ = self._listener.accept()
      except socket.timeout:
        continue
      threading.Thread(target=self._answer, args=(connection,),
                       daemon=True).start()

  def _answer(self, connection):
    with connection:
      connection.settimeout(10)
      try:
        if self._read_request(connection):
          self.requests += 1
          time.sleep(self.delay)
          if callable(self.reply):
            self.reply(connection, self._stop)
            return
          connection.sendall(self.reply)
          return
      except OSError:
        pass  # The client hung up, as it should at its deadline.

  @staticmethod
  def _read_request(connection) -> bool:
    data = b""
    while b"\r\n\r\n" not in data:
      chunk = connection.recv(65536)
      if not chunk:
        return False
      data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
      name, _, value = line.partition(b":")
      if name.strip().lower() == b"content-length":
        length = int(value)
    while len(body) < length:
      body += connection.recv(65536)
    return True

  def close(self):
    self._stop.set()
    self._thread.join()
    self._listener.close()


@pytest.fixture
def raw_server():
  server = RawServer()
  yield server
  server.close()


def _redirect_to_itself(server):
  return (f"HTTP/1.1 302 Found\r\nLocation: {server.url}/v1/models/texture:"
          "predict\r\nContent-Length: 0\r\n\r\n").encode()


def _drip(prefix: bytes):
  """A reply that sends prefix, then one byte a second until stopped."""
  def send(connection, stop):
    connection.sendall(prefix)
    while not stop.wait(1.0):
      connection.sendall(b"x")
  return send


_NESTED = b"[" * 200000 + b"]" * 200000
_CASES = {
    "null": (http(b"null"), "JSON that is not an object: None"),
    "number": (http(b"42"), "JSON that is not an object: 42"),
    "string": (http(b'"fine"'), "JSON that is not an object: 'fine'"),
    "list on 400": (http(b"[]", "400 Bad Request"),
                    "JSON that is not an object: []"),
    "no predictions": (http(b"{}"), "answered no predictions"),
    "predictions no list": (http(b'{"predictions": {"a": 1}}'),
                            "predictions that are no list"),
    "text scores": (answer(row(scores=["a", "b", "c"])),
                    "scores are not probabilities"),
    "infinite scores": (http(b'{"predictions": [{"class_names": ["a", "b"], '
                             b'"class_ids": [0, 1], "scores": [Infinity, 0]}'
                             b']}'), "scores are not probabilities: [inf"),
    "NaN scores": (http(b'{"predictions": [{"class_names": ["a", "b"], '
                        b'"class_ids": [0, 1], "scores": [NaN, 0.5]}]}'),
                   "scores are not probabilities: [nan"),
    "scores over 1": (answer(row(scores=[1.5, 0.2, 0.1])),
                      "scores are not probabilities"),
    "scores unranked": (answer(row(scores=[0.1, 0.2, 0.7])),
                        "scores are not ranked"),
    "scores not summing to 1": (answer(row(scores=[0.3, 0.2, 0.1])),
                                "scores sum to 0.6"),
    "boolean scores": (answer(row(scores=[True, False, False])),
                       "scores are not probabilities"),
    "repeated ids": (answer(row(class_ids=[0, 0, 1])),
                     "class_ids are not each of 0..2 once"),
    "names no strings": (answer(row(class_names=[1, 2, 3])),
                         "class_names are not all strings"),
    "fewer classes in a row": (answer(ROW, row(class_names=["a", "b"])),
                               "prediction 1 whose class_names is no list",
                               2),
    "other classes in a row": (answer(ROW, row(class_names=["x", "y", "z"])),
                               "class ids name other classes", 2),
    "row no object": (answer(ROW, 7), "prediction 1 that is no object", 2),
    "missing output": (answer({"class_names": ["a"], "class_ids": [0]}),
                       "lacks scores"),
    "probabilities off": (answer(row(probabilities=[0.7, 0.2, 0.1])),
                          "probabilities are not its scores"),
    "too few predictions": (answer(), "0 predictions for 1 images"),
    "deep nesting": (http(_NESTED), "JSON nested too deeply"),
    "not JSON": (http(b"<html>oops</html>"), "answered no JSON"),
    "not UTF-8": (http(b"\xff\xfe\xfa{"), "answered no JSON"),
    "HTML error page": (http(b"<html>down</html>", "502 Bad Gateway"),
                        "answered HTTP 502 Bad Gateway"),
    "multi-line error": (http(b'{"error": "first\\nsecond\\n\\tthird"}',
                              "400 Bad Request"),
                         "answered an error: first second third"),
    "garbage status line": (b"garbage\r\n\r\n", "no HTTP/1.x status line"),
    "HTTP/0.9": (b'{"predictions": []}', "no HTTP/1.x status line"),
    "bad chunk": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                  b"zz\r\nnull\r\n0\r\n\r\n", "broke off its answer"),
    "short body": (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{}",
                   "broke off its answer"),
    "101 headers": (http(b"{}", headers=b"".join(
        b"X-%d: y\r\n" % i for i in range(101))), "more than 100 headers"),
    "70 KB header": (http(b"{}", headers=b"X-Big: " + b"y" * 70000 + b"\r\n"),
                     "got more than 65536 bytes"),
    "closed without answer": (b"", "closed the connection"),
    "redirect loop": (_redirect_to_itself, "redirected in a loop"),
}


@pytest.mark.parametrize("case", sorted(_CASES))
def test_each_misbehaviour_is_one_error_naming_the_server(raw_server, case):
  reply, phrase, images = (*_CASES[case], 1)[:3]
  raw_server.reply = reply(raw_server) if callable(reply) else reply
  client = serving_client.RestClient(raw_server.url, "texture", timeout=10)
  started = time.monotonic()
  with pytest.raises(errors.ArgumentError) as failed:
    client.classify([b"\x89PNG image"] * images)
  message = str(failed.value)
  assert raw_server.url in message, message
  assert phrase in message, message
  assert "\n" not in message
  assert time.monotonic() - started < 10


def test_a_well_behaved_answer_still_passes(raw_server):
  raw_server.reply = answer(ROW, OTHER_ROW)
  predictions = serving_client.RestClient(
      raw_server.url, "texture", timeout=10).classify([b"a", b"b"])
  assert [p.top(1) for p in predictions] == [[("dotted", 0.7)],
                                             [("banded", 0.6)]]


@pytest.mark.parametrize("prefix", [
    b"H", b"HTTP/1.1 200 OK\r\nContent-Len",
    b"HTTP/1.1 200 OK\r\nContent-Length: 900\r\n\r\n{\"predictions\": "])
def test_a_server_dripping_bytes_is_cut_off_at_the_deadline(raw_server,
                                                            prefix):
  raw_server.reply = _drip(prefix)
  started = time.monotonic()
  with pytest.raises(errors.ArgumentError,
                     match=r"no complete answer from http://127.0.0.1:\d+/v1/"
                     r"models/texture:predict within the timeout of 2.5 s"):
    serving_client.RestClient(raw_server.url, "texture",
                              timeout=2.5).classify([b"a"])
  assert 2.5 <= time.monotonic() - started < 4.5


def test_the_deadline_covers_all_the_batches(raw_server):
  raw_server.reply = answer(ROW)
  raw_server.delay = 0.5
  client = serving_client.RestClient(raw_server.url, "texture", timeout=3,
                                     batch_size=1)
  assert len(client.classify([b"a", b"b"])) == 2
  started = time.monotonic()
  with pytest.raises(errors.ArgumentError, match="timeout of 3 s"):
    client.classify([b"a"] * 10)
  assert 3 <= time.monotonic() - started < 4.5
  assert raw_server.requests < 2 + 10


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), float("inf"), 1e9,
                                     "5", True])
def test_a_timeout_must_be_a_sane_number_of_seconds(timeout):
  with pytest.raises(errors.ArgumentError, match="timeout must be"):
    serving_client.RestClient("http://127.0.0.1:1", "texture",
                              timeout=timeout)
  with pytest.raises(errors.ArgumentError, match="timeout must be"):
    grpc_client.GrpcClient("grpc://127.0.0.1:1", "texture", timeout=timeout)
  assert deadline.check_seconds(deadline.DEFAULT_SECONDS) == 60


@pytest.mark.parametrize("address,phrase", [
    ("http://[::1", "Invalid IPv6 URL"),
    ("http://[::zz]:8501", "IPv6"),
    ("http://::1:8501", "in brackets"),
    ("http://host:99999", "Port out of range"),
    ("http://host:0", "the port must be 1 to 65535"),
    ("http://host:port", "Port could not be cast to integer"),
    ("http://host:-1", "Port"),
    ("http://ho st:8501", "spaces or control characters"),
    ("http://host\n:8501", "spaces or control characters"),
    ("http://:8501", "names no host"),
    ("http://host:8501?x=1", "query"),
    ("grpc://host:8500", "http:// or https://"),
])
def test_malformed_rest_addresses_are_refused(address, phrase):
  with pytest.raises(errors.ArgumentError) as refused:
    serving_client.RestClient(address, "texture")
  assert phrase in str(refused.value)
  assert "\n" not in str(refused.value)


@pytest.mark.parametrize("address,phrase", [
    ("grpc://[::1:8500", "Invalid IPv6 URL"),
    ("grpc://::1:8500", "in brackets"),
    ("grpc://host:70000", "Port out of range"),
    ("grpc://host:abc", "Port could not be cast to integer"),
    ("grpc://host", "the port must be 1 to 65535"),
    ("grpc://host:8500/path", "it has a path"),
    ("http://host:8500", "grpc://"),
])
def test_malformed_grpc_addresses_are_refused(address, phrase):
  with pytest.raises(errors.ArgumentError) as refused:
    grpc_client.GrpcClient(address, "texture")
  assert phrase in str(refused.value)


def test_an_ipv6_address_in_brackets_is_taken(raw_server):
  del raw_server
  rest = serving_client.RestClient("http://[::1]:8501/", "a b")
  assert rest.url == "http://[::1]:8501/v1/models/a%20b:predict"
  assert grpc_client.GrpcClient("grpc://[::1]:8500", "t").address == \
      "[::1]:8500"


@pytest.fixture
def service():
  with fake_serving.grpc_service({}) as servicer:
    yield servicer


_GOOD = {"class_names": ([ROW["class_names"]], tf.string),
         "class_ids": ([ROW["class_ids"]], tf.int32),
         "scores": ([ROW["scores"]], tf.float32)}


@pytest.mark.parametrize("outputs,phrase", [
    ({**_GOOD, "scores": ([[float("inf"), 0.2, 0.1]], tf.float32)},
     "scores are not probabilities"),
    ({**_GOOD, "scores": ([[0.7, 0.2, float("nan")]], tf.float32)},
     "scores are not probabilities"),
    ({**_GOOD, "scores": ([0.7, 0.2, 0.1], tf.float32)},
     "scores of shape [3], not [images, classes]"),
    ({**_GOOD, "class_ids": ([[0, 0, 1]], tf.int32)}, "class_ids are not"),
    ({**_GOOD, "class_names": ([[b"\xff", b"b", b"c"]], tf.string)},
     "no UTF-8 strings"),
    ({**_GOOD, "class_ids": ([[1, 0, 2], [1, 0, 2]], tf.int32)},
     "different batch sizes"),
    ({"class_names": _GOOD["class_names"]}, "answered no class_ids, scores"),
])
def test_grpc_answers_are_checked_like_rest_ones(service, outputs, phrase):
  service.outputs = outputs
  client = grpc_client.GrpcClient(service.address, "texture", timeout=10)
  with pytest.raises(errors.ArgumentError) as failed:
    client.classify([b"a"])
  client.close()
  assert service.address in str(failed.value)
  assert phrase in str(failed.value)


def test_grpc_deadline_covers_all_the_calls(service):
  service.outputs = _GOOD
  service.delay = 0.5
  client = grpc_client.GrpcClient(service.address, "texture", timeout=3,
                                  batch_size=1)
  assert [p.top(1) for p in client.classify([b"a", b"b"])] == [
      [("dotted", pytest.approx(0.7))]] * 2
  started = time.monotonic()
  with pytest.raises(errors.ArgumentError,
                     match="no complete answer from grpc://.* within the "
                     "timeout of 3 s"):
    client.classify([b"a"] * 10)
  client.close()
  assert time.monotonic() - started < 4.5
  assert len(service.requests) < 2 + 10


def test_grpc_to_a_server_dripping_bytes_is_cut_off(raw_server):
  raw_server.reply = _drip(b"\0")
  address = f"grpc://127.0.0.1:{raw_server.port}"
  client = grpc_client.GrpcClient(address, "texture", timeout=2)
  started = time.monotonic()
  with pytest.raises(errors.ArgumentError, match=address):
    client.classify([b"a"])
  client.close()
  assert time.monotonic() - started < 4


@pytest.mark.slow
@pytest.mark.parametrize("flags,phrase", [
    (["--server=http://[::1"], "Invalid IPv6 URL"),
    (["--server=http://localhost:99999"], "Port out of range"),
    (["--server=http://localhost:http"], "Port could not be cast"),
    (["--server=grpc://[::1:8500"], "Invalid IPv6 URL"),
    (["--server=grpc://localhost:65536"], "Port out of range"),
    (["--server=grpc://localhost:grpc"], "Port could not be cast"),
    (["--server=http://127.0.0.1:1", "--timeout=nan"],
     "--timeout=nan: must be a finite number"),
    (["--server=grpc://127.0.0.1:1", "--timeout=0"], "timeout must be"),
    ("null", "JSON that is not an object"),
    ("redirect loop", "redirected in a loop"),
    ("drip", "within the timeout of 2 s"),
])
def test_fmi_classify_fails_in_one_line(raw_server, tmp_path, flags, phrase):
  image = tmp_path / "one.png"
  image.write_bytes(b"\x89PNG one")
  if isinstance(flags, str):
    replies = {"null": http(b"null"), "drip": _drip(b"HTTP/1.1 200 OK\r\n"),
               "redirect loop": _redirect_to_itself(raw_server)}
    raw_server.reply = replies[flags]
    flags = [f"--server={raw_server.url}", "--timeout=2"]
  finished = tool_runs.run_tool("fmi-classify", str(image), *flags,
                                timeout=120)
  tool_runs.assert_one_line_error(finished, "fmi-classify", phrase)

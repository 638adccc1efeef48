"""Stand-ins for TF Serving in the client tests: a REST server and a gRPC
PredictionService, each on a free local port, that record the requests and
answer what the test sets."""

import contextlib
from concurrent import futures
import http.server
import json
import threading
import time

import grpc
import tensorflow as tf
from tensorflow_serving.apis import predict_pb2
from tensorflow_serving.apis import prediction_service_pb2_grpc


class _JsonHandler(http.server.BaseHTTPRequestHandler):
  """Records each POST in `server.requests` and answers `server.reply`."""

  def do_POST(self):  # pylint: disable=invalid-name
    body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
    self.server.requests.append({
        "path": self.path, "content_type": self.headers["Content-Type"],
        "body": body})
    status, reply = self.server.reply
    if callable(reply):
      reply = reply(body)
    data = reply if isinstance(reply, bytes) else json.dumps(reply).encode()
    self.send_response(status)
    self.send_header("Content-Type", "application/json")
    self.send_header("Content-Length", str(len(data)))
    self.end_headers()
    self.wfile.write(data)

  def log_message(self, *args):
    del args


@contextlib.contextmanager
def rest_server(reply):
  """An HTTP server answering every POST with `reply`.

  Args:
    reply: (status, answer): JSON, raw bytes, or a function of the
      request's JSON body giving either; a test may set `reply` later.

  Yields:
    The server: its `address` (http://127.0.0.1:PORT) and `requests`, each
    {"path", "content_type", "body"}.
  """
  httpd = http.server.HTTPServer(("127.0.0.1", 0), _JsonHandler)
  httpd.requests, httpd.reply = [], reply
  httpd.address = f"http://127.0.0.1:{httpd.server_address[1]}"
  threading.Thread(target=httpd.serve_forever, daemon=True).start()
  try:
    yield httpd
  finally:
    httpd.shutdown()
    httpd.server_close()


def tensors(rows, dtypes) -> dict:
  """The outputs of a signature's rows: {name: (values over rows, dtype)}
  for each name of `dtypes`."""
  return {name: ([row[name] for row in rows], dtype)
          for name, dtype in dtypes.items()}


class PredictionService(prediction_service_pb2_grpc.PredictionServiceServicer):
  """Plays TF Serving's Predict.

  Records each request in `requests`, aborts with `error` (a status code
  and a message) when set, waits `delay` seconds, then answers `outputs`:
  {name: (values, dtype)}, or a function of the request giving them.
  """

  def __init__(self, outputs):
    self.requests = []
    self.error = None
    self.delay = 0.0
    self.outputs = outputs

  def Predict(self, request, context):  # pylint: disable=invalid-name
    self.requests.append(request)
    if self.error:
      context.abort(*self.error)
    time.sleep(self.delay)
    outputs = self.outputs(request) if callable(self.outputs) else (
        self.outputs)
    response = predict_pb2.PredictResponse()
    response.model_spec.CopyFrom(request.model_spec)
    for name, (values, dtype) in outputs.items():
      response.outputs[name].CopyFrom(tf.make_tensor_proto(values,
                                                           dtype=dtype))
    return response


@contextlib.contextmanager
def grpc_service(outputs):
  """A gRPC server of a `PredictionService` answering `outputs`.

  Yields:
    The service, its `address` grpc://127.0.0.1:PORT.
  """
  server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
  service = PredictionService(outputs)
  prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(
      service, server)
  service.address = (
      f"grpc://127.0.0.1:{server.add_insecure_port('127.0.0.1:0')}")
  server.start()
  try:
    yield service
  finally:
    server.stop(grace=None)

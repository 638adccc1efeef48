"""A client of TF Serving's gRPC PredictionService for the end-to-end model.

`grpc://HOST:8500` (TF Serving's default gRPC port) names the server. Each
request is a `tensorflow.serving.PredictRequest` of the model (and version)
with the `image_bytes` input, a [B] string tensor of encoded images, sent in
batches of at most `batch_size`; the answer's `class_names`, `class_ids` and
`scores` outputs (and `probabilities`) are checked as the REST client checks
them (`predictions.from_rows`) and read into one `predictions.Prediction`
per image; `explain` asks the explain signature and reads its outputs as
`explanations.ServedExplanation`s. Messages are bounded by `client.MAX_RESPONSE_BYTES` each way, and
all the calls of one `classify` by its `timeout` (`deadline`).
"""

from typing import Optional, Sequence

import grpc
import tensorflow as tf
from tensorflow_serving.apis import predict_pb2
from tensorflow_serving.apis import prediction_service_pb2_grpc

from fmi_tf import errors
from fmi_tf.serving import client
from fmi_tf.serving import deadline as deadlines
from fmi_tf.serving import explanations as explained
from fmi_tf.serving import predictions as checked

SCHEME = client.GRPC_SCHEME
_OPTIONAL = ("probabilities",)


def predict_request(images: Sequence[bytes], model: str,
                    version: Optional[int] = None,
                    signature: str = client.SIGNATURE
                    ) -> predict_pb2.PredictRequest:
  """The PredictRequest of encoded images for the end-to-end model."""
  request = predict_pb2.PredictRequest()
  request.model_spec.name = model
  request.model_spec.signature_name = signature
  if version is not None:
    request.model_spec.version.value = version
  request.inputs["image_bytes"].CopyFrom(
      tf.make_tensor_proto(list(images), dtype=tf.string))
  return request


_DIMENSIONS = {name: 2 for name in checked.OUTPUTS + _OPTIONAL}
_EXPLAIN_DIMENSIONS = {name: 1 for name in explained.OUTPUTS[:3]} | {
    name: 2 for name in explained.OUTPUTS[3:]}


def _rows(response: predict_pb2.PredictResponse, source: str,
          dimensions: dict = None, optional: tuple = _OPTIONAL) -> list:
  """The outputs of a PredictResponse as row dicts of lists, per image.

  Args:
    response: the answer.
    source: the server, for messages.
    dimensions: {output: its number of dimensions}, [B] or [B, K]; by
      default serving_default's.
    optional: the outputs that may be missing.

  Raises:
    ArgumentError: if an output is missing or not of its shape.
  """
  dimensions = dimensions or _DIMENSIONS
  missing = [name for name in dimensions
             if name not in response.outputs and name not in optional]
  if missing:
    raise errors.ArgumentError(
        f"{source} answered no {', '.join(missing)}")
  columns = {}
  for name, ndim in dimensions.items():
    if name not in response.outputs:
      continue
    try:
      array = tf.make_ndarray(response.outputs[name])
    except (ValueError, TypeError) as e:
      raise errors.ArgumentError(
          f"{source} answered a malformed {name} tensor: "
          f"{client.one_line(e)}") from None
    if array.ndim != ndim:
      raise errors.ArgumentError(
          f"{source} answered {name} of shape {list(array.shape)}, not "
          f"{'[images, classes]' if ndim == 2 else '[images]'}")
    if array.dtype == object:
      try:
        array = client.decode_strings(array.tolist())
      except UnicodeDecodeError:
        raise errors.ArgumentError(
            f"{source} answered {name} that are no UTF-8 strings") from None
    else:
      array = array.tolist()
    columns[name] = array
  images = {len(column) for column in columns.values()}
  if len(images) != 1:
    raise errors.ArgumentError(
        f"{source} answered outputs of different batch sizes")
  return [dict(zip(columns, values)) for values in zip(*columns.values())]


def parse_response(response: predict_pb2.PredictResponse, images: int,
                   source: str) -> list[checked.Prediction]:
  """Reads and checks the ranked outputs of a PredictResponse.

  Raises:
    ArgumentError: if an output is missing or not of the signature's shape.
  """
  return checked.from_rows(_rows(response, source), images, source)


def parse_explanations(response: predict_pb2.PredictResponse, images: int,
                       source: str) -> list[explained.ServedExplanation]:
  """Reads and checks the outputs of the explain signature.

  Raises:
    ArgumentError: if an output is missing or not of the signature's shape.
  """
  return explained.from_rows(_rows(response, source, _EXPLAIN_DIMENSIONS, ()),
                             images, source)


class GrpcClient:
  """Classifies images through TF Serving's gRPC API."""

  def __init__(self, server: str, model: str,
               version: Optional[int] = None,
               timeout: float = deadlines.DEFAULT_SECONDS,
               batch_size: int = client.BATCH_SIZE):
    """Opens a channel to `grpc://HOST:PORT`.

    Args:
      server: `grpc://HOST:PORT` (`grpc://[::1]:8500` for IPv6).
      model: the served model's name.
      version: the served version, or None for the latest.
      timeout: seconds all the calls of one `classify` may take.
      batch_size: the most images per call.

    Raises:
      ArgumentError: for another address or a bad timeout.
    """
    parsed = client.split_server(server, (SCHEME,), "grpc://HOST:PORT",
                                 port_required=True)
    if parsed.path.strip("/"):
      raise errors.ArgumentError(
          f"server address {server!r} is no grpc://HOST:PORT: it has a path")
    self.address = parsed.netloc
    self.source = f"{SCHEME}://{self.address}"
    self.model = model
    self.version = version
    self.timeout = deadlines.check_seconds(timeout)
    self.batch_size = batch_size
    self._channel = grpc.insecure_channel(self.address, options=[
        ("grpc.max_receive_message_length", client.MAX_RESPONSE_BYTES),
        ("grpc.max_send_message_length", client.MAX_RESPONSE_BYTES)])
    self._stub = prediction_service_pb2_grpc.PredictionServiceStub(
        self._channel)

  def classify(self, images: Sequence[bytes],
               signature: str = client.SIGNATURE) -> list[checked.Prediction]:
    """Sends predict requests of bounded batches; a prediction per image.

    Raises:
      ArgumentError: if the server cannot be reached or answers an error.
    """
    return self._run(images, signature, parse_response)

  def explain(self, images: Sequence[bytes]
              ) -> list[explained.ServedExplanation]:
    """Asks the explain signature: each image's class and ranked filters.

    Raises:
      ArgumentError: as `classify`, or if the model has no explain
        signature.
    """
    return self._run(images, explained.SIGNATURE, parse_explanations)

  def _run(self, images: Sequence[bytes], signature: str, parse) -> list:
    answered = []
    deadline = deadlines.Deadline(self.timeout, self.source)
    for batch in client.batches(images, self.batch_size):
      request = predict_request(batch, self.model, self.version, signature)
      try:
        response = self._stub.Predict(request, timeout=deadline.remaining())
      except grpc.RpcError as e:
        if e.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
          raise deadline.error() from None
        if e.code() == grpc.StatusCode.UNAVAILABLE:
          raise errors.ArgumentError(
              f"cannot reach {self.source}: {client.one_line(e.details())}"
          ) from None
        if (signature == explained.SIGNATURE
            and explained.lacks_signature(e.details() or "")):
          raise explained.no_explain_signature(
              f"{self.source} model {self.model}") from None
        raise errors.ArgumentError(
            f"{self.source} answered an error: {e.code().name}: "
            f"{client.one_line(e.details())}") from None
      answered.extend(parse(response, len(batch), self.source))
    return answered

  def close(self) -> None:
    self._channel.close()

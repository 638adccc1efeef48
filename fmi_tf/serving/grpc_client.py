"""A client of TF Serving's gRPC PredictionService for the end-to-end model.

`grpc://HOST:8500` (TF Serving's default gRPC port) names the server. Each
request is a `tensorflow.serving.PredictRequest` of the model (and version)
with the `image_bytes` input, a [B] string tensor of encoded images, sent in
batches of at most `batch_size`; the answer's `class_names`, `class_ids` and
`scores` outputs are read into one `client.Prediction` per image. Messages
are bounded by `client.MAX_RESPONSE_BYTES` each way.
"""

from typing import Optional, Sequence
import urllib.parse

import grpc
import numpy as np
import tensorflow as tf
from tensorflow_serving.apis import predict_pb2
from tensorflow_serving.apis import prediction_service_pb2_grpc

from fmi_tf import errors
from fmi_tf.serving import client

SCHEME = "grpc"
_OUTPUTS = ("class_names", "class_ids", "scores")


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


def parse_response(response: predict_pb2.PredictResponse
                   ) -> list[client.Prediction]:
  """Reads the ranked outputs of a PredictResponse.

  Raises:
    ArgumentError: if an output is missing.
  """
  missing = [name for name in _OUTPUTS if name not in response.outputs]
  if missing:
    raise errors.ArgumentError(
        f"unexpected predict response, missing {', '.join(missing)}")
  names, ids, scores = (tf.make_ndarray(response.outputs[name])
                        for name in _OUTPUTS)
  return [client.Prediction(tuple(n.decode("utf8") for n in row_names),
                            tuple(int(i) for i in row_ids),
                            tuple(float(s) for s in np.asarray(row_scores)))
          for row_names, row_ids, row_scores in zip(names, ids, scores)]


class GrpcClient:
  """Classifies images through TF Serving's gRPC API."""

  def __init__(self, server: str, model: str,
               version: Optional[int] = None, timeout: float = 60.0,
               batch_size: int = client.BATCH_SIZE):
    """Opens a channel to `grpc://HOST:PORT`.

    Raises:
      ArgumentError: for another address.
    """
    parsed = urllib.parse.urlparse(server)
    if parsed.scheme != SCHEME or not parsed.hostname or not parsed.port \
        or parsed.path.strip("/"):
      raise errors.ArgumentError(
          f"gRPC server must be grpc://HOST:PORT, not {server!r}")
    self.address = parsed.netloc
    self.model = model
    self.version = version
    self.timeout = timeout
    self.batch_size = batch_size
    self._channel = grpc.insecure_channel(self.address, options=[
        ("grpc.max_receive_message_length", client.MAX_RESPONSE_BYTES),
        ("grpc.max_send_message_length", client.MAX_RESPONSE_BYTES)])
    self._stub = prediction_service_pb2_grpc.PredictionServiceStub(
        self._channel)

  def classify(self, images: Sequence[bytes],
               signature: str = client.SIGNATURE) -> list[client.Prediction]:
    """Sends predict requests of bounded batches; a prediction per image.

    Raises:
      ArgumentError: if the server cannot be reached or answers an error.
    """
    predictions = []
    for batch in client.batches(images, self.batch_size):
      request = predict_request(batch, self.model, self.version, signature)
      try:
        response = self._stub.Predict(request, timeout=self.timeout)
      except grpc.RpcError as e:
        if e.code() in (grpc.StatusCode.UNAVAILABLE,
                        grpc.StatusCode.DEADLINE_EXCEEDED):
          raise errors.ArgumentError(
              f"cannot reach grpc://{self.address}: {e.details()}") from None
        raise errors.ArgumentError(
            f"server error: {e.code().name}: {e.details()}") from None
      answered = parse_response(response)
      if len(answered) != len(batch):
        raise errors.ArgumentError(
            f"grpc://{self.address} answered {len(answered)} predictions for "
            f"{len(batch)} images")
      predictions.extend(answered)
    return predictions

  def close(self) -> None:
    self._channel.close()

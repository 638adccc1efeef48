"""Clients of the exported end-to-end classifier: TF Serving REST, or local.

`RestClient` speaks TF Serving's REST predict API (row format):

  POST <server>/v1/models/<model>[/versions/<version>]:predict
  {"signature_name": "serving_default",
   "instances": [{"image_bytes": {"b64": "<base64 of the file>"}}, ...]}

and reads its documented answer, `{"predictions": [{"class_names": [...],
"class_ids": [...], "scores": [...], ...}, ...]}` (or `{"error": "..."}`).
Only http:// and https:// addresses are taken; images go in batches of at
most `batch_size` per request, and an answer larger than
`MAX_RESPONSE_BYTES` is refused. `grpc_client.GrpcClient` does the same over
TF Serving's gRPC API (`fmi-classify` picks one by the address's scheme:
grpc:// or http(s)://).
`LocalClient` runs a SavedModel export in-process with the same inputs and
outputs. All return one `Prediction` per image.
"""

import base64
import dataclasses
import json
import os
from typing import Optional, Sequence
import urllib.error
import urllib.parse
import urllib.request

from fmi_tf import errors

SIGNATURE = "serving_default"
BATCH_SIZE = 16
MAX_RESPONSE_BYTES = 16 * 2**20


@dataclasses.dataclass(frozen=True)
class Prediction:
  """Classes of one image, best first; the i-th name, id and score align."""
  class_names: tuple[str, ...]
  class_ids: tuple[int, ...]
  scores: tuple[float, ...]

  def top(self, k: int) -> list[tuple[str, float]]:
    """The k best (class name, score) pairs."""
    return list(zip(self.class_names[:k], self.scores[:k]))


def read_images(paths: Sequence[str]) -> list[bytes]:
  """Reads image files as bytes.

  Raises:
    ImageError: if a file cannot be read.
  """
  contents = []
  for path in paths:
    try:
      with open(path, "rb") as f:
        contents.append(f.read())
    except OSError as e:
      raise errors.ImageError(f"cannot read image {path}: {e.strerror}") \
          from None
  return contents


def request_body(images: Sequence[bytes], signature: str = SIGNATURE) -> dict:
  """The JSON body of a row-format predict request for encoded images."""
  return {"signature_name": signature, "instances": [
      {"image_bytes": {"b64": base64.b64encode(data).decode("ascii")}}
      for data in images]}


def batches(images: Sequence[bytes], batch_size: int) -> list:
  """images in consecutive batches of at most batch_size."""
  return [images[i:i + batch_size] for i in range(0, len(images), batch_size)]


def _text(value) -> str:
  return value.decode("utf8") if isinstance(value, bytes) else str(value)


def parse_predictions(response: dict) -> list[Prediction]:
  """Reads `{"predictions": [...]}` of the end-to-end model.

  Raises:
    ArgumentError: for an error response or an unexpected shape.
  """
  if "error" in response:
    raise errors.ArgumentError(f"server error: {response['error']}")
  try:
    return [Prediction(tuple(_text(n) for n in row["class_names"]),
                       tuple(int(i) for i in row["class_ids"]),
                       tuple(float(s) for s in row["scores"]))
            for row in response["predictions"]]
  except (KeyError, TypeError) as e:
    raise errors.ArgumentError(
        f"unexpected predict response, missing {e}") from None


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
  """Follows redirects to http:// and https:// addresses only."""

  def redirect_request(self, req, fp, code, msg, headers, newurl):
    if urllib.parse.urlparse(newurl).scheme not in ("http", "https"):
      raise errors.ArgumentError(f"{req.full_url} redirected to {newurl}, "
                                 "which is no http:// or https:// address")
    return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_HttpOnlyRedirects)


class RestClient:
  """Classifies images through TF Serving's REST API."""

  def __init__(self, server: str, model: str,
               version: Optional[int] = None, timeout: float = 60.0,
               batch_size: int = BATCH_SIZE):
    """Checks the address.

    Raises:
      ArgumentError: unless server is an http:// or https:// address.
    """
    parsed = urllib.parse.urlparse(server)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
      raise errors.ArgumentError(
          f"REST server must be an http:// or https:// address, not "
          f"{server!r}")
    self.url = f"{server.rstrip('/')}/v1/models/{model}"
    if version is not None:
      self.url += f"/versions/{version}"
    self.url += ":predict"
    self.timeout = timeout
    self.batch_size = batch_size

  def classify(self, images: Sequence[bytes],
               signature: str = SIGNATURE) -> list[Prediction]:
    """Sends predict requests of bounded batches; a prediction per image.

    Raises:
      ArgumentError: if the server cannot be reached, answers an error or
        an answer too large.
    """
    return [prediction for batch in batches(images, self.batch_size)
            for prediction in self._predict(batch, signature)]

  def _read(self, answer) -> dict:
    data = answer.read(MAX_RESPONSE_BYTES + 1)
    if len(data) > MAX_RESPONSE_BYTES:
      raise errors.ArgumentError(
          f"{self.url} answered more than {MAX_RESPONSE_BYTES} bytes")
    return json.loads(data)

  def _predict(self, images: Sequence[bytes], signature: str
               ) -> list[Prediction]:
    body = json.dumps(request_body(images, signature)).encode("utf8")
    request = urllib.request.Request(
        self.url, data=body, headers={"Content-Type": "application/json"},
        method="POST")
    try:
      with _OPENER.open(request, timeout=self.timeout) as answer:
        response = self._read(answer)
    except urllib.error.HTTPError as e:
      try:
        response = self._read(e)
      except ValueError:
        raise errors.ArgumentError(
            f"{self.url} answered HTTP {e.code} {e.reason}") from None
    except (urllib.error.URLError, OSError) as e:
      raise errors.ArgumentError(
          f"cannot reach {self.url}: {getattr(e, 'reason', e)}") from None
    except ValueError:
      raise errors.ArgumentError(f"{self.url} answered no JSON") from None
    predictions = parse_predictions(response)
    if len(predictions) != len(images):
      raise errors.ArgumentError(
          f"{self.url} answered {len(predictions)} predictions for "
          f"{len(images)} images")
    return predictions


class LocalClient:
  """Classifies images with an exported end-to-end SavedModel in-process."""

  def __init__(self, saved_model_dir: str):
    """Loads the export.

    Raises:
      ArgumentError: if the directory holds no SavedModel.
    """
    import tensorflow as tf  # Imported here: the REST client needs no TF.
    self._tf = tf
    if not os.path.isfile(os.path.join(saved_model_dir, "saved_model.pb")):
      raise errors.ArgumentError(f"no saved_model.pb in {saved_model_dir}")
    self._model = tf.saved_model.load(saved_model_dir)

  def classify(self, images: Sequence[bytes],
               signature: str = SIGNATURE) -> list[Prediction]:
    """Runs the signature on the images; returns a prediction per image.

    Raises:
      ImageError: if an image cannot be decoded.
    """
    try:
      outputs = self._model.signatures[signature](
          image_bytes=self._tf.constant(list(images)))
    except self._tf.errors.InvalidArgumentError as e:
      lines = str(e).strip().splitlines()
      raise errors.ImageError(next(
          (line for line in lines if "image" in line.lower()), lines[0])
      ) from None
    rows = {k: v.numpy().tolist() for k, v in outputs.items()}
    return parse_predictions({"predictions": [
        dict(zip(rows, values)) for values in zip(*rows.values())]})

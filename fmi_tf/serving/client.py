"""Clients of the exported end-to-end classifier: TF Serving REST, or local.

`RestClient` speaks TF Serving's REST predict API (row format):

  POST <server>/v1/models/<model>[/versions/<version>]:predict
  {"signature_name": "serving_default",
   "instances": [{"image_bytes": {"b64": "<base64 of the file>"}}, ...]}

and reads its documented answer, `{"predictions": [{"class_names": [...],
"class_ids": [...], "scores": [...], ...}, ...]}` (or `{"error": "..."}`).
Only http:// and https:// addresses are taken; images go in batches of at
most `batch_size` per request. The server is not trusted: an answer larger
than `MAX_RESPONSE_BYTES`, malformed HTTP, JSON that is no object or not of
the signature's shape (`predictions`), a redirect loop, or no complete answer
within the overall `timeout` (`deadline`) is an `ArgumentError` naming the
server and what was wrong. `grpc_client.GrpcClient` does the same over TF
Serving's gRPC API (`connect.connect` picks one by the address's scheme:
grpc:// or http(s)://).
`local_client.LocalClient` runs a SavedModel export in-process with the
same inputs and outputs. All return one `predictions.Prediction` per image
from `classify`, and one `explanations.ServedExplanation` (the class and its
filters ranked by contribution) from `explain`, which asks the `explain`
signature. The helpers all clients share are here: reading image files,
batches, server addresses, messages cut to one line, decoded strings.
"""

import base64
import http.client
import json
from typing import Optional, Sequence
import urllib.error
import urllib.parse
import urllib.request

from fmi_tf import errors
from fmi_tf.serving import deadline as deadlines
from fmi_tf.serving import explanations as explained
from fmi_tf.serving import http_transport as transport
from fmi_tf.serving import predictions as checked

SIGNATURE = "serving_default"
REST_SCHEMES = ("http", "https")
# The scheme of grpc_client.GrpcClient's addresses (that module loads gRPC).
GRPC_SCHEME = "grpc"
BATCH_SIZE = 16
MAX_RESPONSE_BYTES = 16 * 2**20
_MAX_ERROR_CHARACTERS = 300
_NO_JSON = object()  # What _read returns for an answer that is no JSON.


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


def one_line(text: str, limit: int = _MAX_ERROR_CHARACTERS) -> str:
  """text with its whitespace runs (newlines too) made single spaces, cut."""
  text = " ".join(str(text).split())
  return text if len(text) <= limit else text[:limit] + "..."


def split_server(server: str, schemes: tuple[str, ...], form: str,
                 port_required: bool = False) -> urllib.parse.SplitResult:
  """Parses a server address; its host (and port) are checked.

  Args:
    server: the address, e.g. `http://[::1]:8501`.
    schemes: the schemes taken.
    form: the expected form, for messages (e.g. `grpc://HOST:PORT`).
    port_required: whether the address must name a port.

  Raises:
    ArgumentError: for a malformed address, a bad host or port.
  """
  def bad(why):
    return errors.ArgumentError(
        f"server address {server!r} is no {form}: {why}")

  if any(c.isspace() or not c.isprintable() for c in server):
    raise bad("it holds spaces or control characters")
  try:
    parsed = urllib.parse.urlsplit(server)
    if parsed.netloc.count(":") > 1 and "[" not in parsed.netloc:
      raise bad("an IPv6 address goes in brackets, e.g. [::1]:8500")
    port = parsed.port
  except ValueError as e:
    raise bad(one_line(e)) from None
  if parsed.scheme not in schemes:
    raise bad(f"the scheme must be {' or '.join(s + '://' for s in schemes)}")
  host = parsed.hostname
  if not host:
    raise bad("it names no host")
  try:
    host.encode("idna")
  except UnicodeError:
    raise bad(f"{host!r} is no valid host name") from None
  if port == 0 or (port is None and port_required):
    raise bad("the port must be 1 to 65535")
  if parsed.query or parsed.fragment:
    raise bad("it has a query or fragment")
  return parsed


def parse_predictions(response, images: int, source: str,
                      signature: str = SIGNATURE) -> list:
  """Reads the JSON answer `{"predictions": [...]}` of the end-to-end model.

  Returns:
    A `predictions.Prediction` per image, or for the explain signature an
    `explanations.ServedExplanation`.

  Raises:
    ArgumentError: for an error answer or one not of the signature's shape.
  """
  if not isinstance(response, dict):
    raise errors.ArgumentError(
        f"{source} answered JSON that is not an object: "
        f"{checked.short(response)}")
  if "error" in response:
    if (signature == explained.SIGNATURE
        and explained.lacks_signature(str(response["error"]))):
      raise explained.no_explain_signature(source)
    raise errors.ArgumentError(
        f"{source} answered an error: {one_line(response['error'])}")
  if "predictions" not in response:
    raise errors.ArgumentError(
        f"{source} answered no predictions: {checked.short(response)}")
  read = (explained.from_rows if signature == explained.SIGNATURE
          else checked.from_rows)
  return read(response["predictions"], images, source)


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
  """Follows redirects to http:// and https:// addresses only."""

  def redirect_request(self, req, fp, code, msg, headers, newurl):
    if urllib.parse.urlparse(newurl).scheme not in ("http", "https"):
      raise errors.ArgumentError(f"{req.full_url} redirected to {newurl}, "
                                 "which is no http:// or https:// address")
    return super().redirect_request(req, fp, code, msg, headers, newurl)


class RestClient:
  """Classifies images through TF Serving's REST API."""

  def __init__(self, server: str, model: str,
               version: Optional[int] = None,
               timeout: float = deadlines.DEFAULT_SECONDS,
               batch_size: int = BATCH_SIZE):
    """Checks the address and the timeout.

    Args:
      server: `http://HOST[:PORT]` or `https://...`.
      model: the served model's name.
      version: the served version, or None for the latest.
      timeout: seconds all the requests of one `classify` call may take.
      batch_size: the most images per request.

    Raises:
      ArgumentError: unless server is an http:// or https:// address with a
        valid host and port, and timeout a positive number of seconds.
    """
    split_server(server, REST_SCHEMES, "http:// or https:// address")
    self.url = (f"{server.rstrip('/')}/v1/models/"
                f"{urllib.parse.quote(model, safe='')}")
    if version is not None:
      self.url += f"/versions/{version}"
    self.url += ":predict"
    self.timeout = deadlines.check_seconds(timeout)
    self.batch_size = batch_size

  def classify(self, images: Sequence[bytes],
               signature: str = SIGNATURE) -> list[checked.Prediction]:
    """Sends predict requests of bounded batches; a prediction per image.

    Raises:
      ArgumentError: if the server cannot be reached, answers an error or
        an answer malformed, too large or not complete within the timeout.
    """
    return self._run(images, signature)

  def explain(self, images: Sequence[bytes]
              ) -> list[explained.ServedExplanation]:
    """Asks the explain signature: each image's class and ranked filters.

    Raises:
      ArgumentError: as `classify`, or if the model has no explain
        signature.
    """
    return self._run(images, explained.SIGNATURE)

  def _run(self, images: Sequence[bytes], signature: str) -> list:
    with deadlines.Deadline(self.timeout, self.url) as deadline:
      opener = urllib.request.build_opener(
          _HttpOnlyRedirects, transport.HttpHandler(deadline),
          transport.HttpsHandler(deadline))
      return [prediction for batch in batches(images, self.batch_size)
              for prediction in self._predict(opener, deadline, batch,
                                              signature)]

  def _read(self, answer, deadline: deadlines.Deadline):
    data = answer.read(MAX_RESPONSE_BYTES + 1)
    if deadline.expired:
      raise deadline.error()
    if len(data) > MAX_RESPONSE_BYTES:
      raise errors.ArgumentError(
          f"{self.url} answered more than {MAX_RESPONSE_BYTES} bytes")
    if getattr(answer, "length", None):
      raise http.client.IncompleteRead(data, answer.length)
    try:
      return json.loads(data)
    except RecursionError:
      raise errors.ArgumentError(
          f"{self.url} answered JSON nested too deeply") from None
    except ValueError:
      return _NO_JSON

  def _exchange(self, opener, deadline: deadlines.Deadline, body: bytes):
    """The decoded JSON answer (or _NO_JSON) and the HTTP error, if any."""
    request = urllib.request.Request(
        self.url, data=body, headers={"Content-Type": "application/json"},
        method="POST")
    try:
      with opener.open(request, timeout=deadline.remaining()) as answer:
        return self._read(answer, deadline), None
    except urllib.error.HTTPError as e:
      if 300 <= e.code < 400:
        raise errors.ArgumentError(
            f"{self.url} redirected in a loop or too many times (HTTP "
            f"{e.code})") from None
      with e:
        return self._read(e, deadline), e

  def _predict(self, opener, deadline: deadlines.Deadline,
               images: Sequence[bytes],
               signature: str) -> list[checked.Prediction]:
    body = json.dumps(request_body(images, signature)).encode("utf8")
    try:
      response, http_error = self._exchange(opener, deadline, body)
    except errors.FmiError:
      raise
    except (OSError, http.client.HTTPException, ValueError) as e:
      if deadline.expired:
        raise deadline.error() from None
      problem = (transport.problem(e)
                 or transport.problem(getattr(e, "reason", None)))
      if problem:
        raise errors.ArgumentError(f"{self.url} {problem}") from None
      raise errors.ArgumentError(
          f"cannot reach {self.url}: "
          f"{one_line(getattr(e, 'reason', e))}") from None
    if response is _NO_JSON:
      if http_error is not None:
        raise errors.ArgumentError(
            f"{self.url} answered HTTP {http_error.code} "
            f"{one_line(http_error.reason)}")
      raise errors.ArgumentError(f"{self.url} answered no JSON")
    return parse_predictions(response, len(images), self.url, signature)


def decode_strings(value):
  """Nested lists with their bytes decoded as UTF-8.

  Raises:
    UnicodeDecodeError: for bytes that are no UTF-8.
  """
  if isinstance(value, bytes):
    return value.decode("utf8")
  if isinstance(value, list):
    return [decode_strings(v) for v in value]
  return value

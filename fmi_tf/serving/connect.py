"""The client of an exported texture classifier, chosen by where it is served.

`connect` is what `fmi-classify` calls: a TF Serving address gives the REST
client (`http://`, `https://`) or the gRPC client (`grpc://`), an export
directory the in-process `local_client.LocalClient`. All three answer
`classify` and `explain` alike.
"""

import numbers
import os
from typing import Optional, Union

from fmi_tf import errors
from fmi_tf.serving import client
from fmi_tf.serving import deadline
from fmi_tf.serving import local_client


def connect(server: Optional[str] = None,
            saved_model: Union[str, os.PathLike, None] = None, *,
            model_name: str = "texture", version: Optional[int] = None,
            timeout: float = deadline.DEFAULT_SECONDS):
  """Returns the client of a served or exported end-to-end classifier.

  Args:
    server: TF Serving's REST address, `http://HOST:8501` (or `https://`),
      or its gRPC address, `grpc://HOST:8500`.
    saved_model: an end-to-end export directory (`<export_base>/texture/1`),
      run in-process instead of a server.
    model_name: the served model's name (TF Serving's `--model_name`); not
      used with saved_model.
    version: the served version, or None for the latest; not used with
      saved_model.
    timeout: seconds a server may take to answer all the requests of one
      `classify` or `explain` call together; not used with saved_model.

  Returns:
    A `client.RestClient`, `grpc_client.GrpcClient` or
    `local_client.LocalClient`, whose `classify(images)` and
    `explain(images)` take encoded image files (`client.read_images`).

  Raises:
    ArgumentError: unless exactly one of server and saved_model is given,
      for an address of another scheme or malformed, a bad model name,
      version or timeout, or a directory that holds no end-to-end export.

  Examples:
    >>> clf = fmi_tf.connect("grpc://localhost:8500", model_name="texture")
    >>> images = [open("cat.jpg", "rb").read()]
    >>> clf.classify(images)[0].describe(3)
    'banded 0.990, cobwebbed 0.007, chequered 0.001'
    >>> fmi_tf.connect(saved_model="exports/texture/1").explain(images)
  """
  if (server is None) == (saved_model is None):
    raise errors.ArgumentError("give exactly one of server, saved_model")
  if saved_model is not None:
    if not isinstance(saved_model, (str, os.PathLike)):
      raise errors.ArgumentError(
          "saved_model must be an export directory, not "
          f"{errors.shown(saved_model)}")
    return local_client.LocalClient(os.fspath(saved_model))
  if not isinstance(server, str):
    raise errors.ArgumentError(
        f"server must be an address, not {errors.shown(server)}")
  if not isinstance(model_name, str) or not model_name:
    raise errors.ArgumentError(
        "model_name must be a served model's name, not "
        f"{errors.shown(model_name)}")
  if version is not None and (
      isinstance(version, bool) or not isinstance(version, numbers.Integral)
      or version < 1):
    raise errors.ArgumentError(
        "version must be a served version (an integer >= 1) or None, not "
        f"{errors.shown(version)}")
  version = None if version is None else int(version)
  scheme = server.partition("://")[0].lower()
  if scheme == client.GRPC_SCHEME:
    # Imported here: gRPC and TensorFlow load only for a gRPC server.
    from fmi_tf.serving import grpc_client
    return grpc_client.GrpcClient(server, model_name, version, timeout)
  if scheme in client.REST_SCHEMES:
    return client.RestClient(server, model_name, version, timeout)
  raise errors.ArgumentError(
      f"server address {server!r} is no grpc://HOST:PORT, http:// or "
      "https:// address")

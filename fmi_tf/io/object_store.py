"""An object store checked before any work, and objects created only once.

`check_store` asks the store behind a URL one cheap question before a run
writes anything, and turns what can go wrong (an unreachable endpoint, a
bucket that does not exist, credentials missing or refused) into one line.
`create_new` writes an object only if none is at its name. Two kinds of
scheme differ in how sure that is:

- atomic: a local path (a hard link of a finished file, which fails if the
  name is taken) and `s3://` (a conditional upload, `If-None-Match: *`,
  which the store decides; a store that ignores the header, as some
  S3-compatible ones do, makes it last-writer-wins);
- write-then-verify: every other scheme (`gs://`, `hdfs://`, `azfs://`, ...),
  whose Beam file systems have no conditional create. The object is
  written if none is there, then read back after `SETTLE_S` seconds: if
  another writer's bytes replaced ours meanwhile, the call did not create
  it. Of writers racing for one name, the last to write wins and the
  others learn it, unless one of them took longer than `SETTLE_S` between
  finding the name free and writing it (a stalled process): then both
  may go on. This needs a store whose reads see the latest write, as
  Google Cloud Storage's and Azure's do.

The S3 client is made from the same options as Beam's S3 file system
(`--s3_endpoint_url`, `--s3_access_key_id`, ... and the `--aws_*`
defaults), as `storage.configure` gave them, with short timeouts so that a
wrong endpoint fails in seconds.
"""

import os
import time
import uuid

from fmi_tf import errors
from fmi_tf.io import outputs
from fmi_tf.io import storage

# Seconds to connect and to read, and attempts, of the checks.
_TIMEOUT_S = 5
_ATTEMPTS = 2
# Seconds between writing an object and reading it back, where a store has
# no conditional create.
SETTLE_S = 2.0


def _bucket_and_key(url: str) -> tuple[str, str]:
  bucket, _, key = url.split("://", 1)[1].partition("/")
  return bucket, key


def _s3_client():
  """A boto3 S3 client with the run's S3 options."""
  # pylint: disable=import-outside-toplevel
  import boto3
  from botocore import config as botocore_config
  from apache_beam.io.aws.clients import client_options
  from apache_beam.options import pipeline_options
  options = storage.configured_options() or pipeline_options.PipelineOptions(
      [])
  kwargs = client_options.get_client_kwargs(options,
                                            pipeline_options.S3Options)
  return boto3.session.Session().client(
      "s3", config=botocore_config.Config(
          connect_timeout=_TIMEOUT_S, read_timeout=_TIMEOUT_S,
          retries={"max_attempts": _ATTEMPTS}), **kwargs)


def _s3_error(url: str, error: Exception, what: str) -> errors.OutputError:
  """One line for what went wrong asking the store about `url`."""
  # pylint: disable-next=import-outside-toplevel
  from botocore import exceptions
  bucket, _ = _bucket_and_key(url)
  if isinstance(error, exceptions.NoCredentialsError):
    reason = ("no credentials: give --s3_access_key_id and "
              "--s3_secret_access_key, or set AWS credentials")
  elif isinstance(error, (exceptions.EndpointConnectionError,
                          exceptions.ConnectTimeoutError,
                          exceptions.ReadTimeoutError)):
    reason = (f"cannot reach the object store ({error}); check "
              "--s3_endpoint_url")
  elif isinstance(error, exceptions.ClientError):
    code = error.response.get("Error", {}).get("Code", "")
    if code in ("404", "NoSuchBucket"):
      reason = f"bucket {bucket} does not exist"
    elif code in ("403", "InvalidAccessKeyId", "SignatureDoesNotMatch",
                  "AccessDenied"):
      reason = f"the store refused the credentials ({code})"
    else:
      reason = f"the store answered {code or error}"
  else:
    reason = str(error).splitlines()[0] if str(error) else type(
        error).__name__
  return errors.OutputError(f"cannot use {what} {url}: {reason}")


def check_store(url: str, what: str = "output directory") -> None:
  """Checks that the store behind a URL answers and holds its bucket.

  Raises:
    OutputError: for a scheme no file system speaks, an unreachable store,
      a missing bucket, or missing or refused credentials.
  """
  storage.check_scheme(url, what)
  if storage.scheme(url) == "s3":
    # pylint: disable-next=import-outside-toplevel
    from botocore import exceptions
    try:
      _s3_client().head_bucket(Bucket=_bucket_and_key(url)[0])
    except (exceptions.BotoCoreError, exceptions.ClientError) as e:
      raise _s3_error(url, e, what) from None
    return
  try:
    storage.exists(url)
  except Exception as e:  # pylint: disable=broad-except
    # Beam's clients raise their own types; each one is this one line.
    raise errors.OutputError(
        f"cannot use {what} {url}: {str(e).splitlines()[0]}") from None


def _write_then_verify(path: str, data: bytes) -> bool:
  """Writes `data` at `path` if nothing is there, then reads it back after
  `SETTLE_S` seconds: whether our bytes are still there."""
  if storage.exists(path):
    return False
  storage.write_bytes(path, data)
  time.sleep(SETTLE_S)
  return storage.read_bytes(path) == data


def create_new(path: str, data: bytes) -> bool:
  """Writes `data` at `path` unless something is there already.

  Atomic for a local path and `s3://`; written, then verified for other
  schemes (see the module's docstring). A writer of the same bytes racing
  with this call is not told apart from it.

  Returns:
    Whether this call created it (for write-then-verify: whether its bytes
    are there once the writes have settled).

  Raises:
    OutputError: if the store cannot be written.
  """
  if not storage.is_url(path):
    temporary = f"{path}.{uuid.uuid4().hex}.part"
    outputs.write_bytes(temporary, data)
    try:
      os.link(temporary, path)
    except FileExistsError:
      return False
    finally:
      os.remove(temporary)
    return True
  if storage.scheme(path) == "s3":
    # pylint: disable-next=import-outside-toplevel
    from botocore import exceptions
    bucket, key = _bucket_and_key(path)
    try:
      _s3_client().put_object(Bucket=bucket, Key=key, Body=data,
                              IfNoneMatch="*")
    except exceptions.ClientError as e:
      if e.response.get("Error", {}).get("Code") in ("PreconditionFailed",
                                                      "412"):
        return False
      raise _s3_error(path, e, "output") from None
    except exceptions.BotoCoreError as e:
      raise _s3_error(path, e, "output") from None
    return True
  return _write_then_verify(path, data)

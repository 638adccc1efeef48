"""A local S3-compatible server for the object-store tests: moto's server.

`start` runs moto's standalone server (`moto[server]`, a real HTTP S3 API,
not a mock of the client) on 127.0.0.1 at a free port; `S3Server` gives the
Beam options that point Beam's S3 file system at it, and a boto3 client to
make buckets and read them back.
"""

import dataclasses
import importlib.util

import pytest

EXTRA = 'pip install "fmi_tf[test,beam]" (moto[server], apache-beam[aws])'
_KEY_ID, _SECRET = "testing-key", "testing-secret"


def missing() -> bool:
  """Whether what the server and Beam's S3 file system need is missing."""
  return any(importlib.util.find_spec(m) is None
             for m in ("moto", "flask", "boto3", "apache_beam"))


@dataclasses.dataclass
class S3Server:
  """A running server: its endpoint, Beam's options for it, a client."""
  endpoint: str
  server: object

  @property
  def pipeline_args(self) -> list[str]:
    return [f"--s3_endpoint_url={self.endpoint}",
            f"--s3_access_key_id={_KEY_ID}",
            f"--s3_secret_access_key={_SECRET}",
            "--s3_region_name=us-east-1"]

  def client(self):
    import boto3  # pylint: disable=import-outside-toplevel
    return boto3.client("s3", endpoint_url=self.endpoint,
                        aws_access_key_id=_KEY_ID,
                        aws_secret_access_key=_SECRET,
                        region_name="us-east-1")

  def bucket(self, name: str) -> str:
    """Makes an empty bucket; returns its URL."""
    self.client().create_bucket(Bucket=name)
    return f"s3://{name}"

  def objects(self, bucket: str, prefix: str = "") -> dict[str, bytes]:
    """{key relative to prefix: bytes} of a bucket's objects."""
    client = self.client()
    found = {}
    for page in client.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=prefix):
      for item in page.get("Contents", []):
        body = client.get_object(Bucket=bucket, Key=item["Key"])["Body"]
        found[item["Key"][len(prefix):]] = body.read()
    return found


def start():
  """Starts the server; yields an `S3Server`, then stops it."""
  if missing():
    pytest.skip(f"no local S3 server: {EXTRA}")
  # pylint: disable-next=import-outside-toplevel
  from moto.server import ThreadedMotoServer
  server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
  server.start()
  host, port = server.get_host_and_port()
  try:
    yield S3Server(f"http://{host}:{port}", server)
  finally:
    server.stop()

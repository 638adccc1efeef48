"""Claims on a scheme without conditional create: written, then verified.

A Beam file system registered here for `localtest://` (local files under a
temporary root, with no conditional create, like `gs://` in Beam's clients)
takes `object_store.create_new` down its write-then-verify path. Skipped
without Beam.
"""

import json
import os
import threading

import pytest

from fmi_tf import errors
from fmi_tf.io import object_store
from fmi_tf.io import ownership
from fmi_tf.io import storage

pytestmark = pytest.mark.beam
localfilesystem = pytest.importorskip("apache_beam.io.localfilesystem")

# The directory `localtest://` names; set by the `root` fixture.
_ROOT = []


class _LocalTestFileSystem(localfilesystem.LocalFileSystem):
  """`localtest://a/b` is the local file `<root>/a/b`."""

  @classmethod
  def scheme(cls):
    return "localtest"

  @staticmethod
  def _local(path: str) -> str:
    return os.path.join(_ROOT[0], path.split("://", 1)[1])

  def exists(self, path):
    return super().exists(self._local(path))

  def create(self, path, *args, **kwargs):
    os.makedirs(os.path.dirname(self._local(path)), exist_ok=True)
    return super().create(self._local(path), *args, **kwargs)

  def open(self, path, *args, **kwargs):
    return super().open(self._local(path), *args, **kwargs)


@pytest.fixture
def root(tmp_path, monkeypatch):
  _ROOT[:] = [str(tmp_path)]
  monkeypatch.setattr(object_store, "SETTLE_S", 0.3)
  return tmp_path


def _claim_file(root) -> dict:
  return json.loads((root / "bucket" / "run" / ownership.FILENAME).read_text())


def test_a_claim_is_refused_to_other_settings_and_kept_for_the_same(root):
  out = "localtest://bucket/run"
  assert ownership.claim(out, {"steps": 2}, what="atlas")
  assert not ownership.claim(out, {"steps": 2}, what="atlas")  # goes on
  with pytest.raises(errors.OutputError, match=(
      r"localtest://bucket/run belongs to another atlas run: its steps is 2, "
      r"this run's 3")):
    ownership.claim(out, {"steps": 3}, what="atlas")
  assert _claim_file(root) == {"steps": 2}


def test_of_two_runs_that_both_found_the_name_free_only_the_last_writer_wins(
    root, monkeypatch):
  both_checked = threading.Barrier(2, timeout=30)
  exists = storage.exists

  def checked_together(path):
    found = exists(path)
    both_checked.wait()  # each found it free before either wrote
    return found

  monkeypatch.setattr(storage, "exists", checked_together)
  outcomes = {}

  def run(steps):
    try:
      ownership.claim("localtest://bucket/run", {"steps": steps},
                      what="atlas")
      outcomes[steps] = "claimed"
    except errors.OutputError as e:
      outcomes[steps] = str(e)

  threads = [threading.Thread(target=run, args=(steps,)) for steps in (2, 3)]
  for thread in threads:
    thread.start()
  for thread in threads:
    thread.join(timeout=60)
  winner = _claim_file(root)["steps"]
  loser = 5 - winner
  assert outcomes[winner] == "claimed"
  assert (f"belongs to another atlas run: its steps is {winner}, this run's "
          f"{loser}") in outcomes[loser]


def test_a_local_claim_is_decided_by_the_file_system_not_verified(
    tmp_path, monkeypatch):

  def unexpected(path, data):
    raise AssertionError(f"{path} was written, then verified")

  monkeypatch.setattr(object_store, "_write_then_verify", unexpected)
  path = str(tmp_path / "claim")
  assert object_store.create_new(path, b"a")
  assert not object_store.create_new(path, b"b")
  with open(path, "rb") as f:
    assert f.read() == b"a"

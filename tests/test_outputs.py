"""Atomic writes: whole files, in place, with the user's usual permissions."""

import os
import stat

import numpy as np
import pytest

from fmi_tf.io import outputs


@pytest.fixture
def restored_umask():
  """Restores the process's umask after a test that sets it."""
  before = os.umask(0o022)
  os.umask(before)
  yield
  os.umask(before)


@pytest.mark.parametrize("mask,mode", [(0o022, 0o644), (0o077, 0o600),
                                       (0o002, 0o664)],
                         ids=["022", "077", "002"])
@pytest.mark.usefixtures("restored_umask")
def test_written_files_follow_the_umask_at_write_time(tmp_path, mask, mode):
  os.umask(mask)
  path = tmp_path / "record.json"
  outputs.write_json(str(path), {"a": 1})
  assert stat.S_IMODE(path.stat().st_mode) == mode
  outputs.write_bytes(str(path), b"again")  # replacing keeps the same rule
  assert stat.S_IMODE(path.stat().st_mode) == mode


@pytest.mark.usefixtures("restored_umask")
def test_files_are_readable_by_others_under_the_usual_umask(tmp_path):
  os.umask(0o022)
  outputs.write_png(str(tmp_path / "a.png"),
                    np.full((4, 4, 3), 0.5, np.float32))
  assert (tmp_path / "a.png").stat().st_mode & stat.S_IROTH


def test_a_write_replaces_the_file_whole_and_leaves_no_temporary(tmp_path):
  path = tmp_path / "a.bin"
  path.write_bytes(b"old contents, longer than the new")
  outputs.write_bytes(str(path), b"new")
  assert path.read_bytes() == b"new"
  assert os.listdir(tmp_path) == ["a.bin"]


def test_a_failed_write_leaves_no_temporary(tmp_path):
  with pytest.raises(TypeError):
    outputs.write_bytes(str(tmp_path / "a.bin"), "text, not bytes")
  assert os.listdir(tmp_path) == []


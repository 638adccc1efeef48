"""Atomic writes: whole files, in place, with the user's usual permissions."""

import os
import stat

import numpy as np
from PIL import Image
import pytest

from fmi_tf import errors
from fmi_tf.io import outputs
from fmi_tf.io import summaries


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



@pytest.mark.parametrize("name,image_format", [
    ("a.png", "PNG"), ("a.jpg", "JPEG"), ("a.JPEG", "JPEG")])
def test_an_image_is_written_in_the_format_its_name_says(tmp_path, name,
                                                         image_format):
  path = str(tmp_path / name)
  outputs.write_image(path, np.full((4, 6, 3), 0.5, np.float32))
  with Image.open(path) as image:
    assert image.format == image_format and image.size == (6, 4)


@pytest.mark.parametrize("name", ["a.gif", "a", "a.png.txt"])
def test_an_unknown_image_suffix_is_refused_before_writing(tmp_path, name):
  with pytest.raises(errors.OutputError, match="name a .png, .jpg or .jpeg"):
    outputs.check_image_file(str(tmp_path / "new" / name))
  assert os.listdir(tmp_path) == []


def test_a_directory_under_a_regular_file_is_refused_creating_nothing(
    tmp_path):
  (tmp_path / "file").write_text("")
  with pytest.raises(errors.OutputError, match="file is a file"):
    outputs.check_creatable(str(tmp_path / "file" / "a" / "b"))
  with pytest.raises(errors.OutputError, match="it is a file"):
    outputs.check_creatable(str(tmp_path / "file"))
  with pytest.raises(errors.OutputError, match="logdir"):
    summaries.SummaryWriter(str(tmp_path / "file" / "logs"))
  outputs.check_creatable(str(tmp_path / "new" / "deeper"))
  assert sorted(os.listdir(tmp_path)) == ["file"]


def test_a_failure_removes_the_directories_it_made_if_empty(tmp_path):
  target = tmp_path / "a" / "b"
  with pytest.raises(ValueError):
    with outputs.removed_on_failure(str(target)):
      outputs.prepare_directory(str(target))
      raise ValueError("late failure")
  assert os.listdir(tmp_path) == []
  with pytest.raises(ValueError):
    with outputs.removed_on_failure(str(target)):
      outputs.prepare_directory(str(target))
      outputs.write_bytes(str(target / "done.txt"), b"finished")
      raise ValueError("late failure")
  assert (target / "done.txt").read_bytes() == b"finished"

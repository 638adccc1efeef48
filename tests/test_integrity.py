"""Integrity on full disks and reruns: one clear error and no signal when
the disk fills, and a rerun with fewer layers leaves no stale file."""

import errno
import os
import subprocess

import numpy as np
from PIL import Image
import pytest

import fmi_tf
from fmi_tf.microscope import examples_files
from tests import tool_runs
from tests import trained_tiny


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
  return trained_tiny.saved_model_dir(tmp_path_factory.mktemp("trained"), 24)


@pytest.fixture
def folder(tmp_path):
  rng = np.random.default_rng(0)
  for name in ("rough", "smooth"):
    os.makedirs(tmp_path / "data" / name)
    for i in range(3):
      pixels = rng.uniform(0, 255 if name == "rough" else 60, (28, 28, 3))
      Image.fromarray(pixels.astype(np.uint8)).save(
          tmp_path / "data" / name / f"{i}.png")
  return f"folder:{tmp_path / 'data'}"


@pytest.fixture
def full_disk(tmp_path):
  """A 192 KiB file system (a tmpfs), mounted for the test."""
  mount = tmp_path / "disk"
  mount.mkdir()
  done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=192k", "tmpfs",
                         str(mount)], capture_output=True, check=False)
  if done.returncode:
    pytest.skip("needs to mount a small tmpfs (root): "
                + done.stderr.decode(errors="replace").strip())
  yield mount
  subprocess.run(["umount", "--lazy", str(mount)], check=True)


def _examples(backbone, layers, dataset, out, image_size=24):
  return fmi_tf.dataset_examples(backbone, layers, dataset, str(out), k=8,
                                 image_size=image_size,
                                 progress=False)


def test_dataset_examples_on_a_full_disk_is_an_os_error_not_a_bus_error(
    tiny_backbone, folder, full_disk):
  with pytest.raises(OSError) as raised:  # sheets of 1.6 MiB on 192 KiB
    _examples(tiny_backbone, ["block1_conv1", "block3_conv1"], folder,
              full_disk / "out", image_size=64)
  assert raised.value.errno == errno.ENOSPC
  state = full_disk / "out" / examples_files.STATE_DIRECTORY
  assert not [f for f in os.listdir(state) if f.endswith(".sheets.npy")]


def test_a_sheet_file_that_cannot_be_allocated_is_removed(
    tiny_backbone, folder, tmp_path, monkeypatch):
  def no_space(*unused):
    raise OSError(errno.ENOSPC, "No space left on device")
  monkeypatch.setattr(os, "posix_fallocate", no_space)
  with pytest.raises(OSError, match="No space left"):
    _examples(tiny_backbone, ["block1_conv1"], folder, tmp_path / "out")
  state = tmp_path / "out" / examples_files.STATE_DIRECTORY
  assert not [f for f in os.listdir(state) if f.endswith(".sheets.npy")]
  assert not os.path.exists(tmp_path / "out" / examples_files.SUMMARY)


def test_a_rerun_with_fewer_layers_leaves_no_stale_file(tiny_backbone, folder,
                                                        tmp_path):
  out = tmp_path / "out"
  _examples(tiny_backbone, ["block1_conv1", "block3_conv1"], folder, out)
  assert os.path.isdir(out / "block3_conv1")
  _examples(tiny_backbone, ["block1_conv1"], folder, out, image_size=32)
  assert sorted(os.listdir(out)) == sorted([
      "block1_conv1", "block1_conv1.json", examples_files.SUMMARY,
      examples_files.STATE_DIRECTORY])
  summary = examples_files.read_summary(str(out))
  assert summary["layers"] == ["block1_conv1"] and summary["image_size"] == 32


def test_texture_export_on_a_full_disk_is_one_line_and_leaves_nothing(
    model_dir, full_disk):
  finished = tool_runs.run_tool("fmi-texture-export",
                                f"--model_dir={model_dir}",
                                f"--export_base={full_disk / 'exports'}")
  tool_runs.assert_one_line_error(finished, "fmi-texture-export",
                                  "No space left on device")
  assert os.listdir(full_disk) == []

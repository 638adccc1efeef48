"""fmi-texture-export and export(): all three versions or nothing, one line."""

import json
import os

import pytest

from fmi_tf import errors
from fmi_tf.recognition import trained_model
from fmi_tf.serving import export
from fmi_tf.serving import versions
from tests import tool_runs
from tests import trained_tiny

SIZE = 24
NAMES = ["texture", "texture_classifier", "texture_encoder"]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
  return trained_tiny.saved_model_dir(tmp_path_factory.mktemp("trained"),
                                      SIZE)


def _tree(root) -> list[str]:
  """Every path under root, relative, sorted."""
  return sorted(os.path.relpath(os.path.join(d, n), root)
                for d, dirs, files in os.walk(root) for n in dirs + files)


def _copy_of(model_dir, tmp_path, changes=None, truncate=None):
  """A copy of model_dir with encoder.json changed or a file truncated."""
  copy = tmp_path / "model"
  copy.mkdir()
  for name in os.listdir(model_dir):
    data = open(os.path.join(model_dir, name), "rb").read()
    if name == trained_model.CONFIG_FILE and changes:
      data = json.dumps({**json.loads(data), **changes}).encode()
    if name == truncate:
      data = data[:len(data) // 2]
    (copy / name).write_bytes(data)
  return str(copy)


def test_a_file_in_the_way_of_one_model_writes_no_other(model_dir, tmp_path):
  base = tmp_path / "exports"
  base.mkdir()
  (base / "texture").write_text("in the way")
  with pytest.raises(errors.OutputError, match="texture is not a directory"):
    export.export(model_dir, str(base))
  assert _tree(base) == ["texture"]


def test_an_error_while_writing_leaves_nothing_new(tmp_path):
  base = tmp_path / "exports"
  (base / "kept" / "1").mkdir(parents=True)

  def fails(path):
    del path
    raise ValueError("cannot trace")

  with pytest.raises(ValueError, match="cannot trace"):
    versions.write_all(str(base), {"kept": os.mkdir, "new": os.mkdir,
                                   "last": fails})
  assert _tree(base) == ["kept", "kept/1"]
  with pytest.raises(ValueError):
    versions.write_all(str(tmp_path / "fresh" / "base"), {"one": fails})
  assert not (tmp_path / "fresh").exists()


def test_versions_follow_the_highest_and_all_three_are_written(model_dir,
                                                              tmp_path):
  base = tmp_path / "exports"
  (base / "texture" / "7").mkdir(parents=True)
  (base / "texture" / "notes").mkdir()
  paths = export.export(model_dir, str(base))
  assert sorted(paths) == NAMES
  assert paths["texture"] == str(base / "texture" / "8")
  assert paths["texture_encoder"] == str(base / "texture_encoder" / "1")
  assert not [n for n in os.listdir(base)
              if n.startswith(versions.STAGING_PREFIX)]


@pytest.mark.parametrize("image_size", [-5, 0, "abc", 2, True])
def test_a_bad_image_size_in_the_model_writes_nothing(model_dir, tmp_path,
                                                      image_size):
  copy = _copy_of(model_dir, tmp_path, {"image_size": image_size})
  with pytest.raises(errors.ArgumentError, match="image"):
    export.export(copy, str(tmp_path / "exports"))
  assert not (tmp_path / "exports").exists()


@pytest.mark.slow
@pytest.mark.parametrize("case,phrase", [
    ("truncated classifier", "cannot read classifier"),
    ("image_size -5", "image size must be an integer from 1 to 4096, not -5"),
    ("image_size text", "cannot read"),
    ("texture in the way", "texture is not a directory"),
    ("export_base under a file", "is not a directory"),
    ("max_pixels 0", "max_pixels"),
    ("image_size flag", "image_size"),
])
def test_fmi_texture_export_fails_in_one_line_and_writes_nothing(
    model_dir, tmp_path, case, phrase):
  base = tmp_path / "exports"
  flags = []
  if case == "truncated classifier":
    model = _copy_of(model_dir, tmp_path, truncate="classifier.npz")
  elif case.startswith("image_size "):
    model = _copy_of(model_dir, tmp_path, {
        "image_size": -5 if case.endswith("-5") else "twenty"})
  else:
    model = model_dir
  if case == "texture in the way":
    base.mkdir()
    (base / "texture").write_text("in the way")
  if case == "export_base under a file":
    (tmp_path / "file").write_text("")
    base = tmp_path / "file" / "exports"
  if case == "max_pixels 0":
    flags.append("--max_pixels=0")
  if case == "image_size flag":
    flags.append("--image_size=-5")
  before = _tree(tmp_path)
  finished = tool_runs.run_tool("fmi-texture-export", f"--model_dir={model}",
                                f"--export_base={base}", *flags)
  tool_runs.assert_one_line_error(finished, "fmi-texture-export", phrase)
  assert _tree(tmp_path) == before

"""Names that become paths: checked once, joined under their root by every
writer, and a network whose layers are named like paths refused."""

import os

import keras
import numpy as np
from PIL import Image
import pytest

import fmi_tf
from fmi_tf import errors
from fmi_tf.atlas import contact_sheet
from fmi_tf.atlas import layout
from fmi_tf.inversion import files
from fmi_tf.io import inputs
from fmi_tf.io import object_store
from fmi_tf.io import paths
from fmi_tf.io import storage
from fmi_tf.microscope import examples_files
from fmi_tf.microscope import site
from fmi_tf.nets import graph

_UNSAFE = ("..", ".", "", "index.html", "a/b", "<b>x</b>", "-rf", "a\0b",
           "x" * 129, "caf\u00e9")


@pytest.mark.parametrize("name", _UNSAFE)
def test_an_unsafe_name_is_refused_with_the_rule(name):
  assert not paths.is_safe_name(name)
  with pytest.raises(errors.LayerError, match="letters, digits"):
    paths.check_name("layer", name, errors.LayerError)


def test_keras_names_are_safe():
  for name in ("block1_conv1", "conv_dw_1_relu", "re_lu_3", "Conv1",
               "expanded_conv_project_BN", "stem-act"):
    assert paths.check_name("layer", name) == name


@pytest.mark.parametrize("parts", [("..",), ("a", ".."), ("a/b",), ("",),
                                   (".",), ("a\0",), ("/etc",)])
def test_join_under_refuses_anything_but_plain_components(tmp_path, parts):
  with pytest.raises(errors.OutputError, match="one plain"):
    paths.join_under(str(tmp_path), *parts)


def test_join_under_refuses_a_link_that_leads_out(tmp_path):
  root, outside = tmp_path / "root", tmp_path / "outside"
  root.mkdir()
  outside.mkdir()
  os.symlink(outside, root / "layer")
  os.symlink(root / "inner", root / "inside")
  with pytest.raises(errors.OutputError, match="leads out"):
    paths.join_under(str(root), "layer", "0000.png")
  assert paths.join_under(str(root), "inside", "x") == str(
      root / "inside" / "x")
  assert paths.join_under(str(root), "a", "b.png") == str(root / "a" /
                                                          "b.png")


def _network(name: str) -> keras.Model:
  inputs = keras.Input((32, 32, 3))
  x = keras.layers.Conv2D(4, 3, padding="same", activation="relu",
                          name="block1_conv1")(inputs)
  x = keras.layers.Conv2D(4, 3, padding="same", activation="relu",
                          name=name)(x)
  return keras.Model(inputs, x)


@pytest.mark.parametrize("name", ["..", "index.html", "<script>x<script>"])
def test_a_network_with_a_layer_named_like_a_path_is_refused(name):
  model = _network(name)
  with pytest.raises(errors.LayerError, match=r"rename it"):
    graph.invertible_layers(model)
  with pytest.raises(errors.LayerError, match=r"rename it"):
    graph.feature_map_layers(model)


def _folder(root):
  for label in ("a", "b"):
    os.makedirs(root / label)
    Image.fromarray(np.full((24, 24, 3), 90 if label == "a" else 200,
                            np.uint8)).save(root / label / "0.png")
  return root


def test_every_writer_refuses_a_network_with_a_dotdot_layer(tmp_path):
  model = _network("..")
  parent = tmp_path / "parent"
  parent.mkdir()
  data = _folder(tmp_path / "data")
  with pytest.raises(errors.LayerError, match="rename it"):
    fmi_tf.dataset_examples(model, [".."], f"folder:{data}",
                            str(parent / "out"), k=1, image_size=24,
                            progress=False)
  with pytest.raises(errors.LayerError, match="rename it"):
    fmi_tf.draw_atlas(model, [".."], str(parent / "atlas"), size=32,
                      steps=2, progress=False)
  assert os.listdir(parent) == []
  assert not [f for d, _, files in os.walk(tmp_path) for f in files
              if not d.startswith(str(data))]


def test_the_atlas_writers_stay_under_their_directory(tmp_path):
  out, outside = tmp_path / "atlas", tmp_path / "outside"
  out.mkdir()
  outside.mkdir()
  os.symlink(outside, out / "block1_conv1_0000")
  with pytest.raises(errors.OutputError, match="leads out"):
    files.filter_stem(str(out), "block1_conv1", 0)
  os.symlink(outside / "grid.png", out / "block1_conv1.png")
  with pytest.raises(errors.OutputError, match="leads out"):
    layout.save_layer_grid(str(out), "block1_conv1", 1)
  os.symlink(outside, out / contact_sheet.FILENAME)
  with pytest.raises(errors.OutputError, match="leads out"):
    contact_sheet.write_contact_sheet(str(out), {"block1_conv1": 1})
  assert os.listdir(outside) == []


def test_the_examples_writers_stay_under_their_directory(tmp_path):
  out, outside = tmp_path / "examples", tmp_path / "outside"
  out.mkdir()
  outside.mkdir()
  os.symlink(outside, out / "block1_conv1")
  with pytest.raises(errors.OutputError, match="leads out"):
    examples_files.sheet_path(str(out), "block1_conv1", 0)
  os.symlink(outside, out / examples_files.STATE_DIRECTORY)
  with pytest.raises(errors.OutputError, match="leads out"):
    examples_files.state_directory(str(out))
  assert os.listdir(outside) == []


def test_the_site_writer_stays_under_its_directory(tmp_path):
  atlas, out, outside = tmp_path / "atlas", tmp_path / "site", tmp_path / "o"
  for directory in (atlas, out, outside):
    directory.mkdir()
  Image.fromarray(np.full((8, 8, 3), 128, np.uint8)).save(
      atlas / "block1_conv1_0000.png")
  (atlas / "block1_conv1_0000.json").write_text("{}")
  os.symlink(outside, out / "block1_conv1")
  with pytest.raises(errors.OutputError, match="leads out"):
    site.make_site(str(atlas), str(out), progress=False)
  assert os.listdir(outside) == []


def test_a_layer_named_as_the_examples_record_is_refused(tmp_path):
  data = _folder(tmp_path / "data")
  with pytest.raises(errors.LayerError, match="examples.json"):
    fmi_tf.dataset_examples(_network("examples"), ["examples"],
                            f"folder:{data}", str(tmp_path / "out"), k=1,
                            image_size=24, progress=False)
  assert not os.path.exists(tmp_path / "out")


@pytest.mark.parametrize("relative", ["..", "../x.png", "a/../../x", "",
                                      "a//b", "/etc/passwd", "a\0b"])
@pytest.mark.parametrize("base", ["s3://bucket/atlas", "gs://b/a/"])
def test_storage_join_under_refuses_a_name_leaving_a_url(base, relative):
  with pytest.raises(errors.OutputError, match="one plain"):
    storage.join_under(base, relative)


def test_storage_join_under_joins_plain_names_under_a_path_or_url(tmp_path):
  assert storage.join_under("gs://b/a/", "state/x_0.npy") == (
      "gs://b/a/state/x_0.npy")
  assert storage.join_under(str(tmp_path), "state/x.npy") == str(
      tmp_path / "state" / "x.npy")
  os.symlink(tmp_path.parent, tmp_path / "up")
  with pytest.raises(errors.OutputError, match="leads out"):
    storage.join_under(str(tmp_path), "up/x.png")


def test_a_commit_of_a_hostile_name_uploads_nothing(tmp_path, monkeypatch):
  uploaded = []
  monkeypatch.setattr(storage, "write_bytes",
                      lambda path, data: uploaded.append(path))
  (tmp_path / "block1_conv1_0000.png").write_bytes(b"png")
  with pytest.raises(errors.OutputError, match="one plain"):
    storage.commit(str(tmp_path), "s3://bucket/atlas",
                   ["../block1_conv1_0000.png"])
  assert not uploaded


def test_a_listed_object_named_like_a_path_is_not_copied_out(tmp_path,
                                                             monkeypatch):
  """`inputs.local_copy` of a directory URL writes each listed object under
  its copy: an object `../../x` of a hostile store is refused."""
  monkeypatch.setattr(object_store, "check_store", lambda *_: None)
  monkeypatch.setattr(storage, "exists", lambda _: False)
  monkeypatch.setattr(storage, "list_names",
                      lambda _: {"a/0.png", "../../escaped.png"})
  monkeypatch.setattr(storage, "read_bytes", lambda _: b"bytes")
  cache = tmp_path / "cache"
  with pytest.raises(errors.OutputError, match="one plain"):
    inputs.local_copy("s3://bucket/data/", cache=str(cache))
  assert not [f for _, _, files in os.walk(tmp_path) for f in files]


@pytest.mark.parametrize("name", ["..", "../texture", "a/b", "", None])
def test_an_export_name_that_is_no_plain_name_is_refused(tmp_path, name):
  with pytest.raises(errors.ArgumentError, match="model name"):
    fmi_tf.export(str(tmp_path / "model"), str(tmp_path / "exports"),
                  name=name)
  assert os.listdir(tmp_path) == []


def test_the_beam_atlas_refuses_a_network_with_a_dotdot_layer(tmp_path):
  # pylint: disable-next=import-outside-toplevel
  from fmi_tf.beam import atlas as beam_atlas
  path = str(tmp_path / "net.keras")
  _network("..").save(path)
  parent = tmp_path / "parent"
  parent.mkdir()
  with pytest.raises(errors.LayerError, match="rename it"):
    beam_atlas.plan_atlas(path, [".."], str(parent / "atlas"), size=32,
                          steps=2)
  assert os.listdir(parent) == []

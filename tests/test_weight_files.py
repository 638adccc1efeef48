"""Weights HDF5 and .keras files that are malformed or corrupt."""

import zipfile

import h5py
import numpy as np
import pytest

from fmi_tf import errors
from fmi_tf.nets import keras_file
from fmi_tf.nets import weights
from tests import tiny_mobilenet
from tests import tiny_vgg


def _layer_names_int(f):
  f.attrs["layer_names"] = np.int64(3)


def _weight_names_int(f):
  f.attrs["layer_names"] = [b"block1_conv1"]
  f.create_group("block1_conv1").attrs["weight_names"] = np.int64(2)


def _names_two_dimensional(f):
  f.attrs["layer_names"] = np.zeros((2, 2))


def _layer_is_an_array(f):
  f.attrs["layer_names"] = [b"block1_conv1"]
  f.create_dataset("block1_conv1", data=np.zeros(2))


def _weight_is_a_group(f):
  f.attrs["layer_names"] = [b"block1_conv1"]
  group = f.create_group("block1_conv1")
  group.attrs["weight_names"] = [b"kernel"]
  group.create_group("kernel")


def _weight_is_text(f):
  f.attrs["layer_names"] = [b"block1_conv1"]
  group = f.create_group("block1_conv1")
  group.attrs["weight_names"] = [b"kernel"]
  group.create_dataset("kernel", data=[b"not", b"numbers"])


def _weight_missing(f):
  f.attrs["layer_names"] = [b"block1_conv1"]
  f.create_group("block1_conv1").attrs["weight_names"] = [b"kernel"]


@pytest.mark.parametrize("write,phrase", [
    (_layer_names_int, "layer_names of / is no list of names"),
    (_weight_names_int, "weight_names of /block1_conv1 is no list"),
    (_names_two_dimensional, "layer_names of / is no list of names"),
    (_layer_is_an_array, "block1_conv1 is no group"),
    (_weight_is_a_group, "block1_conv1/kernel is no numeric array"),
    (_weight_is_text, "block1_conv1/kernel is no numeric array"),
    (_weight_missing, "kernel"),
])
def test_malformed_weights_files_are_weights_errors(tmp_path, write, phrase):
  path = str(tmp_path / "bad.h5")
  with h5py.File(path, "w") as f:
    write(f)
  with pytest.raises(errors.WeightsError) as raised:
    weights.read_weights(path)
  message = str(raised.value)
  assert path in message and phrase in message, message
  assert "\n" not in message


def test_a_well_formed_weights_file_is_read(tmp_path):
  path = str(tmp_path / "good.h5")
  tiny_vgg.save_legacy_h5(tiny_vgg.tiny_vgg19_model(), path,
                          ["block1_conv1", "block1_conv2"])
  read = weights.read_weights(path)
  assert read.covered_layers == {"block1_conv1", "block1_conv2"}
  assert all(a.dtype == np.float32 for a in read.tensors["block1_conv1"])


def _saved_model(tmp_path):
  path = tmp_path / "mine.keras"
  tiny_mobilenet.tiny_mobilenet_model(seed=3).save(path)
  return path


def _flip_a_member(path, member):
  with zipfile.ZipFile(path) as archive:
    info = archive.getinfo(member)
  data = bytearray(path.read_bytes())
  middle = info.header_offset + 30 + len(info.filename) + (
      info.compress_size // 2)
  data[middle] ^= 0xFF
  path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage,phrase", [
    (lambda p: p.write_bytes(b"not a zip at all"), "not a whole .keras"),
    (lambda p: p.write_bytes(b""), "not a whole .keras"),
    (lambda p: p.write_bytes(p.read_bytes()[:len(p.read_bytes()) // 2]),
     "not a whole .keras"),
    (lambda p: _flip_a_member(p, "model.weights.h5"),
     "model.weights.h5 fails its checksum"),
])
def test_a_corrupt_keras_file_is_called_corrupt(tmp_path, damage, phrase):
  path = _saved_model(tmp_path)
  assert keras_file.read_model(str(path)).name
  damage(path)
  with pytest.raises(errors.ArgumentError) as raised:
    keras_file.read_model(str(path))
  message = str(raised.value)
  assert "is corrupt" in message and phrase in message, message
  assert "not found" not in message


def test_a_zip_without_a_model_config_is_called_corrupt(tmp_path):
  path = tmp_path / "other.keras"
  with zipfile.ZipFile(path, "w") as archive:
    archive.writestr("notes.txt", "hello")
  with pytest.raises(errors.ArgumentError, match="corrupt: it has no config"):
    keras_file.read_model(str(path))

"""Feature models: names, slicing, preprocessing, weight coverage."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from fmi_tf import errors
from fmi_tf.nets import feature_model
from fmi_tf.nets import vgg19_names
from fmi_tf.nets import preprocessing
from fmi_tf.nets import weights
from tests import tiny_vgg


@pytest.mark.parametrize("name,expected", [("block3_conv1", "block3_conv1"),
                                           ("conv3_1", "block3_conv1"),
                                           ("relu2_2", "block2_conv2"),
                                           ("pool4", "block4_pool"),
                                           (" relu1_1 ", "block1_conv1")])
def test_canonical_name_accepts_both_spellings(name, expected):
  assert vgg19_names.canonical_name(name) == expected


@pytest.mark.parametrize("name", ["conv6_1", "block3_conv5", "fc6", ""])
def test_unknown_layer_lists_valid_names(name):
  with pytest.raises(errors.LayerError, match="block5_conv4"):
    vgg19_names.canonical_name(name)


def test_vgg19_has_16_convolutions_in_order():
  assert len(vgg19_names.CONV_LAYERS) == 16
  model = keras.applications.VGG19(include_top=False, weights=None)
  names = [layer.name for layer in model.layers[1:]]
  assert names == list(vgg19_names.FEATURE_LAYERS)


def test_preprocessing_matches_keras_applications(rng):
  images = rng.uniform(size=(1, 4, 4, 3)).astype(np.float32)
  expected = keras.applications.vgg19.preprocess_input(images * 255.0)
  np.testing.assert_allclose(
      preprocessing.rgb_to_vgg_input(images), expected, rtol=1e-5, atol=1e-4)


def test_outputs_equal_the_layers_of_the_full_network(tiny_backbone, rng):
  names = ["block1_conv2", "relu2_1", "block3_conv3"]
  model = feature_model.feature_model(tiny_backbone, names)
  images = rng.uniform(size=(2, 32, 32, 3)).astype(np.float32)
  got = model(images)
  assert set(got) == {"block1_conv2", "block2_conv1", "block3_conv3"}
  full = tiny_backbone.model
  reference = keras.Model(full.inputs,
                          {n: full.get_layer(n).output for n in got})(
                              preprocessing.rgb_to_vgg_input(images))
  for name in got:
    np.testing.assert_allclose(got[name], reference[name], rtol=1e-5, atol=1e-5)


def _layer_names(model: keras.Model) -> set[str]:
  """The names of a model's layers, nested models' layers included."""
  names = set()
  for layer in model.layers:
    names.add(layer.name)
    if isinstance(layer, keras.Model):
      names |= _layer_names(layer)
  return names


def test_model_stops_at_the_deepest_layer(tiny_backbone):
  model = feature_model.feature_model(tiny_backbone, ["block2_conv1"])
  names = _layer_names(model)
  assert "block2_conv1" in names
  assert not names & {"block2_conv2", "block2_pool", "block3_conv1"}


def test_average_pooling_replaces_max_pooling(tiny_backbone, rng):
  images = rng.uniform(size=(1, 16, 16, 3)).astype(np.float32)
  model = feature_model.feature_model(
      tiny_backbone, ["block1_pool"], pooling="avg")
  conv = feature_model.feature_model(tiny_backbone, ["block1_conv2"])
  expected = tf.nn.avg_pool2d(conv(images)["block1_conv2"], 2, 2, "VALID")
  np.testing.assert_allclose(
      model(images)["block1_pool"], expected, rtol=1e-5, atol=1e-6)


def test_weights_file_loads_by_name_and_records_coverage(tmp_path):
  source = tiny_vgg.tiny_vgg19_model(seed=1)
  path = str(tmp_path / "partial.h5")
  tiny_vgg.save_legacy_h5(source, path, ["block1_conv1", "block1_conv2"])
  loaded = weights.read_weights(path)
  assert loaded.covered_layers == {"block1_conv1", "block1_conv2"}
  target = tiny_vgg.tiny_vgg19_model(seed=2)
  weights.assign(target, loaded)
  for name in ("block1_conv1", "block1_conv2"):
    for got, want in zip(
        target.get_layer(name).get_weights(),
        source.get_layer(name).get_weights()):
      np.testing.assert_array_equal(got, want)


def test_layer_beyond_coverage_is_refused_with_covered_names():
  backbone = feature_model.Backbone(tiny_vgg.tiny_vgg19_model(),
                                    frozenset({"block1_conv1", "block1_conv2"}),
                                    "partial.h5", feature_model.VGG19)
  feature_model.feature_model(backbone, ["block1_conv2"])
  with pytest.raises(
      errors.WeightsError,
      match="block2_conv1.*covers block1_conv1, block1_conv2"):
    feature_model.feature_model(backbone, ["block2_conv1"])


def test_shape_mismatch_is_a_weights_error(tmp_path):
  path = str(tmp_path / "tiny.h5")
  tiny_vgg.save_legacy_h5(tiny_vgg.tiny_vgg19_model(), path, ["block1_conv1"])
  with pytest.raises(errors.WeightsError, match="shapes"):
    weights.assign(
        keras.applications.VGG19(include_top=False, weights=None),
        weights.read_weights(path))


@pytest.mark.parametrize("content", [b"", b"not an hdf5 file at all"])
def test_non_hdf5_file_is_refused(tmp_path, content):
  path = tmp_path / "weights.h5"
  path.write_bytes(content)
  with pytest.raises(errors.WeightsError, match="not an HDF5"):
    feature_model.vgg19(str(path))


def test_hdf5_in_another_layout_is_refused(tmp_path):
  import h5py  # pylint: disable=g-import-not-at-top
  path = str(tmp_path / "other.h5")
  with h5py.File(path, "w") as f:
    f.create_dataset("x", data=np.zeros(3))
  with pytest.raises(errors.WeightsError, match="layout"):
    feature_model.vgg19(path)


def test_missing_weights_file_is_named():
  with pytest.raises(errors.WeightsError, match="not found: /no/such.h5"):
    feature_model.vgg19("/no/such.h5")


def test_failed_download_names_the_file_to_get(monkeypatch, tmp_path):

  def offline(*args, **kwargs):
    raise Exception("URL fetch failure: name resolution")  # pylint: disable=broad-exception-raised

  monkeypatch.setattr(keras.utils, "get_file", offline)
  with pytest.raises(
      errors.WeightsError,
      match=f"{weights.IMAGENET_FILENAME}.*{weights.IMAGENET_MD5}"):
    feature_model.vgg19("imagenet")


@pytest.mark.real_weights
def test_real_weights_cover_the_whole_network(real_backbone):
  assert real_backbone.covered_layers == set(vgg19_names.CONV_LAYERS)
  kernel = real_backbone.model.get_layer("block1_conv1").kernel.numpy()
  # Trained first-layer filters are smooth: neighbouring taps correlate.
  flat = kernel.transpose(3, 2, 0, 1).reshape(-1, 9)
  assert np.corrcoef(flat[:, 0], flat[:, 1])[0, 1] > 0.5
  model = feature_model.feature_model(real_backbone, ["block5_conv4"])
  code = model(np.full((1, 64, 64, 3), 0.5, np.float32))["block5_conv4"]
  assert code.shape == (1, 4, 4, 512)


@pytest.mark.real_weights
def test_partial_real_weights_refuse_deeper_layers(block1_3_weights_path):
  backbone = feature_model.vgg19(block1_3_weights_path)
  assert backbone.covered_layers == {
      name for name in vgg19_names.CONV_LAYERS if name[5] in "123"
  }
  with pytest.raises(errors.WeightsError, match="block4_conv1"):
    feature_model.feature_model(backbone, ["relu4_1"])


@pytest.mark.bfloat16
def test_bfloat16_features_are_close_to_float32(tiny_backbone, photo):
  exact = feature_model.feature_model(tiny_backbone, ["block2_conv1"])
  mixed = feature_model.feature_model(tiny_backbone, ["block2_conv1"],
                                      precision="bfloat16")
  a = exact(photo[None])["block2_conv1"].numpy()
  b = mixed(photo[None])["block2_conv1"]
  assert b.dtype == "float32"
  error = np.linalg.norm(a - b.numpy()) / np.linalg.norm(a)
  assert 0 < error < 0.02


@pytest.mark.parametrize("option,phrase", [
    ({"precision": "float16"},
     "precision must be one of auto, float32, bfloat16, not 'float16'"),
    ({"pooling": "median"}, "pooling must be one of max, avg, not 'median'"),
    ({"relu_gradient": "guided"},
     "relu gradient must be one of exact, redirected, not 'guided'")])
def test_unknown_options_are_refused_with_the_valid_ones(tiny_backbone,
                                                         option, phrase):
  with pytest.raises(errors.ArgumentError, match=phrase):
    feature_model.feature_model(tiny_backbone, ["block1_conv1"], **option)

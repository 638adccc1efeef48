"""Any network: layer names, preprocessing, batch norm, ReLU6, coverage."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from fmi_tf import errors
from fmi_tf.atlas import layout
from fmi_tf.inversion import defaults
from fmi_tf.inversion import filters
from fmi_tf.nets import applications
from fmi_tf.nets import feature_model
from fmi_tf.nets import networks
from fmi_tf.nets import weights
from tests import tiny_mobilenet
from tests import tiny_vgg


@pytest.fixture(scope="module")
def tiny():
  return tiny_mobilenet.tiny_backbone()


def test_invertible_layers_are_activations_on_feature_maps(tiny):
  assert tiny.invertible_layers == tuple(tiny_mobilenet.INVERTIBLE)
  table = networks.layer_table(tiny)
  assert [line.split() for line in table] == [
      [name, str(count)] for name, count in tiny_mobilenet.INVERTIBLE.items()]


def test_vgg19_layers_are_its_convolutions_with_paper_names(tiny_backbone):
  table = networks.layer_table(tiny_backbone)
  assert len(table) == 16
  assert table[0].split() == ["block1_conv1", "relu1_1", "4"]
  assert table[-1].split() == ["block5_conv4", "relu5_4", "8"]


def test_depth_follows_the_graph_on_any_network(tiny, tiny_backbone):
  depths = [tiny.depth(name) for name in tiny_mobilenet.INVERTIBLE]
  assert depths == sorted(depths) and len(set(depths)) == len(depths)
  # Batch norm and pooling outputs are feature maps too, between them.
  assert tiny.depth("conv1_bn") == tiny.depth("conv1_relu") - 1
  assert tiny.depth("pool") == tiny.depth("swish_conv") - 1
  assert tiny.network_order(["swish_conv", "pool", "conv1_relu"]) == [
      "conv1_relu", "pool", "swish_conv"]
  assert (tiny_backbone.depth("relu1_2") == tiny_backbone.depth("block1_conv2")
          < tiny_backbone.depth("pool1") < tiny_backbone.depth("conv2_1"))
  with pytest.raises(errors.LayerError, match="unknown layer 'relu3_1'"):
    tiny.depth("relu3_1")


def test_unknown_layer_names_the_valid_ones(tiny):
  with pytest.raises(errors.LayerError, match="unknown layer 'relu3_1'.*"
                     "conv1_relu, dw_relu"):
    tiny.canonical_name("relu3_1")


def test_feature_model_preprocesses_and_runs_batch_norm_in_inference(tiny,
                                                                     rng):
  images = rng.uniform(size=(3, 20, 20, 3)).astype(np.float32)
  got = feature_model.feature_model(tiny, ["dw_relu", "swish_conv"])(images)
  full = keras.Model(tiny.model.input, {
      n: tiny.model.get_layer(n).output for n in ("dw_relu", "swish_conv")})
  want = full(images * 2 - 1, training=False)
  for name in want:
    np.testing.assert_allclose(got[name], want[name], rtol=1e-5, atol=1e-5)
  alone = feature_model.feature_model(tiny, ["dw_relu"])(images[:1])
  np.testing.assert_allclose(alone["dw_relu"], got["dw_relu"][:1],
                             rtol=1e-5, atol=1e-5)


def test_average_pooling_and_redirection_keep_shapes_and_weights(tiny, rng):
  images = rng.uniform(size=(1, 16, 16, 3)).astype(np.float32)
  exact = feature_model.feature_model(tiny, ["sum_relu", "swish_conv"])
  other = feature_model.feature_model(tiny, ["sum_relu", "swish_conv"],
                                      pooling="avg",
                                      relu_gradient="redirected")
  np.testing.assert_allclose(other(images)["sum_relu"],
                             exact(images)["sum_relu"], rtol=1e-5, atol=1e-5)
  assert not np.allclose(other(images)["swish_conv"],
                         exact(images)["swish_conv"])


def _with_beta(model: keras.Model, layer: str, channel: int, beta: float):
  bn = model.get_layer(layer)
  values = bn.get_weights()
  values[1][channel] = beta
  bn.set_weights(values)


@pytest.mark.parametrize("beta,sign", [(-100.0, -1.0), (100.0, 1.0)])
def test_redirected_relu6_revives_maps_dead_or_saturated(rng, beta, sign):
  model = tiny_mobilenet.tiny_mobilenet_model()
  _with_beta(model, "conv1_bn", 0, beta)
  backbone = feature_model.Backbone(
      model, frozenset(l.name for l in model.layers if l.weights), "tiny",
      "tiny_mobilenet", tiny_mobilenet.PREPROCESSING)
  images = tf.constant(rng.uniform(size=(1, 16, 16, 3)), tf.float32)

  def gradient(relu_gradient):
    features = feature_model.feature_model(backbone, ["conv1_relu"],
                                           relu_gradient=relu_gradient)
    with tf.GradientTape() as tape:
      tape.watch(images)
      code = features(images)["conv1_relu"]
      # Push the map into its active range: up from 0, down from 6.
      loss = sign * tf.reduce_sum(code[..., 0])
    return code, tape.gradient(loss, images)

  code, exact = gradient("exact")
  redirected_code, redirected = gradient("redirected")
  np.testing.assert_allclose(redirected_code, code)
  assert np.all(code[..., 0] == (0.0 if beta < 0 else 6.0))
  assert np.abs(exact).max() == 0
  assert np.abs(redirected).max() > 0


def test_layer_beyond_loaded_weights_is_refused(tmp_path):
  source = tiny_mobilenet.tiny_mobilenet_model(seed=1)
  path = str(tmp_path / "partial.h5")
  tiny_vgg.save_legacy_h5(source, path, ["conv1", "conv1_bn"])
  model = tiny_mobilenet.tiny_mobilenet_model(seed=2)
  covered = weights.assign(model, weights.read_weights(path))
  assert covered == {"conv1", "conv1_bn"}
  np.testing.assert_array_equal(model.get_layer("conv1_bn").get_weights()[2],
                                source.get_layer("conv1_bn").get_weights()[2])
  backbone = feature_model.Backbone(model, covered, path, "tiny_mobilenet",
                                    tiny_mobilenet.PREPROCESSING)
  feature_model.feature_model(backbone, ["conv1_relu"])
  with pytest.raises(errors.WeightsError,
                     match="dw_relu needs weights for dw, dw_bn.*covers "
                     "conv1, conv1_bn"):
    feature_model.feature_model(backbone, ["dw_relu"])
  assert layout.covered_conv_layers(backbone) == ["conv1_relu"]


def test_inversion_raises_every_filter_share_on_any_network(tiny, photo):
  results = list(filters.FilterInverter(
      tiny, "pw_relu", defaults.resolve(tiny).config).invert(
      photo, range(6)))
  shares = [(r.share_before, r.share_after) for r in results]
  assert all(after > before for before, after in shares), shares
  # Maps that never fire on the photo are revived by the redirected ReLU.
  assert any(before == 0 for before, _ in shares), shares


def test_keras_file_carries_its_own_weights(tmp_path, rng):
  source = tiny_mobilenet.tiny_mobilenet_model(seed=3)
  path = str(tmp_path / "mine.keras")
  source.save(path)
  backbone = networks.load(path, preprocessing="tf")
  assert backbone.covered_layers >= {"conv1", "pw_bn", "swish_conv"}
  images = rng.uniform(size=(1, 16, 16, 3)).astype(np.float32)
  got = feature_model.feature_model(backbone, ["sum_relu"])(images)
  want = keras.Model(source.input, source.get_layer("sum_relu").output)(
      images * 2 - 1, training=False)
  np.testing.assert_allclose(got["sum_relu"], want, rtol=1e-5, atol=1e-5)
  rebuilt = networks.architecture(networks.record(backbone), "saved")
  assert rebuilt.invertible_layers == backbone.invertible_layers
  assert rebuilt.preprocessing == "tf"


@pytest.mark.parametrize("filename,alpha", [
    ("mobilenet_2_5_224_tf_no_top.h5", 0.25),
    ("mobilenet_7_5_160_tf_no_top.h5", 0.75),
    ("mobilenet_1_0_224_tf_no_top.h5", 1.0),
    ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224_no_top.h5",
     0.35),
    ("weights_mobilenet_v3_small_224_0.75_float_no_top_v2.h5", 0.75),
    ("my_weights.h5", None)])
def test_alpha_follows_keras_file_names(filename, alpha):
  assert applications.alpha_from_filename(f"/x/{filename}") == alpha


@pytest.mark.parametrize("call,error,phrase", [
    (lambda: networks.load("alexnet"), errors.ArgumentError,
     "unknown model 'alexnet'"),
    (lambda: networks.load("vgg19", "w.h5", alpha=0.5), errors.ArgumentError,
     "vgg19 takes no alpha"),
    (lambda: networks.load("resnet50", "w.h5", alpha=0.5),
     errors.ArgumentError, "resnet50 takes no alpha"),
    (lambda: networks.load("mobilenet", preprocessing="tf"),
     errors.ArgumentError, "own preprocessing"),
    (lambda: networks.load("/no/model.keras"), errors.ArgumentError,
     "not found"),
    (lambda: networks.load("mobilenet", "/no/w.h5"), errors.WeightsError,
     "not found")])
def test_bad_networks_are_refused(call, error, phrase):
  with pytest.raises(error, match=phrase):
    call()


def test_weights_of_another_network_are_refused(tmp_path):
  path = str(tmp_path / "vgg.h5")
  tiny_vgg.save_legacy_h5(tiny_vgg.tiny_vgg19_model(), path, ["block1_conv1"])
  with pytest.raises(errors.WeightsError, match="holds no weights of "
                     r"mobilenet \(alpha 0.5\)"):
    networks.load("mobilenet", path, alpha=0.5)


def test_failed_download_names_the_file_to_get():
  url = ("https://storage.googleapis.com/tensorflow/keras-applications/"
         "mobilenet/mobilenet_1_0_224_tf_no_top.h5")
  error = weights.download_failure(
      "mobilenet", Exception(f"URL fetch failure on {url}: None -- no DNS"))
  assert "\n" not in str(error)
  assert "get mobilenet_1_0_224_tf_no_top.h5 and put it in" in str(error)
  assert "--weights=PATH" in str(error)


def test_layers_are_listed_without_weights_alpha_from_the_file_name():
  backbone = networks.unloaded("mobilenet",
                               "/x/mobilenet_7_5_224_tf_no_top.h5")
  assert networks.layer_table(backbone)[-1].split() == [
      "conv_pw_13_relu", "768"]
  with pytest.raises(errors.ArgumentError, match="unknown network 'vgg91'"):
    networks.unloaded("vgg91")

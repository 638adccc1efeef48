"""Every capability on a network that is not VGG19: a user's .keras file."""

import numpy as np
import pytest
import tensorflow as tf

from fmi_tf.optim import optimization
from fmi_tf.nets import networks
from fmi_tf.recognition import classifier
from fmi_tf.recognition import encoder
from fmi_tf.recognition import trained_model
from fmi_tf.serving import export
from fmi_tf.style import reallocation
from fmi_tf.style import stylization
from tests import tiny_mobilenet

_LAYERS = ("conv1_relu", "sum_relu")
_OPTIMIZER = optimization.OptimizerConfig(steps=30, learning_rate=0.05,
                                          steps_per_call=10, tolerance=0.0)
SIZE = 24


@pytest.fixture(scope="module")
def keras_backbone(tmp_path_factory):
  path = str(tmp_path_factory.mktemp("model") / "mine.keras")
  tiny_mobilenet.tiny_mobilenet_model(seed=4).save(path)
  return networks.load(path, preprocessing=tiny_mobilenet.PREPROCESSING)


def test_style_transfer_lowers_the_style_loss(keras_backbone, photo, rng):
  config = stylization.StyleConfig(
      style_layers=tuple((layer, 1.0) for layer in _LAYERS),
      content_layer="pw_relu", optimizer=_OPTIMIZER)
  style = rng.uniform(size=(20, 24, 3)).astype(np.float32)
  result = stylization.Stylizer(keras_backbone, config).stylize(style, photo)
  for layer in _LAYERS:
    name = f"loss/style/{layer}"
    assert result.losses[name] < result.initial_losses[name]


def test_reallocation_inverts_towards_its_targets(keras_backbone, photo):
  reallocator = reallocation.Reallocator(
      keras_backbone, reallocation.ReallocationConfig(
          mode="random", layers=_LAYERS, optimizer=_OPTIMIZER))
  result = reallocator.invert(photo, [0, 1])
  grey = np.full((2, *photo.shape), 0.5, np.float32)
  targets = reallocator.targets(photo, [0, 1])
  before = sum(
      np.sum(np.square(reallocator.codes(grey)[layer] - target))
      for layer, target in targets.items())
  after = sum(
      np.sum(np.square(reallocator.codes(result.images)[layer] - target))
      for layer, target in targets.items())
  assert after < 0.8 * before


def test_trained_encoder_saves_reloads_and_exports(keras_backbone, tmp_path):
  config = encoder.EncoderConfig(kind="energy", layers=_LAYERS)
  encoder_model = encoder.build(keras_backbone, config)
  assert encoder.descriptor_size(keras_backbone, config) == 4 + 6
  images = np.random.default_rng(5).uniform(
      size=(6, SIZE, SIZE, 3)).astype(np.float32)
  descriptors = encoder_model(images).numpy()
  fitted = classifier.train(descriptors, np.arange(6) % 2, ("a", "b"))
  directory = str(tmp_path / "model")
  trained_model.save(directory, trained_model.TrainedModel(
      encoder_model, config, SIZE, fitted, networks.record(keras_backbone)))
  loaded = trained_model.load(directory)
  np.testing.assert_allclose(loaded.encoder(images), descriptors,
                             rtol=1e-5, atol=1e-6)
  path = export.export_versioned(export.modules(loaded)[""],
                                 str(tmp_path / "exports"), "texture")
  served = tf.saved_model.load(path).signatures["serving_uint8"](
      images=tf.constant((images * 255).astype(np.uint8)))
  want = loaded.classifier.probabilities(loaded.encoder(export.fit_batch(
      tf.constant((images * 255).astype(np.uint8)), SIZE)).numpy())
  np.testing.assert_allclose(served["probabilities"].numpy(), want,
                             rtol=1e-4, atol=1e-4)
  np.testing.assert_allclose(served["scores"].numpy(),
                             np.sort(want, axis=1)[:, ::-1], rtol=1e-4,
                             atol=1e-4)

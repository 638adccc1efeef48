"""Every capability on a network that is not VGG19: a user's .keras file,
or a Keras model in memory."""

import json
import os

import numpy as np
from PIL import Image
import pytest
import tensorflow as tf

from fmi_tf import datasets
from fmi_tf import errors
from fmi_tf.optim import optimization
from fmi_tf.nets import feature_model
from fmi_tf.nets import networks
from fmi_tf.recognition import classifier
from fmi_tf.recognition import comparison
from fmi_tf.recognition import encoder
from fmi_tf.recognition import encoder_config
from fmi_tf.recognition import trained_model
from fmi_tf.recognition import training
from fmi_tf.serving import adapters
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


def test_style_transfer_defaults_to_the_networks_own_layers(keras_backbone,
                                                           photo, rng):
  stylizer = stylization.Stylizer(keras_backbone, stylization.StyleConfig(
      optimizer=_OPTIMIZER))
  assert list(stylizer.style_layers) == list(tiny_mobilenet.INVERTIBLE)
  assert stylizer.content_layer == "pw_relu"
  style = rng.uniform(size=(20, 24, 3)).astype(np.float32)
  result = stylizer.stylize(style, photo)
  style_loss = {
      when: sum(value for name, value in losses.items()
                if name.startswith("loss/style/"))
      for when, losses in (("before", result.initial_losses),
                           ("after", result.losses))}
  assert style_loss["after"] < 0.8 * style_loss["before"]


def test_a_vgg19_name_is_checked_against_the_network(keras_backbone):
  with pytest.raises(errors.LayerError,
                     match="unknown layer 'relu4_2' for .*mine.keras"):
    stylization.Stylizer(keras_backbone, stylization.StyleConfig(
        content_layer="relu4_2"))
  with pytest.raises(errors.LayerError, match="unknown layer 'block1_conv1'"):
    reallocation.ReallocationConfig(layers=("block1_conv1",)).for_network(
        keras_backbone)


def test_reallocation_defaults_to_the_two_shallowest_style_layers(
    keras_backbone, photo):
  reallocator = reallocation.Reallocator(
      keras_backbone, reallocation.ReallocationConfig(optimizer=_OPTIMIZER))
  assert reallocator.layers == ["conv1_relu", "dw_relu"]
  targets = reallocator.targets(photo, [0])
  grey = np.full((1, *photo.shape), 0.5, np.float32)
  result = reallocator.invert(photo, [0])
  distance = {
      when: sum(np.sum(np.square(reallocator.codes(images)[layer] - target))
                for layer, target in targets.items())
      for when, images in (("before", grey), ("after", result.images))}
  assert distance["after"] < 0.8 * distance["before"]


@pytest.mark.parametrize("kind,layers", [
    ("energy", tuple(tiny_mobilenet.INVERTIBLE)),
    ("gram", ("sum_relu", "swish_conv")), ("gap", ("swish_conv",))])
def test_each_encoder_defaults_to_the_networks_layers(keras_backbone, kind,
                                                      layers):
  config = encoder_config.EncoderConfig(kind=kind)
  assert config.for_network(keras_backbone).statistic_layers == layers
  images = np.random.default_rng(2).uniform(
      size=(2, SIZE, SIZE, 3)).astype(np.float32)
  descriptors = encoder.build(keras_backbone, config)(images).numpy()
  assert descriptors.shape == (
      2, encoder.descriptor_size(keras_backbone, config))
  assert descriptors.shape[1] == encoder.descriptor_size(
      keras_backbone, encoder_config.EncoderConfig(kind=kind, layers=layers))
  assert not np.allclose(descriptors[0], descriptors[1])
  np.testing.assert_allclose(np.linalg.norm(descriptors, axis=1), 1.0,
                             rtol=1e-5)


def test_trained_encoder_saves_reloads_and_exports(keras_backbone, tmp_path):
  config = encoder_config.EncoderConfig(kind="energy", layers=_LAYERS)
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
  paths = export.export(directory, str(tmp_path / "exports"))
  served = tf.saved_model.load(paths["texture"]).signatures["serving_uint8"](
      images=tf.constant((images * 255).astype(np.uint8)))
  want = loaded.classifier.probabilities(loaded.encoder(adapters.fit_batch(
      tf.constant((images * 255).astype(np.uint8)), SIZE)).numpy())
  np.testing.assert_allclose(served["probabilities"].numpy(), want,
                             rtol=1e-4, atol=1e-4)
  np.testing.assert_allclose(served["scores"].numpy(),
                             np.sort(want, axis=1)[:, ::-1], rtol=1e-4,
                             atol=1e-4)


@pytest.fixture(scope="module")
def in_memory_net():
  model = tiny_mobilenet.tiny_mobilenet_model(seed=6)
  return feature_model.Backbone(
      model, frozenset(layer.name for layer in model.layers if layer.weights),
      source="in-memory model", network="in-memory",
      preprocessing=tiny_mobilenet.PREPROCESSING)


@pytest.fixture(scope="module")
def texture_folder(tmp_path_factory):
  """Six 28x28 PNGs of each of two textures: stripes, and noise."""
  root = tmp_path_factory.mktemp("textures")
  generator = np.random.default_rng(8)
  for name in ("striped", "noisy"):
    os.makedirs(root / name)
    for i in range(6):
      if name == "striped":
        rows = (np.arange(28) // (2 + i % 3)) % 2 * 200 + 30
        pixels = np.repeat(rows[:, None, None], 28, axis=1).repeat(3, axis=2)
      else:
        pixels = generator.integers(0, 256, (28, 28, 3))
      Image.fromarray(pixels.astype(np.uint8)).save(root / name / f"{i}.png")
  return str(root)


@pytest.fixture(scope="module")
def texture_classifier(in_memory_net, texture_folder):
  return training.train_texture_classifier(
      in_memory_net,
      datasets.DatasetSpec(f"folder:{texture_folder}", test_fraction=0.5),
      encoder_config.EncoderConfig(kind="energy", layers=_LAYERS),
      image_size=SIZE)


def _uint8_images(folder):
  paths = sorted(os.path.join(folder, name, file)
                 for name in os.listdir(folder)
                 for file in os.listdir(os.path.join(folder, name)))
  return paths, np.stack([np.asarray(Image.open(p)) for p in paths])


def test_an_in_memory_model_is_trained_evaluated_and_classifies(
    texture_classifier, texture_folder):
  report = texture_classifier.report
  assert report["class_names"] == ["noisy", "striped"]
  assert report["train_images"] == 6 and report["test_images"] == 6
  assert report["descriptor_size"] == 4 + 6
  assert report["accuracy"] == texture_classifier.accuracy
  assert report["accuracy"] >= 0.8
  paths, uint8 = _uint8_images(texture_folder)
  by_path = texture_classifier.probabilities(paths)
  np.testing.assert_allclose(by_path.sum(axis=1), 1.0, rtol=1e-5)
  np.testing.assert_allclose(texture_classifier.probabilities(uint8 / 255.0),
                             by_path, rtol=1e-4, atol=1e-5)
  top = texture_classifier.classify(paths[:2], top_k=1)
  assert [[name for name, _ in row] for row in top] == [["noisy"]] * 2
  html = texture_classifier._repr_html_()
  assert f"{100 * report['accuracy']:.1f} %" in html
  assert "data:image/png;base64," in html


def test_an_in_memory_model_exports_without_any_file(
    texture_classifier, texture_folder, tmp_path):
  paths = export.export(texture_classifier, str(tmp_path / "exports"))
  assert sorted(paths) == ["texture", "texture_classifier", "texture_encoder"]
  _, uint8 = _uint8_images(texture_folder)
  served = tf.saved_model.load(paths["texture"]).signatures[
      "serving_uint8"](images=tf.constant(uint8))
  np.testing.assert_allclose(served["probabilities"].numpy(),
                             texture_classifier.probabilities(uint8),
                             rtol=1e-4, atol=1e-5)


def test_the_saved_run_holds_what_the_tool_writes(texture_classifier,
                                                  tmp_path):
  texture_classifier.save(str(tmp_path / "run"))
  assert sorted(os.listdir(tmp_path / "run")) == [
      "confusion.png", "logs", "model", "report.json"]
  assert json.loads((tmp_path / "run" / "report.json").read_text()) == (
      json.loads(json.dumps(texture_classifier.report)))
  assert sorted(os.listdir(tmp_path / "run" / "model")) == [
      "classifier.npz", "encoder.json", "encoder.weights.h5"]
  with pytest.raises(errors.ArgumentError, match="in-memory"):
    trained_model.load(str(tmp_path / "run"))


def test_encoders_are_compared_over_folds(in_memory_net, texture_folder,
                                          tmp_path):
  rows = comparison.evaluate_texture_encoders(
      in_memory_net,
      datasets.DatasetSpec(f"folder:{texture_folder}", test_fraction=0.5),
      {"both": encoder_config.EncoderConfig(kind="energy", layers=_LAYERS),
       "gap": encoder_config.EncoderConfig(kind="gap", layers=_LAYERS)},
      folds=2, image_size=SIZE, report_dir=str(tmp_path / "report"))
  assert [(r["encoder"], r["descriptor_size"]) for r in rows] == [
      ("both", 10), ("gap", 6)]
  for row in rows:
    assert len(row["accuracies"]) == len(row["reports"]) == 2
    assert row["accuracy_mean"] == pytest.approx(np.mean(row["accuracies"]))
  assert sorted(os.listdir(tmp_path / "report")) == [
      "confusion_both.png", "confusion_gap.png", "eval.json",
      "per_class_accuracy.png"]

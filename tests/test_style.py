"""Style and content losses, and style transfer / texture synthesis."""

import dataclasses
import glob

import numpy as np
import pytest
import tensorflow as tf

from benchmarks import style_measures
from fmi_tf import errors
from fmi_tf import texture
from fmi_tf.optim import composition
from fmi_tf.optim import objectives
from fmi_tf.optim import optimization
from fmi_tf.io import images
from fmi_tf.io import summaries
from fmi_tf.nets import default_layers
from fmi_tf.nets import feature_model
from fmi_tf.style import losses as style_losses
from fmi_tf.style import stylization

_LAYERS = (("relu1_1", 1.0), ("relu2_1", 1.0))


def test_relative_squared_distance_known_values():
  value = tf.constant([[1.0, 2.0], [0.0, 0.0]])
  target = tf.constant([[1.0, 0.0], [3.0, 4.0]])
  np.testing.assert_allclose(
      objectives.relative_squared_distance(value, target), [4.0, 1.0])


@pytest.mark.parametrize("method", style_losses.METHODS)
def test_style_term_vanishes_only_at_the_style(method, rng):
  code = tf.constant(rng.uniform(size=(1, 4, 4, 3)), tf.float32)
  other = tf.constant(rng.uniform(size=(1, 4, 4, 3)) ** 3, tf.float32)
  targets = {style_losses.style_key("block1_conv1"):
                 style_losses.statistic(method, code)}
  term = style_losses.style("block1_conv1", method)
  assert float(term({"block1_conv1": code}, None, targets)[0]) < 1e-10
  assert float(term({"block1_conv1": other}, None, targets)[0]) > 1e-3


def test_unknown_method_is_refused():
  with pytest.raises(errors.ArgumentError, match="energy, gram"):
    style_losses.style("block1_conv1", "wasserstein")


def test_losses_come_as_total_and_named_terms(tiny_backbone, photo, rng):
  stylizer = stylization.Stylizer(tiny_backbone, stylization.StyleConfig(
      style_layers=_LAYERS, content_layer="relu2_2", tv_weight=0.5))
  style = rng.uniform(size=(20, 24, 3)).astype(np.float32)
  objective = stylizer.objective(with_content=True)
  targets = stylizer.targets(style, photo)
  batch = tf.constant(np.stack([photo, photo[::-1]]))
  total, terms = composition.total_and_terms(
      objective, stylizer.features(batch), batch, targets)
  assert set(terms) == {"loss/style/block1_conv1", "loss/style/block2_conv1",
                        "loss/content/block2_conv2", "loss/tv"}
  np.testing.assert_allclose(total, sum(terms.values()), rtol=1e-6)
  per_image = objective(stylizer.features(batch), batch, targets)
  np.testing.assert_allclose(total, tf.reduce_mean(per_image), rtol=1e-5)


@pytest.mark.parametrize("spec,expected", [
    ("relu1_1=0.5", ("relu1_1", 0.5)), (" conv2_1", ("conv2_1", 1.0)),
    ("block3_conv1=2e-1", ("block3_conv1", 0.2)),
    ("relu1_1=0", ("relu1_1", 0.0))])
def test_parse_style_layer(spec, expected):
  assert stylization.parse_style_layer(spec) == expected


@pytest.mark.parametrize("spec,error,phrase", [
    ("relu1_1=heavy", errors.ArgumentError, "not a number"),
    ("relu1_1=nan", errors.ArgumentError, "finite")])
def test_parse_style_layer_refuses(spec, error, phrase):
  with pytest.raises(error, match=phrase):
    stylization.parse_style_layer(spec)


def test_parsed_layers_are_checked_against_the_network(tiny_backbone):
  config = stylization.StyleConfig(
      style_layers=(stylization.parse_style_layer("conv1_1=1"),))
  assert config.for_network(tiny_backbone).style_layers == (
      ("block1_conv1", 1.0),)
  with pytest.raises(errors.LayerError, match="unknown layer 'block9_conv1'"):
    stylization.StyleConfig(
        style_layers=(stylization.parse_style_layer("relu9_1=1"),)
    ).for_network(tiny_backbone)


@pytest.mark.parametrize("settings,phrase", [
    ({"style_layers": (("block1_conv1", 0.0), ("block2_conv1", 0.0))},
     "all style layer weights are zero"),
    ({"style_layers": (("block1_conv1", -1.0),)}, "non-negative"),
    ({"style_weight": 0.0}, "style weight is zero"),
    ({"init": "style"}, "init"),
    ({"method": "mean"}, "method"),
    ({"tv_weight": -1.0}, "tv_weight")])
def test_config_refuses_bad_settings(settings, phrase):
  with pytest.raises(errors.ArgumentError, match=phrase):
    stylization.StyleConfig(**settings)


def test_uncovered_layer_is_refused(tiny_backbone):
  partial = feature_model.Backbone(tiny_backbone.model,
                                   frozenset({"block1_conv1", "block1_conv2"}),
                                   "partial", feature_model.VGG19)
  with pytest.raises(errors.WeightsError, match="block2_conv1"):
    stylization.Stylizer(partial, stylization.StyleConfig(
        style_layers=_LAYERS, content_layer="relu1_2"))


def _config(method, steps, param="pixel", **settings):
  return stylization.StyleConfig(
      method=method, style_layers=_LAYERS, content_layer="relu2_2",
      optimizer=optimization.OptimizerConfig(
          steps=steps, learning_rate=0.03, steps_per_call=10, tolerance=0.0,
          param=param),
      **settings)


@pytest.mark.parametrize("method", style_losses.METHODS)
def test_transfer_lowers_the_style_loss_and_keeps_the_size(
    method, tiny_backbone, photo, rng):
  style = rng.uniform(size=(24, 20, 3)).astype(np.float32) ** 2
  result = stylization.Stylizer(tiny_backbone, _config(method, 30)).stylize(
      style, photo)
  assert result.image.shape == photo.shape
  assert result.steps == 30
  for layer in ("block1_conv1", "block2_conv1"):
    name = f"loss/style/{layer}"
    assert result.losses[name] < result.initial_losses[name]
  assert result.initial_losses["loss/content/block2_conv2"] < 1e-10


def test_synthesis_without_content_has_the_style_size(tiny_backbone, rng):
  style = rng.uniform(size=(24, 20, 3)).astype(np.float32)
  result = stylization.Stylizer(tiny_backbone, _config("gram", 10)).stylize(
      style)
  assert result.image.shape == style.shape
  assert not any(name.startswith("loss/content") for name in result.losses)


def test_fourier_synthesis_lowers_the_style_loss(tiny_backbone, rng):
  style = rng.uniform(size=(24, 20, 3)).astype(np.float32) ** 2
  result = stylization.Stylizer(
      tiny_backbone, _config("energy", 30, param="fourier")).stylize(style)
  assert result.image.min() >= 0 and result.image.max() <= 1
  for layer in ("block1_conv1", "block2_conv1"):
    name = f"loss/style/{layer}"
    assert result.losses[name] < 0.8 * result.initial_losses[name]


def test_tensorboard_gets_terms_and_images(tiny_backbone, photo, rng,
                                           tmp_path):
  writer = summaries.SummaryWriter(str(tmp_path))
  style = rng.uniform(size=(24, 20, 3)).astype(np.float32)
  stylization.Stylizer(tiny_backbone, _config("energy", 20), writer).stylize(
      style, photo)
  writer.flush()
  tags = {value.tag
          for path in glob.glob(str(tmp_path / "events.*"))
          for event in tf.compat.v1.train.summary_iterator(path)
          for value in event.summary.value}
  assert {"loss/style/block1_conv1", "loss/content/block2_conv2", "loss/tv",
          "loss/total", "image/0_content", "image/1_style",
          "image/2_result"} <= tags


@pytest.mark.real_weights
@pytest.mark.real_data
@pytest.mark.slow
def test_energy_synthesis_cuts_energy_distance_by_90_percent(
    real_backbone, dtd10_root):
  style = images.load_image(f"{dtd10_root}/braided/braided_0050.jpg", 96)
  config = stylization.StyleConfig(
      method="energy", tv_weight=0.0, init="noise",
      optimizer=optimization.OptimizerConfig(
          steps=150, learning_rate=0.03, steps_per_call=50, tolerance=0.0))
  stylizer = stylization.Stylizer(real_backbone, config)
  start = stylizer.initial_image(style, None)
  result = stylizer.stylize(style)
  layers = default_layers.style_layers(real_backbone)
  model = feature_model.feature_model(real_backbone, layers, config.pooling)
  def distance(image):
    vectors = [tf.concat([texture.energies(model(x)[layer])
                          for layer in layers], axis=-1)
               for x in (image, style[None])]
    return float(tf.norm(vectors[0] - vectors[1]) / tf.norm(vectors[1]))

  assert distance(result.image[None]) <= 0.1 * distance(start)


@pytest.mark.real_weights
@pytest.mark.real_data
@pytest.mark.slow
@pytest.mark.parametrize("method", ["energy", "gram"])
def test_default_transfer_carries_the_style_and_keeps_the_content(
    real_backbone, dtd10_root, method):
  content = images.load_image(None, 80)
  style = images.cover_and_crop(images.load_image(
      f"{dtd10_root}/braided/braided_0002.jpg", 80), content.shape)
  config = stylization.StyleConfig(method=method, optimizer=(
      dataclasses.replace(stylization.DEFAULT_OPTIMIZER, steps=100,
                          steps_per_call=50)))
  stylizer = stylization.Stylizer(real_backbone, config)
  assert stylizer.content_layer == "block4_conv2"
  assert list(stylizer.style_layers) == [
      "block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1",
      "block5_conv1"]
  result = stylizer.stylize(style, content)
  moved, ratio = style_measures.carried(stylizer, content, style,
                                        result.image)
  assert moved >= 0.65
  assert ratio <= 0.8


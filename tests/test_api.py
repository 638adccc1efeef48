"""The Python API: `import fmi_tf` is cheap, and every function works on a
network by name or a user's own in-memory keras.Model."""

import io
import json
import subprocess
import sys

import keras
import numpy as np
from PIL import Image
import pytest
import tensorflow as tf

import fmi_tf
from fmi_tf import errors
from fmi_tf import texture
from fmi_tf.inversion import defaults
from fmi_tf.inversion import filters
from fmi_tf.optim import settings
from tests import tiny_vgg

_FAST = {"steps": 20, "progress": False}


@pytest.fixture(scope="module")
def own_model():
  """A user's in-memory functional model (not wrapped by fmi_tf)."""
  return tiny_vgg.tiny_vgg19_model(seed=3)


@pytest.fixture(scope="module")
def own_net(own_model):
  return fmi_tf.network(own_model, preprocessing="caffe")


def test_import_is_cheap_and_lists_the_api():
  process = subprocess.run(
      [sys.executable, "-c", "import sys, fmi_tf; "
       "print('tensorflow' in sys.modules, 'keras' in sys.modules, "
       "sorted(fmi_tf.__all__))"],
      capture_output=True, text=True, check=True)
  loaded_tf, loaded_keras, names = process.stdout.split(" ", 2)
  assert loaded_tf == "False" and loaded_keras == "False"
  for name in ("network", "invert", "draw_atlas", "stylize", "reallocate",
               "train_texture_classifier", "export", "objectives", "param",
               "transforms"):
    assert repr(name) in names


def test_unknown_attribute_is_an_attribute_error():
  with pytest.raises(AttributeError, match="no attribute 'inverse'"):
    fmi_tf.inverse  # pylint: disable=pointless-statement


def test_network_of_an_in_memory_model_covers_its_layers(own_model, own_net):
  assert own_net.model is own_model
  assert own_net.network == "tiny_vgg19 (in memory)"
  assert own_net.covered_layers == {
      layer.name for layer in own_model.layers if layer.weights}
  assert fmi_tf.network(own_net) is own_net


def test_network_refuses_a_model_without_one_image_input():
  inputs = keras.Input((8,))
  dense = keras.Model(inputs, keras.layers.Dense(2)(inputs), name="dense")
  with pytest.raises(errors.ArgumentError, match="one .B, H, W, 3. image"):
    fmi_tf.network(dense)


def test_invert_on_an_in_memory_model_raises_each_filters_share(own_net,
                                                                photo):
  result = fmi_tf.invert(own_net, "block2_conv1", filters=[0, 1, 2, 3],
                         image=photo, size=32, **_FAST)
  assert result.images.shape == (4, *photo.shape)
  assert result.filters == [0, 1, 2, 3]
  gains = [r.energy_share_gain for r in result.records
           if r.energy_share_before > 0]
  assert gains and min(gains) > 1.0
  assert all(r.run.network["network"] == "tiny_vgg19 (in memory)"
             for r in result.records)
  json.dumps([r.to_dict() for r in result.records])  # JSON-ready


def test_invert_shows_a_labelled_grid(tiny_backbone, photo):
  result = fmi_tf.invert(tiny_backbone, "block1_conv1", filters="0:3",
                         image=photo, **_FAST)
  with Image.open(io.BytesIO(result._repr_png_())) as grid:  # pylint: disable=protected-access
    assert grid.width > 3 * photo.shape[1]
  assert result.grid().size == grid.size


def test_invert_settings_reach_the_configs(tiny_backbone, photo):
  result = fmi_tf.invert(tiny_backbone, "block1_conv1", filters=[1],
                         image=photo, steps=7, tolerance=0.0, mode="gain",
                         alpha=4.0, progress=False)
  parameters = result.records[0].run.parameters
  assert parameters["steps"] == 7 and parameters["mode"] == "gain"
  assert parameters["alpha"] == 4.0
  assert result.records[0].steps == 7


@pytest.mark.parametrize("kwargs,error,phrase", [
    ({"stepz": 3}, errors.ArgumentError, "unknown setting 'stepz'"),
    ({"filters": [99]}, errors.LayerError, "filter 99 is out of range"),
    ({"filters": []}, errors.ArgumentError, "at least one filter"),
    ({"image": np.zeros((4, 4))}, errors.ImageError, r"\[H, W, 3\]"),
    ({"learning_rate": -1.0}, errors.ArgumentError, "learning_rate"),
])
def test_invert_bad_arguments_are_fmi_errors(tiny_backbone, kwargs, error,
                                             phrase):
  with pytest.raises(error, match=phrase):
    fmi_tf.invert(tiny_backbone, "block1_conv1", progress=False, **kwargs)


def _brightness(activations, images, targets):
  del activations, targets
  return -tf.reduce_mean(images, axis=[1, 2, 3])


def test_a_users_objective_joins_the_inversion(tiny_backbone, photo):
  bright = fmi_tf.objectives.Objective.of(_brightness, "loss/brightness")
  plain = fmi_tf.invert(tiny_backbone, "block1_conv1", filters=[0, 1],
                        image=photo, **_FAST)
  brighter = fmi_tf.invert(tiny_backbone, "block1_conv1", filters=[0, 1],
                           image=photo, objective=5.0 * bright, **_FAST)
  assert brighter.images.mean() > plain.images.mean() + 0.05


def test_an_objective_reading_another_layer_gets_it_in_the_feature_model(
    tiny_backbone):
  deeper = fmi_tf.objectives.code_distance("block3_conv1")
  inverter = filters.FilterInverter(
      tiny_backbone, "block1_conv1", defaults.resolve(tiny_backbone).config,
      objective=deeper)
  assert inverter.layers == ("block1_conv1", "block3_conv1")


def _tilted_fourier(height, width):
  param, transforms = fmi_tf.param, fmi_tf.transforms
  return param.Parameterization(
      param.FourierSpace(height, width), param.DecorrelatedColor(),
      [transforms.jitter(0.02), transforms.rotate(10.0)])


def test_a_users_parameterization_is_used_and_recorded(tiny_backbone, photo):
  result = fmi_tf.invert(tiny_backbone, "block2_conv1", filters=[0, 1],
                         image=photo, param=_tilted_fourier, **_FAST)
  assert result.records[0].run.param == "custom:_tilted_fourier"
  assert 0 <= result.images.min() and result.images.max() <= 1
  pixel = fmi_tf.invert(tiny_backbone, "block2_conv1", filters=[0, 1],
                        image=photo, **_FAST)
  assert np.abs(result.images - pixel.images).mean() > 0.01


def test_draw_atlas_writes_grids_and_resumes(tiny_backbone, photo, tmp_path):
  first = fmi_tf.draw_atlas(tiny_backbone, ["block1_conv1", "relu2_1"],
                            str(tmp_path), image=photo, **_FAST)
  assert first.layers == ("block1_conv1", "block2_conv1")
  assert first.inverted == tiny_vgg.WIDTHS[1] + tiny_vgg.WIDTHS[2]
  assert {p.split("/")[-1] for p in first.grids} == {
      "block1_conv1.png", "block2_conv1.png"}
  assert (tmp_path / "index.html").is_file()
  record = json.loads((tmp_path / "block2_conv1_0000.json").read_text())
  assert record["network"]["network"] == "vgg19"
  again = fmi_tf.draw_atlas(tiny_backbone, ["block1_conv1"], str(tmp_path),
                            image=photo, **_FAST)
  assert again.inverted == 0


def test_draw_atlas_refuses_before_writing(tiny_backbone, tmp_path):
  with pytest.raises(errors.LayerError):
    fmi_tf.draw_atlas(tiny_backbone, ["block9_conv1"], str(tmp_path / "a"),
                      progress=False)
  assert not (tmp_path / "a").exists()


def test_stylize_an_in_memory_model_moves_toward_the_style(own_net, photo):
  style = photo[::-1, :, ::-1].copy()  # Upside down, red and blue swapped.
  result = fmi_tf.stylize(own_net, style=style, content=photo,
                          style_layers=(("block1_conv1", 1.0),
                                        ("block2_conv1", 1.0)),
                          content_layer="block2_conv2", **_FAST)
  assert result.image.shape == photo.shape
  assert result.losses["loss/total"] < result.initial_losses["loss/total"]
  with Image.open(io.BytesIO(result._repr_png_())) as png:  # pylint: disable=protected-access
    assert png.size == (photo.shape[1], photo.shape[0])


def test_stylize_takes_a_users_objective(tiny_backbone, photo):
  bright = fmi_tf.objectives.Objective.of(_brightness, "loss/brightness")
  result = fmi_tf.stylize(tiny_backbone, style=photo, objective=bright,
                          **_FAST)
  assert "loss/brightness" in result.losses


def test_reallocate_gives_one_image_per_seed(tiny_backbone, photo):
  result = fmi_tf.reallocate(tiny_backbone, photo, seeds=[2, 5], size=32,
                             **_FAST)
  assert result.seeds == (2, 5)
  assert result.images.shape == (2, *photo.shape)
  codes = [texture.energy_shares(
      filters.FilterInverter(tiny_backbone, "block1_conv1",
                             defaults.resolve(tiny_backbone).config).code(
          result.images[i:i + 1]))[0].numpy() for i in range(2)]
  assert np.abs(codes[0] - codes[1]).max() > 0.01  # seeds differ
  assert result.grid().width > 3 * photo.shape[1]


def test_settings_apply_sorts_fields_into_their_config():
  default = defaults.resolve("vgg19").config
  config = settings.apply(None, {"steps": 50, "alpha": 5.0,
                                 "param": "fourier"}, default)
  assert (config.optimizer.steps, config.alpha) == (50, 5.0)
  assert config.optimizer.param == "fourier"
  assert settings.apply(config, {}, default) == config
  with pytest.raises(errors.ArgumentError, match="valid settings: .*alpha"):
    settings.apply(config, {"alfa": 1.0}, default)
  with pytest.raises(errors.ArgumentError, match="config must be"):
    settings.apply(config.optimizer, {}, default)


def test_a_given_config_is_kept_where_no_setting_overrides_it(tiny_backbone,
                                                              photo):
  gram = fmi_tf.StyleConfig(method="gram", style_layers=(
      ("block1_conv1", 1.0),))
  result = fmi_tf.stylize(tiny_backbone, style=photo, config=gram, **_FAST)
  assert set(result.losses) >= {"loss/style/block1_conv1", "loss/total"}
  rank = fmi_tf.ReallocationConfig(mode="rank")
  with pytest.raises(errors.ArgumentError, match="style"):
    fmi_tf.reallocate(tiny_backbone, photo, seeds=[0], config=rank, **_FAST)


def test_train_and_export_a_users_keras_model_with_no_file(own_model,
                                                           tmp_path):
  rng = np.random.default_rng(0)
  for name, period in (("fine", 4), ("coarse", 12)):
    (tmp_path / "data" / name).mkdir(parents=True)
    for i in range(6):
      x = np.arange(32)[None, :] + rng.integers(0, period)
      stripes = 0.5 + 0.4 * np.sin(2 * np.pi * x / period) * np.ones((32, 1))
      pixels = (np.repeat(stripes[..., None], 3, -1) * 255).astype(np.uint8)
      Image.fromarray(pixels).save(tmp_path / "data" / name / f"{i}.png")
  net = fmi_tf.network(own_model, preprocessing="caffe")
  clf = fmi_tf.train_texture_classifier(
      net, fmi_tf.DatasetSpec(f"folder:{tmp_path}/data", test_fraction=0.5),
      "energy", image_size=32)
  paths = fmi_tf.export(clf, str(tmp_path / "exports"))
  served = tf.saved_model.load(paths["texture"])
  image = Image.open(tmp_path / "data" / "fine" / "0.png")
  png = io.BytesIO()
  image.save(png, format="PNG")
  signature = served.signatures["serving_default"]
  outputs = signature(image_bytes=tf.constant([png.getvalue()]))
  probabilities = outputs["probabilities"].numpy()
  expected = clf.probabilities(
      np.asarray(image, np.float32)[None] / 255.0)
  np.testing.assert_allclose(probabilities, expected, atol=1e-4)

"""Texture encoders and the descriptor cache."""

import json
import os

import numpy as np
from PIL import Image
import pytest

from fmi_tf import datasets
from fmi_tf import errors
from fmi_tf import texture
from fmi_tf.datasets import pipeline
from fmi_tf.nets import feature_model
from fmi_tf.recognition import descriptor_cache
from fmi_tf.recognition import encoder
from fmi_tf.recognition import encoder_config
from fmi_tf.recognition import experiment
from fmi_tf.recognition import layer_statistics


@pytest.fixture(scope="module")
def images():
  return np.random.default_rng(7).uniform(size=(3, 32, 32, 3)).astype(
      np.float32)


@pytest.mark.parametrize("kind", encoder_config.KINDS)
def test_descriptors_have_the_announced_size_and_unit_norm(
    tiny_backbone, images, kind):
  config = encoder_config.EncoderConfig(kind=kind)
  descriptors = encoder.build(tiny_backbone, config)(images).numpy()
  assert descriptors.shape == (
      3, encoder.descriptor_size(tiny_backbone, config))
  np.testing.assert_allclose(np.linalg.norm(descriptors, axis=1), 1.0,
                             rtol=1e-5)


def test_gap_is_the_mean_of_the_deepest_layer_only(tiny_backbone, images):
  config = encoder_config.EncoderConfig(
      kind="gap", layers=("relu2_1", "relu3_1"), signed_sqrt=False,
      l2=False)
  descriptors = encoder.build(tiny_backbone, config)(images).numpy()
  deepest = feature_model.feature_model(tiny_backbone, ["block3_conv1"])(
      images)["block3_conv1"]
  np.testing.assert_allclose(descriptors, texture.energies(deepest).numpy(),
                             rtol=1e-5, atol=1e-6)


def test_energy_concatenates_every_layer_in_network_order(tiny_backbone,
                                                          images):
  config = encoder_config.EncoderConfig(
      kind="energy", order=2, layers=("relu3_1", "relu1_1"),
      signed_sqrt=False, l2=False).for_network(tiny_backbone)
  assert config.layers == ("block1_conv1", "block3_conv1")
  descriptors = encoder.build(tiny_backbone, config)(images).numpy()
  codes = feature_model.feature_model(tiny_backbone, config.layers)(images)
  expected = np.concatenate([texture.energies(codes[n], 2).numpy()
                             for n in config.layers], axis=1)
  np.testing.assert_allclose(descriptors, expected, rtol=1e-5, atol=1e-6)


def test_gram_upper_triangle_keeps_the_frobenius_norm(tiny_backbone,
                                                      images):
  config = encoder_config.EncoderConfig(kind="gram", layers=("block2_conv1",),
                                        signed_sqrt=False, l2=False)
  descriptors = encoder.build(tiny_backbone, config)(images).numpy()
  codes = feature_model.feature_model(tiny_backbone, ["block2_conv1"])(images)
  grams = texture.gram(codes["block2_conv1"]).numpy()
  np.testing.assert_allclose(np.linalg.norm(descriptors, axis=1),
                             np.linalg.norm(grams.reshape(3, -1), axis=1),
                             rtol=1e-4)


def test_multi_scale_averages_statistics_over_scales(tiny_backbone, images):
  single = encoder_config.EncoderConfig(signed_sqrt=False, l2=False)
  multi = encoder_config.EncoderConfig(scales=(1.0, 0.5), signed_sqrt=False,
                                       l2=False)
  half = encoder_config.EncoderConfig(scales=(0.5,), signed_sqrt=False,
                                      l2=False)
  a, b, c = (encoder.build(tiny_backbone, cfg)(images).numpy()
             for cfg in (single, multi, half))
  np.testing.assert_allclose(b, (a + c) / 2, rtol=1e-4, atol=1e-6)
  assert not np.allclose(a, c)


def test_bad_configurations_raise_argument_errors():
  with pytest.raises(errors.ArgumentError, match="encoder"):
    encoder_config.EncoderConfig(kind="vlad")
  with pytest.raises(errors.ArgumentError, match="scales"):
    encoder_config.EncoderConfig(scales=(0.0,))
  with pytest.raises(errors.ArgumentError, match="order"):
    encoder_config.EncoderConfig(order=3)


def test_config_round_trips_through_a_dict():
  config = encoder_config.EncoderConfig(kind="gram", scales=(1.0, 0.5), order=2)
  assert encoder_config.EncoderConfig.from_dict(config.to_dict()) == config


def _image_folder(root, corrupt: bool = False):
  """Two classes of three random images; `corrupt` spoils b/1.png."""
  generator = np.random.default_rng(3)
  for name in ("a", "b"):
    os.makedirs(root / name)
    for i in range(3):
      Image.fromarray(generator.integers(0, 256, (20, 20, 3), np.uint8)).save(
          root / name / f"{i}.png")
  if corrupt:
    (root / "b" / "1.png").write_bytes(b"garbage")
  return datasets.load(str(root), test_fraction=0.5, seed=0)


def test_runs_sharing_a_cache_keep_each_others_entries(tmp_path,
                                                       tiny_backbone):
  dataset = _image_folder(tmp_path / "images")
  model = encoder.build(tiny_backbone, encoder_config.EncoderConfig(
      layers=("relu1_1", "relu2_1")))
  record = {"dataset": dataset.name, "size": 16}
  directory = str(tmp_path / "cache")
  first = descriptor_cache.DescriptorCache(directory, record)
  second = descriptor_cache.DescriptorCache(directory, record)
  first.encode(model, dataset.train, 16, 2)
  second.encode(model, dataset.test, 16, 2)
  reopened = descriptor_cache.DescriptorCache(directory, record)
  for split in (dataset.train, dataset.test):
    again = reopened.encode(model, split, 16, 2)
    assert again.seconds == 0 and again.names == split.names


def test_new_weights_at_the_same_path_get_a_new_cache(tmp_path,
                                                      tiny_backbone):
  dataset = _image_folder(tmp_path / "images")
  config = encoder_config.EncoderConfig(layers=("relu1_1", "relu2_1"))
  model = encoder.build(tiny_backbone, config)
  directory = str(tmp_path / "cache")
  experiment.cache_for(dataset, 16, tiny_backbone, directory).encode(
      model, dataset.train, 16, 2)
  layer = tiny_backbone.model.get_layer(sorted(tiny_backbone.covered_layers)[0])
  kept = layer.get_weights()
  try:
    layer.set_weights([kept[0] * 1.5, kept[1]])
    changed = experiment.cache_for(dataset, 16, tiny_backbone, directory)
    assert changed.encode(model, dataset.train, 16, 2).seconds > 0
  finally:
    layer.set_weights(kept)
  same = experiment.cache_for(dataset, 16, tiny_backbone, directory)
  assert same.encode(model, dataset.train, 16, 2).seconds == 0
  files_per_cache = len(layer_statistics.statistic_keys(config))
  assert len([f for f in os.listdir(directory)
              if f.endswith(".npz")]) == 2 * files_per_cache


def test_each_kind_has_its_own_default_layers_on_vgg19(tiny_backbone):
  def layers(kind, **given):
    return encoder_config.EncoderConfig(kind=kind, **given).for_network(
        tiny_backbone).statistic_layers

  assert layers("gap") == ("block5_conv4",)
  assert layers("energy") == ("block1_conv1", "block2_conv1", "block3_conv1",
                              "block4_conv1", "block5_conv1")
  assert layers("gram") == ("block4_conv1", "block5_conv1")
  assert layers("gram", layers=("relu2_1", "relu1_1")) == (
      "block1_conv1", "block2_conv1")


def test_reduced_gram_is_the_projected_gram(tiny_backbone, images):
  layer = "block3_conv1"
  channels = tiny_backbone.num_filters(layer)
  dim = channels // 2
  config = encoder_config.EncoderConfig(
      kind="gram", layers=(layer,), gram_dim=dim, signed_sqrt=False,
      l2=False)
  descriptors = encoder.build(tiny_backbone, config)(images).numpy()
  assert descriptors.shape == (3, dim * (dim + 1) // 2)
  assert encoder.descriptor_size(tiny_backbone, config) == dim * (dim + 1) // 2
  code = feature_model.feature_model(tiny_backbone, [layer])(images)[layer]
  projection = layer_statistics.projection(channels, dim)
  np.testing.assert_allclose(projection.T @ projection, np.eye(dim),
                             atol=1e-5)
  expected = projection.T @ texture.gram(code).numpy() @ projection
  rows, cols = np.triu_indices(dim)
  np.testing.assert_allclose(descriptors[:, 0], expected[:, 0, 0],
                             rtol=1e-4, atol=1e-6)
  np.testing.assert_allclose(np.linalg.norm(descriptors, axis=1),
                             np.linalg.norm(expected.reshape(3, -1), axis=1),
                             rtol=1e-4)
  assert len(rows) == descriptors.shape[1]


def test_cache_encodes_each_image_once_and_reports_corrupt_ones(
    tmp_path, tiny_backbone):
  dataset = _image_folder(tmp_path / "images", corrupt=True)
  model = encoder.build(tiny_backbone, encoder_config.EncoderConfig(
      layers=("relu1_1", "relu2_1")))
  record = {"dataset": dataset.name, "size": 16}
  cache = descriptor_cache.DescriptorCache(str(tmp_path / "cache"), record)
  first = cache.encode(model, dataset.train, 16, 2)
  reopened = descriptor_cache.DescriptorCache(str(tmp_path / "cache"), record)
  again = reopened.encode(model, dataset.train, 16, 2)
  everything = dataset.train.names + dataset.test.names
  assert first.seconds > 0 and again.seconds == 0
  np.testing.assert_array_equal(first.descriptors, again.descriptors)
  assert first.names == again.names
  test = reopened.encode(model, dataset.test, 16, 2)
  assert set(first.skipped + test.skipped) == {"b/1.png"}
  assert len(first.names) + len(test.names) == len(everything) - 1
  assert [dataset.class_names[i] for i in test.labels] == [
      n.split("/")[0] for n in test.names]


def test_encoders_sharing_statistics_share_one_encoding(tmp_path,
                                                        tiny_backbone):
  dataset = _image_folder(tmp_path / "images", corrupt=True)
  cache = descriptor_cache.DescriptorCache(str(tmp_path / "cache"), {})
  keys = (layer_statistics.Statistic("block2_conv1"),
          layer_statistics.Statistic("block3_conv1"),
          layer_statistics.Statistic("block3_conv1", order=2))
  for scale in (1.0, 0.5):
    statistics = layer_statistics.statistics_layer(tiny_backbone, keys, scale)
    assert cache.prefetch(statistics, dataset.train, 32) > 0
  configs = [
      encoder_config.EncoderConfig(kind="gap", layers=("relu3_1",)),
      encoder_config.EncoderConfig(layers=("relu2_1", "relu3_1"),
                                   scales=(1, 0.5)),
      encoder_config.EncoderConfig(layers=("relu3_1",), order=2, scales=(0.5,))]
  for config in configs:
    model = encoder.build(tiny_backbone, config)
    cached = cache.encode(model, dataset.train, 32, 2)
    assert cached.seconds == 0
    fresh = descriptor_cache.DescriptorCache(None, {}).encode(
        model, dataset.train, 32, 2)
    np.testing.assert_allclose(cached.descriptors, fresh.descriptors,
                               rtol=1e-5, atol=1e-6)
    direct = model(
        np.stack([b["image"] for b in _fitted(dataset.train, 32)])).numpy()
    np.testing.assert_allclose(cached.descriptors, direct, rtol=1e-4,
                               atol=1e-5)


def _fitted(examples, size):
  return [{"image": image} for batch in pipeline.batches(
      examples.images(), size, 8) for image in batch["image"].numpy()]


def test_the_cache_encodes_with_the_encoders_own_layers(
    tmp_path, tiny_backbone, monkeypatch):
  dataset = _image_folder(tmp_path / "images")
  model = encoder.build(tiny_backbone, encoder_config.EncoderConfig(
      layers=("relu1_1", "relu2_1"), scales=(1.0, 0.5)))

  def no_new_slice(*args, **kwargs):
    raise AssertionError("the cache sliced a second feature model")

  monkeypatch.setattr(feature_model, "feature_model", no_new_slice)
  encoded = descriptor_cache.DescriptorCache(None, {}).encode(
      model, dataset.train, 32, 2)
  assert encoded.seconds > 0
  np.testing.assert_allclose(
      encoded.descriptors,
      model(np.stack([b["image"] for b in _fitted(dataset.train, 32)])),
      rtol=1e-4, atol=1e-5)


def test_statistics_are_structured_keys_named_one_way(tmp_path,
                                                      tiny_backbone):
  gram = encoder_config.EncoderConfig(kind="gram", layers=("relu2_1",),
                                      gram_dim=8).for_network(tiny_backbone)
  gap = encoder_config.EncoderConfig(kind="gap", layers=("relu1_1", "relu3_1"),
                                     order=2).for_network(tiny_backbone)
  assert layer_statistics.statistic_keys(gram) == (
      layer_statistics.Statistic("block2_conv1", "gram", gram_dim=8),)
  assert layer_statistics.statistic_keys(gap) == (
      layer_statistics.Statistic("block3_conv1"),)
  assert [k.name for k in layer_statistics.statistic_keys(gram)
          + layer_statistics.statistic_keys(gap)] == ["gram8/block2_conv1",
                                                      "energy1/block3_conv1"]
  dataset = _image_folder(tmp_path / "images")
  directory = tmp_path / "cache"
  descriptor_cache.DescriptorCache(str(directory), {"dataset": "x"}).encode(
      encoder.build(tiny_backbone, gram), dataset.train, 16, 2)
  records = [json.loads((directory / f).read_text())
             for f in os.listdir(directory) if f.endswith(".json")]
  assert records == [{"dataset": "x", "scale": 1.0,
                      "statistic": "gram8/block2_conv1"}]

"""keras.applications' real MobileNet (alpha 0.25): loading and the tools."""

import json
import os

import numpy as np
from PIL import Image
import pytest

import fmi_tf
from fmi_tf.atlas import contact_sheet
from fmi_tf.atlas import depth_stats
from fmi_tf.inversion import files
from fmi_tf.inversion import defaults
from fmi_tf.inversion import filters
from fmi_tf.io import images
from fmi_tf.io import progress
from fmi_tf.io import records
from fmi_tf.nets import networks
from fmi_tf.recognition import encoder
from fmi_tf.recognition import encoder_config
from fmi_tf.style import reallocation
from tests import tool_runs

pytestmark = pytest.mark.real_weights


@pytest.fixture(scope="module")
def mobilenet(mobilenet_weights_path):
  return networks.load("mobilenet", mobilenet_weights_path)


def test_every_layer_with_weights_is_loaded(mobilenet):
  assert mobilenet.options == (("alpha", 0.25),)
  weighted = {layer.name for layer in mobilenet.model.layers if layer.weights}
  assert mobilenet.covered_layers == weighted
  assert len(mobilenet.invertible_layers) == 27
  assert mobilenet.num_filters("conv_pw_13_relu") == 256
  # Loaded batch-norm statistics, not the initial zeros and ones.
  _, _, mean, variance = mobilenet.model.get_layer("conv1_bn").get_weights()
  assert np.abs(mean).max() > 0.1 and np.abs(variance - 1).max() > 0.1


@pytest.mark.slow
def test_an_atlas_lists_its_layers_by_depth(mobilenet,
                                            mobilenet_weights_path, tmp_path):
  # By name, conv_pw_11_relu sorts before conv_pw_1_relu.
  layers = ["conv_pw_11_relu", "conv_pw_2_relu", "conv_pw_1_relu"]
  config = defaults.resolve(mobilenet, steps=2, steps_per_call=2).config
  out = str(tmp_path)
  with progress.Progress(len(layers)) as bar:
    for layer in layers:
      files.invert_to_directory(
          filters.FilterInverter(mobilenet, layer, config),
          images.load_image(None, 64), [0], out, records.RunRecord(), bar)
  for layer in layers:
    with open(files.filter_stem(out, layer, 0) + ".json",
              encoding="utf8") as f:
      record = json.load(f)
    assert record["network"]["network"] == "mobilenet"
    assert record["network"]["options"] == {"alpha": 0.25}
    assert record["network"]["weights"] == mobilenet_weights_path
    assert record["layer_index"] == mobilenet.depth(layer)
  by_depth = mobilenet.network_order(layers)
  assert by_depth == ["conv_pw_1_relu", "conv_pw_2_relu", "conv_pw_11_relu"]
  assert list(depth_stats.find_filters(out)) == by_depth
  contact_sheet.write_contact_sheet(
      out, {n: mobilenet.num_filters(n) for n in layers})
  sheet = (tmp_path / contact_sheet.FILENAME).read_text()
  positions = [sheet.index(f"<h2>{n}</h2>") for n in by_depth]
  assert positions == sorted(positions)


@pytest.mark.slow
def test_list_layers_prints_layers_with_filter_counts(mobilenet_weights_path):
  process = tool_runs.run_tool(
      "fmi-invert", "--model=mobilenet",
      f"--weights={mobilenet_weights_path}", "--list_layers")
  assert process.returncode == 0, process.stderr
  lines = [line.split() for line in process.stdout.splitlines()]
  assert lines[0] == ["conv1_relu", "8"]
  assert lines[-1] == ["conv_pw_13_relu", "256"]
  assert len(lines) == 27


@pytest.mark.slow
def test_invert_tool_inverts_the_deepest_layer_with_the_networks_defaults(
    mobilenet_weights_path, tmp_path):
  process = tool_runs.run_tool(
      "fmi-invert", "--model=mobilenet", f"--weights={mobilenet_weights_path}",
      "--layer=conv_pw_13_relu", "--filters=0:4", "--steps=20",
      f"--out={tmp_path}")
  assert process.returncode == 0, process.stderr
  assert "--param=fourier --size=224 (the defaults for mobilenet)" in (
      process.stderr)
  for k in range(4):
    stem = os.path.join(tmp_path, f"conv_pw_13_relu_{k:04d}")
    assert os.path.getsize(stem + ".png") > 0
    with open(stem + ".json", encoding="utf8") as f:
      record = json.load(f)
    assert record["energy_share_after"] > record["energy_share_before"]
    assert (record["size"], record["parameters"]["param"]) == (224, "fourier")


def _saturated_share(image: np.ndarray) -> float:
  """The share of pixel values at the ends of [0, 1]: clipped noise is
  mostly there, a picture hardly ever."""
  return float(np.mean((image <= 0.02) | (image >= 0.98)))


@pytest.mark.slow
def test_the_defaults_give_a_picture_where_pixel_space_gives_noise(
    mobilenet):
  filter_ids = range(4)
  defaults = fmi_tf.invert(mobilenet, "conv_pw_13_relu", filter_ids,
                           progress=False)
  pixel = fmi_tf.invert(mobilenet, "conv_pw_13_relu", filter_ids, size=128,
                        param="pixel", progress=False)
  assert max(defaults.images.shape[1:3]) == 224
  assert max(map(_saturated_share, defaults.images)) < 0.05
  assert min(map(_saturated_share, pixel.images)) > 0.25
  assert min(r.energy_share_gain for r in defaults.records) > 2


@pytest.mark.slow
def test_a_bad_model_is_one_line(mobilenet_weights_path, tmp_path):
  process = tool_runs.run_tool(
      "fmi-invert", "--model=mobilenet_v9",
      f"--weights={mobilenet_weights_path}", "--layer=conv1_relu",
      f"--out={tmp_path}")
  tool_runs.assert_one_line_error(process, "fmi-invert",
                                  "unknown model 'mobilenet_v9'")


def _stripes(size: int) -> np.ndarray:
  """Diagonal stripes, [size, size, 3] RGB in [0, 1]: a style unlike a cat."""
  phase = np.add.outer(np.arange(size), np.arange(size)) // 4 % 2
  return np.repeat(phase[..., None], 3, axis=2).astype(np.float32) * 0.8 + 0.1


@pytest.mark.slow
def test_stylize_with_the_defaults_moves_towards_the_style(mobilenet):
  styled = fmi_tf.stylize(mobilenet, _stripes(64), images.load_image(None, 64),
                          size=64, steps=40, progress=False)
  style_terms = [name for name in styled.losses
                 if name.startswith("loss/style/")]
  assert [name.split("/")[-1] for name in style_terms] == [
      "conv1_relu", "conv_pw_3_relu", "conv_dw_7_relu", "conv_dw_10_relu",
      "conv_pw_13_relu"]
  assert "loss/content/conv_pw_8_relu" in styled.losses
  before, after = (sum(losses[name] for name in style_terms)
                   for losses in (styled.initial_losses, styled.losses))
  assert after < 0.7 * before


@pytest.mark.slow
def test_reallocate_with_the_defaults_approaches_its_codes(mobilenet):
  cat = images.load_image(None, 64)
  result = fmi_tf.reallocate(mobilenet, cat, seeds=[0], size=64, steps=100,
                             progress=False)
  assert result.layers == ("conv1_relu", "conv_pw_3_relu")
  reallocator = reallocation.Reallocator(mobilenet,
                                         reallocation.ReallocationConfig())
  targets = reallocator.targets(cat, [0])

  def distances(images_):
    codes = reallocator.codes(images_)
    return np.asarray([float(np.sum(np.square(codes[layer] - target))
                             / np.sum(np.square(target)))
                       for layer, target in targets.items()])

  # ReLU6 caps every map at 6, and random shares (concentration 0.1) ask
  # some maps for more: the codes are approached at every layer, not reached.
  grey = np.full((1, *cat.shape), 0.5, np.float32)
  assert np.all(distances(result.images) < 0.97 * distances(grey))


@pytest.mark.parametrize("kind", encoder_config.KINDS)
def test_a_default_texture_encoder_encodes_mobilenet_features(mobilenet,
                                                             kind):
  config = encoder_config.EncoderConfig(kind=kind).for_network(mobilenet)
  layers = {"energy": ("conv1_relu", "conv_pw_3_relu", "conv_dw_7_relu",
                       "conv_dw_10_relu", "conv_pw_13_relu"),
            "gram": ("conv_dw_10_relu", "conv_pw_13_relu"),
            "gap": ("conv_pw_13_relu",)}[kind]
  assert config.statistic_layers == layers
  pictures = np.stack([images.cover_and_crop(images.load_image(None),
                                             (64, 64, 3)),
                       _stripes(64)])
  descriptors = encoder.build(
      mobilenet, encoder_config.EncoderConfig(kind=kind))(pictures).numpy()
  assert descriptors.shape == (2, encoder.descriptor_size(mobilenet, config))
  np.testing.assert_allclose(np.linalg.norm(descriptors, axis=1), 1.0,
                             rtol=1e-5)
  assert not np.allclose(descriptors[0], descriptors[1], atol=1e-3)


@pytest.mark.slow
def test_texture_train_defaults_to_mobilenets_layers(mobilenet,
                                                     mobilenet_weights_path,
                                                     tmp_path):
  generator = np.random.default_rng(3)
  for name in ("striped", "noisy"):
    os.makedirs(tmp_path / "data" / name)
    for i in range(4):
      pixels = (_stripes(64) if name == "striped"
                else generator.uniform(size=(64, 64, 3)))
      Image.fromarray(images.to_uint8(pixels)).save(
          tmp_path / "data" / name / f"{i}.png")
  out = tmp_path / "run"
  process = tool_runs.run_tool(
      "fmi-texture-train", "--model=mobilenet",
      f"--weights={mobilenet_weights_path}",
      f"--dataset=folder:{tmp_path / 'data'}", "--test_fraction=0.5",
      "--encoder=energy", "--image_size=64", f"--out={out}")
  assert process.returncode == 0, process.stderr[-3000:]
  record = json.loads((out / "model" / "encoder.json").read_text())
  layers = ["conv1_relu", "conv_pw_3_relu", "conv_dw_7_relu",
            "conv_dw_10_relu", "conv_pw_13_relu"]
  assert record["encoder"]["layers"] == layers
  assert record["network"]["network"] == "mobilenet"
  report = json.loads((out / "report.json").read_text())
  assert report["descriptor_size"] == sum(map(mobilenet.num_filters, layers))

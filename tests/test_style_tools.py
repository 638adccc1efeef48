"""fmi-stylize and fmi-reallocate end to end: outputs and every bad input."""

import os

from PIL import Image
import pytest

from fmi_tf.nets import networks
from fmi_tf.nets import vgg19_names
from fmi_tf.style import api
from tests import tiny_mobilenet
from tests import tool_runs


@pytest.fixture(scope="module")
def block1_3_weights(tmp_path_factory):
  """VGG19-shaped random weights covering blocks 1 to 3, like the real file."""
  return tool_runs.random_vgg19_weights(
      str(tmp_path_factory.mktemp("weights") / "block1-3.h5"),
      vgg19_names.CONV_LAYERS[:8])


@pytest.fixture(scope="module")
def pictures(tmp_path_factory):
  root = tmp_path_factory.mktemp("pictures")
  Image.effect_noise((48, 40), 60).convert("RGB").save(root / "style.png")
  (root / "text.png").write_text("not an image")
  Image.new("RGB", (64, 1), "grey").save(root / "strip.png")
  return root


@pytest.mark.slow
def test_stylize_writes_the_result_at_the_capped_size(block1_3_weights,
                                                      pictures, tmp_path):
  out = tmp_path / "result.png"
  process = tool_runs.run_tool("fmi-stylize", f"--style={pictures}/style.png",
                               f"--weights={block1_3_weights}", "--size=32",
                               "--style_layer=relu1_1", "--style_layer=relu3_1",
                               "--content_layer=relu3_2",
                               "--steps=3", f"--logdir={tmp_path}/log",
                               f"--out={out}")
  assert process.returncode == 0, process.stderr
  with Image.open(out) as image:
    assert max(image.size) == 32
  assert os.listdir(tmp_path / "log")


@pytest.mark.slow
@pytest.mark.parametrize("param", ["pixel", "fourier"])
def test_reallocate_writes_one_png_per_seed_and_a_grid(param, block1_3_weights,
                                                       tmp_path):
  process = tool_runs.run_tool("fmi-reallocate", "--seeds=2:4", "--size=24",
                               "--steps=2", f"--param={param}",
                               f"--weights={block1_3_weights}",
                               f"--out={tmp_path}/out")
  assert process.returncode == 0, process.stderr
  assert sorted(os.listdir(
      tmp_path / "out")) == ["grid.png", "seed_0002.png", "seed_0003.png"]


def _files(directory):
  """{name: bytes} of every file under `directory`."""
  return {os.path.relpath(os.path.join(root, name), directory):
          open(os.path.join(root, name), "rb").read()
          for root, _, names in os.walk(directory) for name in names}


@pytest.mark.slow
def test_fmi_stylize_writes_what_its_api_twin_writes(tiny_keras, pictures,
                                                     tmp_path):
  content = tmp_path / "content.png"
  Image.effect_noise((40, 30), 40).convert("RGB").save(content)
  process = tool_runs.run_tool(
      "fmi-stylize", f"--model={tiny_keras}", f"--style={pictures}/style.png",
      f"--content={content}", "--size=24", "--steps=3",
      "--style_layer=block1_conv1=2", "--style_layer=block2_conv1",
      f"--out={tmp_path}/tool/result.png")
  assert process.returncode == 0, process.stderr
  api.stylize(networks.network(tiny_keras), f"{pictures}/style.png",
              str(content), size=24, steps=3,
              style_layers=(("block1_conv1", 2.0), ("block2_conv1", 1.0)),
              progress=False, out=str(tmp_path / "api" / "result.png"))
  tool, twin = _files(tmp_path / "tool"), _files(tmp_path / "api")
  assert list(tool) == ["result.png"]
  assert tool == twin


@pytest.mark.slow
def test_fmi_reallocate_writes_what_its_api_twin_writes(tiny_keras, pictures,
                                                        tmp_path):
  process = tool_runs.run_tool(
      "fmi-reallocate", f"--model={tiny_keras}", "--seeds=0:3",
      "--batch_size=2", "--size=24", "--steps=3", f"--out={tmp_path}/tool")
  assert process.returncode == 0, process.stderr
  api.reallocate(networks.network(tiny_keras), None, "0:3", size=24,
                 steps=3, batch_size=2, progress=False,
                 out=str(tmp_path / "api"))
  tool, twin = _files(tmp_path / "tool"), _files(tmp_path / "api")
  assert sorted(tool) == ["grid.png", "seed_0000.png", "seed_0001.png",
                          "seed_0002.png"]
  assert tool == twin


@pytest.fixture(scope="module")
def tiny_other_network(tmp_path_factory):
  """A network that is not VGG19, as a .keras file."""
  path = str(tmp_path_factory.mktemp("model") / "tiny_mobilenet.keras")
  tiny_mobilenet.tiny_mobilenet_model(seed=2).save(path)
  return path


@pytest.mark.slow
def test_the_tools_default_to_the_layers_of_the_network_given(
    tiny_other_network, pictures, tmp_path):
  model = [f"--model={tiny_other_network}", "--preprocessing=tf"]
  stylized = tool_runs.run_tool(
      "fmi-stylize", *model, f"--style={pictures}/style.png", "--size=24",
      "--steps=2", f"--logdir={tmp_path}/log", f"--out={tmp_path}/out.png")
  assert stylized.returncode == 0, stylized.stderr
  assert (tmp_path / "out.png").is_file()
  reallocated = tool_runs.run_tool(
      "fmi-reallocate", *model, "--seeds=0", "--size=24", "--steps=2",
      f"--out={tmp_path}/reallocated")
  assert reallocated.returncode == 0, reallocated.stderr
  assert sorted(os.listdir(tmp_path / "reallocated")) == [
      "grid.png", "seed_0000.png"]


@pytest.mark.slow
def test_a_vgg19_layer_on_another_network_is_one_line(tiny_other_network,
                                                      pictures, tmp_path):
  process = tool_runs.run_tool(
      "fmi-stylize", f"--model={tiny_other_network}", "--preprocessing=tf",
      f"--style={pictures}/style.png", "--size=24", "--steps=1",
      "--content_layer=relu4_2", f"--out={tmp_path}/out.png")
  tool_runs.assert_one_line_error(process, "fmi-stylize",
                                  "unknown layer 'relu4_2'")


_BAD_STYLIZE_ARGS = [
    (["--style=/no/such.jpg"], "not found"),
    (["--content=/no/such.jpg"], "not found"),
    (["--content={pictures}/text.png"], "cannot read image"),
    (["--style_layer=relu4_1=1"], "does not hold"),
    (["--style_layer=relu9_1=1"], "unknown layer"),
    (["--content_layer=fc7"], "unknown layer"),
    (["--style_layer=relu1_1=0", "--style_layer=relu2_1=0"], "all style layer"),
    (["--style_layer=relu1_1=heavy"], "not a number"),
    (["--param=wavelet"], "--param"),
    (["--out={pictures}/result.gif"], "cannot tell the image format"),
    (["--logdir={pictures}/text.png/logs", "--style_layer=relu1_1",
      "--content_layer=relu1_2"], "cannot create logdir"),
    (["--content={pictures}/strip.png", "--style_layer=relu3_1",
      "--content_layer=relu3_2"],
     "content image is 16x1 pixels (width x height), too small for "
     "block3_conv1, which needs at least 4x4"),
    (["--style={pictures}/strip.png", "--style_layer=relu1_1",
      "--content_layer=relu3_2"], "style image is 16x1"),
]


@pytest.mark.slow
def test_stylize_bad_input_is_one_line(block1_3_weights, pictures, tmp_path):
  runs, outputs = [], []
  for i, (args, _) in enumerate(_BAD_STYLIZE_ARGS):
    cwd = tmp_path / str(i)
    cwd.mkdir()
    out, logdir = cwd / "result.png", cwd / "logs"
    runs.append(("fmi-stylize", tool_runs.given_over_defaults(
        [arg.format(pictures=pictures) for arg in args],
        {"--style": f"{pictures}/style.png", "--weights": block1_3_weights,
         "--out": str(out), "--logdir": str(logdir), "--size": "16",
         "--steps": "1"}), cwd))
    outputs.append((out, logdir))
  problems = tool_runs.bad_input_problems(
      "fmi-stylize", _BAD_STYLIZE_ARGS, runs, outputs, tmp_path)
  assert not problems, "\n".join(problems)


@pytest.mark.slow
def test_stylize_refuses_a_directory_as_out_before_optimising(
    block1_3_weights, pictures, tmp_path):
  process = tool_runs.run_tool(
      "fmi-stylize", f"--style={pictures}/style.png",
      f"--weights={block1_3_weights}", "--size=256", "--steps=1000000",
      f"--out={tmp_path}", timeout=120)
  tool_runs.assert_one_line_error(process, "fmi-stylize", "is a directory")
  assert os.listdir(tmp_path) == []


_BAD_REALLOCATE_ARGS = [
    (["--image=/no/such.jpg"], "not found"),
    (["--mode=rank"], "needs a style image"),
    (["--mode=rank", "--style={pictures}/text.png"], "cannot read image"),
    (["--layers=relu5_1"], "does not hold"),
    (["--layers=relu9_1"], "unknown layer"),
    (["--seeds=a:b"], "bad seed list"),
    (["--param=wavelet"], "--param"),
    ([f"--seeds={2**64}"], "seeds from 0 to 2147483647"),
    (["--batch_size=0"], "--batch_size"),
    (["--image={pictures}/strip.png", "--layers=relu3_1"],
     "image is 16x1 pixels (width x height), too small for block3_conv1, "
     "which needs at least 4x4"),
    (["--mode=rank", "--style={pictures}/strip.png", "--layers=relu3_1"],
     "style image is 16x1"),
    (["--logdir={pictures}/text.png/logs"], "cannot create logdir"),
]


@pytest.mark.slow
def test_reallocate_bad_input_is_one_line(block1_3_weights, pictures,
                                          tmp_path):
  runs, outputs = [], []
  for i, (args, _) in enumerate(_BAD_REALLOCATE_ARGS):
    cwd = tmp_path / str(i)
    cwd.mkdir()
    out = cwd / "out"
    runs.append(("fmi-reallocate", [
        *(arg.format(pictures=pictures) for arg in args),
        f"--weights={block1_3_weights}", "--size=16", "--steps=1",
        f"--out={out}"], cwd))
    outputs.append((out,))
  problems = tool_runs.bad_input_problems(
      "fmi-reallocate", _BAD_REALLOCATE_ARGS, runs, outputs, tmp_path)
  assert not problems, "\n".join(problems)


@pytest.mark.slow
@pytest.mark.parametrize("name,image_format", [("result.jpg", "JPEG"),
                                               ("result.JPEG", "JPEG"),
                                               ("result.png", "PNG")])
def test_stylize_writes_the_format_its_out_names(name, image_format,
                                                 block1_3_weights, pictures,
                                                 tmp_path):
  out = tmp_path / "new" / name
  process = tool_runs.run_tool(
      "fmi-stylize", f"--style={pictures}/style.png",
      f"--weights={block1_3_weights}", "--size=16", "--steps=1",
      "--style_layer=relu1_1", "--content_layer=relu1_2", f"--out={out}")
  assert process.returncode == 0, process.stderr
  with Image.open(out) as image:
    assert image.format == image_format

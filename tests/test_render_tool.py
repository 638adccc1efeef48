"""fmi-render: the tool writes what fmi_tf.render returns, and its errors
are one line."""

import json

import numpy as np
import pytest
from PIL import Image

import fmi_tf
from tests import tool_runs
from tests import tools_page


@pytest.fixture(scope="module")
def block1_weights(tmp_path_factory):
  """VGG19-shaped weights (random) covering block1_conv1 only."""
  return tool_runs.random_vgg19_weights(
      str(tmp_path_factory.mktemp("weights") / "block1.h5"), ["block1_conv1"])


def test_the_tool_and_the_api_give_the_same_images_and_records(
    block1_weights, tmp_path):
  args = dict(size=32, steps=6, seed=2, param="fourier",
              precision="float32")
  process = tool_runs.run_tool(
      "fmi-render", f"--weights={block1_weights}",
      "--objective=block1_conv1:0:3", f"--out={tmp_path}",
      *(f"--{k}={v}" for k, v in args.items()))
  assert process.returncode == 0, process.stderr
  api = fmi_tf.render(fmi_tf.network("vgg19", weights=block1_weights),
                      "block1_conv1:0:3", progress=False, **{
                          k: v for k, v in args.items()})
  for i, record in enumerate(api.records):
    written = json.loads((tmp_path / f"image_{i:04d}.json").read_text())
    assert written == json.loads(json.dumps(record))
    image = np.asarray(Image.open(tmp_path / f"image_{i:04d}.png"),
                       np.float32) / 255.0
    np.testing.assert_allclose(image, api.images[i], atol=1 / 255 + 1e-6)
  tools_page.assert_documented_names_written(
      "fmi-render", str(tmp_path))


@pytest.mark.parametrize("args,phrase", [
    ([], "give --objective"),
    (["--objective=block1_conv1:0"], "give --out"),
    (["--objective=block1_conv1", "--out=OUT"], "layer:filter"),
    (["--objective=block1_conv1:64", "--out=OUT"], "out of range"),
    (["--objective=block7_conv1:0", "--out=OUT"], "unknown layer"),
    (["--objective=block1_conv1:0", "--out=OUT", "--spectrum=folder:x"],
     "needs param='maco'"),
    (["--objective=block1_conv1:0", "--out=OUT", "--param=maco",
      "--spectrum=folder:/no/such/dir"], "/no/such/dir"),
    (["--objective=block1_conv1:0", "--out=OUT/a_file/x"], "is a file"),
])
def test_bad_input_is_one_line_and_writes_nothing(block1_weights, tmp_path,
                                                  args, phrase):
  (tmp_path / "a_file").write_text("")
  out = tmp_path / "run"
  args = [a.replace("OUT", str(out if "a_file" not in a else tmp_path))
          for a in args]
  process = tool_runs.run_tool("fmi-render", f"--weights={block1_weights}",
                               "--size=32", "--steps=2", *args)
  tool_runs.assert_one_line_error(process, "fmi-render", phrase)
  assert not out.exists()

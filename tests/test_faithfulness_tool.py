"""fmi-faithfulness on the tiny network: its record, and bad input."""

import json

import numpy as np
from PIL import Image
import pytest

from tests import tiny_vgg
from tests import tool_runs

pytestmark = pytest.mark.slow  # Each case starts the tool (10 to 20 s).

TOOL = "fmi-faithfulness"


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory):
  """A tiny VGG19-named .keras network and a 40-image folder dataset."""
  root = tmp_path_factory.mktemp("faithfulness")
  model = root / "tiny.keras"
  tiny_vgg.tiny_vgg19_model().save(model)
  rng = np.random.default_rng(0)
  for label in ("coarse", "fine"):
    (root / "data" / label).mkdir(parents=True)
    cells = 4 if label == "coarse" else 16
    for i in range(20):
      noise = rng.integers(0, 256, (cells, cells, 3), np.uint8)
      Image.fromarray(noise).resize((32, 32), Image.NEAREST).save(
          root / "data" / label / f"{i}.png")
  return {"model": str(model), "dataset": f"folder:{root / 'data'}",
          "root": root}


def _run(fixtures, out, *flags):
  return tool_runs.run_tool(
      TOOL, f"--model={fixtures['model']}", "--preprocessing=caffe",
      f"--dataset={fixtures['dataset']}", "--layers=block1_conv1",
      "--size=32", "--filters=2", "--queries=4", "--judge=image-statistics",
      f"--out={out}", *flags)


def test_writes_the_record_and_prints_the_summary(fixtures, tmp_path):
  out = tmp_path / "result" / "faithfulness.json"
  process = _run(fixtures, out, "--condition=natural-top1")
  assert process.returncode == 0, process.stderr
  record = json.loads(out.read_text())
  assert [c["name"] for c in record["conditions"]] == ["natural-top1",
                                                       "natural-top9"]
  assert len(record["scores"]) == 2 * 2
  assert record["settings"]["query_images"] == 20
  assert "natural-top9" in process.stdout.splitlines()[-1]


@pytest.mark.parametrize("flags, phrase", [
    (["--images=10"], "needs at least 9 exemplars and 12 queries"),
    (["--judge=mobilenet:/nonexistent/mobilenet.h5"], "nonexistent"),
    (["--condition=pictures:/nonexistent"], "does not exist"),
    (["--layers=block9_conv1"], "block9_conv1"),
])
def test_bad_input_is_one_line_and_writes_nothing(fixtures, tmp_path, flags,
                                                  phrase):
  out = tmp_path / "faithfulness.json"
  process = _run(fixtures, out, *[f.format(root=fixtures["root"])
                                  for f in flags])
  tool_runs.assert_one_line_error(process, TOOL, phrase)
  assert not out.exists()


def test_a_missing_picture_is_named_after_the_dataset_is_read(fixtures,
                                                              tmp_path):
  out = tmp_path / "faithfulness.json"
  process = _run(fixtures, out, f"--condition=pictures:{tmp_path}")
  # Reading the images may add TensorFlow's own oneDNN notice before it.
  assert process.returncode == 2, process.stderr
  last = process.stderr.strip().splitlines()[-1]
  assert last.startswith(f"{TOOL}: error: {tmp_path} has no picture of "
                         "block1_conv1 filter")
  assert not out.exists()

"""fmi-atlas over the whole network: --all_layers, --shard and their errors."""

import json
import subprocess

import pytest

from fmi_tf import errors
from fmi_tf.atlas import layout
from fmi_tf.nets import feature_model
from tests import tool_runs

_COVERED = ["block1_conv1", "block1_conv2", "block2_conv2"]


def _run(*args):
  return tool_runs.run_tool("fmi-atlas", *args)


@pytest.fixture(scope="module")
def block1_weights(tmp_path_factory):
  """VGG19-shaped random weights for block 1 and, past a gap, block2_conv2."""
  return tool_runs.random_vgg19_weights(
      str(tmp_path_factory.mktemp("weights") / "block1.h5"), _COVERED)


def _fast(weights, out):
  return [
      "--size=8", "--steps=2", "--batch_size=64", f"--weights={weights}",
      f"--out={out}"
  ]


@pytest.mark.slow
def test_all_layers_covers_the_reachable_layers_and_says_so(
    block1_weights, tmp_path):
  process = _run("--all_layers", *_fast(block1_weights, tmp_path))
  assert process.returncode == 0, process.stderr
  lines = [l for l in process.stderr.splitlines() if "the weights reach" in l]
  assert len(lines) == 1 and "2 of the 16" in lines[0], process.stderr
  assert "128 filters" in lines[0]
  for layer in ("block1_conv1", "block1_conv2"):
    assert len(list(tmp_path.glob(f"{layer}_*.json"))) == 64
    assert (tmp_path / f"{layer}.png").is_file()
  assert not list(tmp_path.glob("block2_*"))
  assert (tmp_path / "index.html").is_file()


@pytest.mark.slow
def test_shards_are_disjoint_and_their_union_is_the_atlas(
    block1_weights, tmp_path):
  shards = []
  for i in range(3):
    out = tmp_path / f"shard{i}"
    process = _run("--layers=block1_conv1", f"--shard={i}/3",
                   *_fast(block1_weights, out))
    assert process.returncode == 0, process.stderr
    shards.append({p.name for p in out.glob("block1_conv1_*.json")})
  assert all(shards)
  assert not (shards[0] & shards[1] or shards[0] & shards[2] or
              shards[1] & shards[2])
  assert shards[0] | shards[1] | shards[2] == {
      f"block1_conv1_{k:04d}.json" for k in range(64)
  }


@pytest.mark.slow
def test_shards_sharing_a_directory_end_with_the_whole_sheet(
    block1_weights, tmp_path):
  for i in range(2):
    process = _run("--layers=block1_conv1", f"--shard={i}/2",
                   *_fast(block1_weights, tmp_path))
    assert process.returncode == 0, process.stderr
    sheet = (tmp_path / "index.html").read_text()
    assert f"{32 * (i + 1)} of 64 filters" in sheet


@pytest.mark.slow
@pytest.mark.parametrize("args,phrase", [
    (["--layers=block1_conv1", "--shard=3/2"], "bad shard"),
    (["--layers=block1_conv1", "--shard=0/0"], "bad shard"),
    (["--layers=block1_conv1", "--shard=x"], "bad shard"),
    (["--layers=block1_conv1", "--all_layers"], "either --layers"),
    ([], "either --layers"),
    (["--layers=block1_conv1", "--strategy=multi_worker"],
     "value should be one of <default|mirrored>"),
])
def test_bad_whole_network_arguments_are_one_line(args, phrase, block1_weights,
                                                  tmp_path):
  out = tmp_path / "out"
  process = _run(*args, *_fast(block1_weights, out))
  tool_runs.assert_one_line_error(process, "fmi-atlas", phrase)
  assert not out.exists()


@pytest.mark.parametrize("text,expected", [("0/1", (0, 1)), ("2/3", (2, 3)),
                                           (" 1 / 4 ", (1, 4))])
def test_parse_shard(text, expected):
  assert layout.parse_shard(text) == expected


@pytest.mark.parametrize("text", ["3/2", "2/2", "0/0", "x", "1/", "-1/2"])
def test_bad_shards_are_refused(text):
  with pytest.raises(errors.ArgumentError, match="bad shard"):
    layout.parse_shard(text)


def test_covered_layers_stop_at_the_first_gap(block1_weights):
  backbone = feature_model.vgg19(block1_weights)
  assert layout.covered_conv_layers(backbone) == ["block1_conv1", "block1_conv2"]


@pytest.mark.slow
def test_concurrent_shards_end_with_a_complete_grid_and_sheet(
    block1_weights, tmp_path):
  """Two shard processes at once: whichever ends last draws everything."""
  layers_flag = "--layers=block1_conv1,block1_conv2"
  running = [
      subprocess.Popen(["fmi-atlas", layers_flag, f"--shard={i}/2",
                        *_fast(block1_weights, tmp_path)],
                       stderr=subprocess.PIPE, text=True)
      for i in range(2)]
  for process in running:
    _, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stderr
  sheet = (tmp_path / "index.html").read_text()
  drawn = {}
  for layer in ("block1_conv1", "block1_conv2"):
    assert "64 of 64 filters" in sheet.split(f"<h2>{layer}</h2>")[1][:40]
    drawn[layer] = (tmp_path / f"{layer}.png").read_bytes()
    layout.save_layer_grid(str(tmp_path), layer, 64)
    assert (tmp_path / f"{layer}.png").read_bytes() == drawn[layer]


@pytest.mark.real_weights
def test_all_layers_of_the_full_weights_are_the_whole_network(real_backbone):
  names = layout.covered_conv_layers(real_backbone)
  assert len(names) == 16 and names[-1] == "block5_conv4"
  assert sum(real_backbone.num_filters(n) for n in names) == 5504


@pytest.mark.slow
def test_a_shard_of_other_settings_is_refused_until_overwrite(
    block1_weights, tmp_path):
  first = _run("--layers=block1_conv1", "--shard=0/2",
               *_fast(block1_weights, tmp_path))
  assert first.returncode == 0, first.stderr
  before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
  other_size = _run("--layers=block1_conv1", "--shard=1/2",
                    *_fast(block1_weights, tmp_path), "--size=12")
  tool_runs.assert_one_line_error(
      other_size, "fmi-atlas", "holds results of other settings: size is 8 "
      "in block1_conv1_0000.json but 12 in this run; rerun with --overwrite")
  assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
  overwritten = _run("--layers=block1_conv1", "--shard=0/1", "--overwrite",
                     *_fast(block1_weights, tmp_path), "--size=12")
  assert overwritten.returncode == 0, overwritten.stderr
  sizes = {json.loads(p.read_text())["size"]
           for p in tmp_path.glob("block1_conv1_*.json")}
  assert sizes == {12}

"""fmi-invert and fmi-atlas end to end: outputs, resume, and every bad input;
`fmi_tf.invert(..., out=)`, fmi-invert's API twin."""

import json
import os
import signal
import subprocess
import time

import numpy as np
from PIL import Image
import pytest

import fmi_tf
from fmi_tf.inversion import files
from tests import tool_runs


@pytest.fixture(scope="module")
def block1_weights(tmp_path_factory):
  """VGG19-shaped weights (random) covering block1_conv1 only."""
  return tool_runs.random_vgg19_weights(
      str(tmp_path_factory.mktemp("weights") / "block1.h5"), ["block1_conv1"])


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
  root = tmp_path_factory.mktemp("bad")
  (root / "text.png").write_text("not an image")
  Image.new("RGB", (64, 64), "red").save(root / "full.jpg")
  data = (root / "full.jpg").read_bytes()
  (root / "cut.jpg").write_bytes(data[:len(data) // 3])
  (root / "weights.h5").write_text("not hdf5")
  (root / "a_file").write_text("")
  return root


_BAD_INVERT_ARGS = [
    (["--image=/no/such.jpg"], "not found"),
    (["--image={bad}/text.png"], "cannot read image"),
    (["--image={bad}/cut.jpg"], "cut.jpg"),
    (["--layer=block9_conv1"], "valid layers: block1_conv1"),
    (["--filters=64"], "out of range"),
    (["--filters=x"], "bad filter list"),
    (["--filters=0:10000000000"], "filter 9999999999 is out of range"),
    (["--layer=block2_conv1"], "covers block1_conv1"),
    (["--weights={bad}/weights.h5"], "not an HDF5"),
    (["--out={bad}/a_file/sub"], "cannot create output directory"),
    (["--steps=-3"], "--steps"),
    (["--size=0"], "--size"),
    (["--learning_rate=-1"], "learning_rate"),
    (["--batch_size=0"], "--batch_size"),
    (["--param=lucid"], "--param"),
    (["--precision=float16"], "--precision"),
    (["stray"], "unexpected arguments"),
    (["--logdir={bad}/a_file/logs"], "cannot create logdir"),
    ([f"--seed={2**64}"], "--seed"),
]


@pytest.mark.slow
def test_invert_bad_input_is_one_line(bad_files, block1_weights, tmp_path):
  runs, outputs = [], []
  for i, (args, _) in enumerate(_BAD_INVERT_ARGS):
    cwd = tmp_path / str(i)
    cwd.mkdir()
    out, logdir = cwd / "out", cwd / "logs"
    runs.append(("fmi-invert", tool_runs.given_over_defaults(
        [a.format(bad=bad_files) for a in args],
        {"--layer": "block1_conv1", "--weights": block1_weights,
         "--out": str(out), "--logdir": str(logdir), "--size": "16",
         "--steps": "2"}), cwd))
    outputs.append((out, logdir))
  problems = tool_runs.bad_input_problems(
      "fmi-invert", _BAD_INVERT_ARGS, runs, outputs, tmp_path)
  assert not problems, "\n".join(problems)


@pytest.mark.slow
def test_atlas_refuses_uncovered_layer_before_writing(block1_weights, tmp_path):
  process = tool_runs.run_tool("fmi-atlas", "--layers=block1_conv1,conv3_1",
                               f"--weights={block1_weights}",
                               f"--out={tmp_path}/atlas")
  tool_runs.assert_one_line_error(process, "fmi-atlas", "block3_conv1")
  assert not (tmp_path / "atlas").exists()


@pytest.mark.slow
@pytest.mark.real_weights
def test_layer_beyond_the_weights_is_one_line(block1_3_weights_path,
                                              tmp_path):
  process = tool_runs.run_tool(
      "fmi-invert", "--layer=relu4_1", "--size=16", "--steps=2",
      f"--weights={block1_3_weights_path}", f"--out={tmp_path}/out")
  tool_runs.assert_one_line_error(process, "fmi-invert", "block4_conv1")
  assert not (tmp_path / "out").exists()


@pytest.mark.slow
@pytest.mark.real_weights
def test_invert_writes_png_and_record(real_weights_path, tmp_path):
  process = tool_runs.run_tool(
      "fmi-invert",
      "--layer=relu1_1",
      "--filters=3,7",
      "--size=32",
      "--steps=20",
      f"--out={tmp_path}",
      f"--logdir={tmp_path}/logs",
      env={"FMI_VGG19_WEIGHTS": real_weights_path})
  assert process.returncode == 0, process.stderr
  for k in (3, 7):
    with Image.open(tmp_path / f"block1_conv1_{k:04d}.png") as image:
      assert image.size[0] == 32
    record = json.loads((tmp_path / f"block1_conv1_{k:04d}.json").read_text())
    assert record["layer"] == "block1_conv1" and record["filter"] == k
    assert record["energy_share_after"] > record["energy_share_before"]
    assert record["parameters"]["steps"] == 20
  assert "filter" in process.stderr  # the progress line
  assert os.listdir(tmp_path / "logs")


@pytest.mark.slow
@pytest.mark.real_weights
def test_atlas_resumes_and_survives_interruption(real_weights_path, tmp_path):
  args = [
      "fmi-atlas", "--layers=block1_conv1", "--size=16", "--steps=200",
      "--batch_size=4", "--tolerance=0", f"--out={tmp_path}",
      f"--weights={real_weights_path}"
  ]
  # SIGINT as a terminal's Ctrl-C delivers it, also when the tests run as a
  # background job, whose shell starts children with SIGINT ignored.
  process = subprocess.Popen(
      args, stderr=subprocess.PIPE, text=True,
      preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
  deadline = time.time() + 120
  while not list(tmp_path.glob("*.json")) and time.time() < deadline:
    time.sleep(0.2)
  process.send_signal(signal.SIGINT)
  _, stderr = process.communicate(timeout=60)
  assert process.returncode == 130, stderr
  assert "Traceback" not in stderr
  done = sorted(tmp_path.glob("block1_conv1_*.json"))
  assert 0 < len(done) < 64
  for png in tmp_path.glob("*.png"):
    with Image.open(png) as image:
      image.verify()
  assert not list(tmp_path.glob(".*part"))

  before = {p.name: p.stat().st_mtime_ns for p in done}
  finished = tool_runs.run_tool(*args)
  assert finished.returncode == 0, finished.stderr
  assert len(list(tmp_path.glob("block1_conv1_*.json"))) == 64
  for p in done:
    assert p.stat().st_mtime_ns == before[p.name]
  with Image.open(tmp_path / "block1_conv1.png") as grid:
    assert grid.size[0] > 8 * 16 and grid.size[1] > 8 * 16


@pytest.mark.slow
@pytest.mark.parametrize("tool,flag", [("fmi-invert", "--layer"),
                                       ("fmi-atlas", "--all_layers")])
def test_help_shows_usage_and_the_tools_flags(tool, flag):
  process = tool_runs.run_tool(tool, "--help")
  assert process.returncode == 0, process.stderr
  assert "Usage:" in process.stdout
  assert flag in process.stdout and "--steps" in process.stdout


@pytest.mark.slow
def test_the_same_inversion_twice_gives_the_same_bytes(block1_weights,
                                                       tmp_path):
  """Identical PNGs and records; only `seconds` (wall time) differs."""
  for name in ("a", "b"):
    process = tool_runs.run_tool(
        "fmi-invert", "--layer=block1_conv1", "--filters=0:3", "--size=16",
        "--steps=6", "--batch_size=2", f"--weights={block1_weights}",
        f"--out={tmp_path / name}")
    assert process.returncode == 0, process.stderr
  names = sorted(os.listdir(tmp_path / "a"))
  assert names == sorted(os.listdir(tmp_path / "b")) and len(names) == 6
  for name in names:
    a, b = (tmp_path / "a" / name).read_bytes(), (tmp_path / "b" /
                                                    name).read_bytes()
    if name.endswith(".json"):
      a, b = json.loads(a), json.loads(b)
      assert a.pop("seconds") > 0 and b.pop("seconds") > 0
    assert a == b, name


@pytest.mark.slow
@pytest.mark.real_weights
@pytest.mark.parametrize("args,phrase", [
    (["--layer=block5_conv1", "--size=8"], "needs at least 16x16"),
    (["--model=mobilenet", "--weights={mobilenet}", "--layer=conv_pw_13_relu",
      "--size=16"], "too small for conv_pw_13_relu, which needs at least "
     "31x31"),
])
def test_a_size_below_the_layers_least_is_refused_naming_it(
    args, phrase, real_weights_path, mobilenet_weights_path, tmp_path):
  process = tool_runs.run_tool(
      "fmi-invert", *(a.format(mobilenet=mobilenet_weights_path)
                      for a in args), "--steps=1", f"--out={tmp_path}/out",
      env={"FMI_VGG19_WEIGHTS": real_weights_path})
  tool_runs.assert_one_line_error(process, "fmi-invert", phrase)
  assert not (tmp_path / "out").exists()


def test_invert_writes_to_out_what_it_returns(tiny_backbone, tmp_path):
  out = tmp_path / "a" / "b"
  result = fmi_tf.invert(tiny_backbone, "block1_conv1", [2, 0], size=16,
                         steps=2, out=str(out), progress=False)
  assert sorted(os.listdir(out)) == [
      "block1_conv1_0000.json", "block1_conv1_0000.png",
      "block1_conv1_0002.json", "block1_conv1_0002.png"]
  for record, image in zip(result.records, result.images):
    stem = files.filter_stem(str(out), "block1_conv1", record.filter)
    assert json.loads(open(stem + ".json", encoding="utf8").read()) == (
        record.to_dict())
    with Image.open(stem + ".png") as png:
      assert png.size == (16, 16)
      assert abs(np.asarray(png) / 255.0 - image).max() <= 0.5 / 255 + 1e-6


def test_invert_removes_the_out_it_made_when_the_run_fails(
    tiny_backbone, tmp_path, monkeypatch):
  def fail(*_):
    raise RuntimeError("disk gone")

  monkeypatch.setattr(files, "save_result", fail)
  with pytest.raises(RuntimeError, match="disk gone"):
    fmi_tf.invert(tiny_backbone, "block1_conv1", [0], size=16, steps=2,
                  out=str(tmp_path / "a" / "b"), progress=False)
  assert not (tmp_path / "a").exists()


@pytest.mark.slow
@pytest.mark.parametrize("flags, settings", [
    ([], {}),
    (["--param=fourier", "--nosquare", "--batch_size=2", "--tv_weight=0.5"],
     {"param": "fourier", "square": False, "batch_size": 2,
      "tv_weight": 0.5}),
])
def test_the_tool_and_its_api_twin_write_the_same_files(tiny_keras, tmp_path,
                                                        flags, settings):
  """The same PNGs and records; only `seconds` (wall time) differs."""
  tool, api = tmp_path / "tool", tmp_path / "api"
  process = tool_runs.run_tool(
      "fmi-invert", f"--model={tiny_keras}", "--layer=block1_conv1",
      "--filters=0:3", "--size=16", "--steps=3", f"--out={tool}", *flags)
  assert process.returncode == 0, process.stderr
  fmi_tf.invert(tiny_keras, "block1_conv1", "0:3", size=16, steps=3,
                out=str(api), progress=False, **settings)
  names = sorted(os.listdir(tool))
  assert names == sorted(os.listdir(api)) and len(names) == 6
  for name in names:
    a, b = (tool / name).read_bytes(), (api / name).read_bytes()
    if name.endswith(".json"):
      a, b = json.loads(a), json.loads(b)
      assert a.pop("seconds") > 0 and b.pop("seconds") > 0
      assert a["parameters"]["param"] == settings.get("param", "pixel")
    assert a == b, name

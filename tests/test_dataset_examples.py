"""Dataset examples: running top-k, crops, class profiles, shards, resume."""

import json
import os
import subprocess
import sys

import numpy as np
from PIL import Image
import pytest

from fmi_tf import errors
from fmi_tf.datasets import pipeline
from fmi_tf.io import images as image_io
from fmi_tf.microscope import examples
from fmi_tf.microscope import crop_sheets
from fmi_tf.microscope import examples_files
from fmi_tf.microscope import top_k
from fmi_tf.nets import feature_model
from fmi_tf.nets import receptive_field
from tests import same_outputs
from tests import tiny_mobilenet
from tests import tiny_vgg
from tests import tool_runs

_LAYERS = ["block1_conv1", "block3_conv1"]
_SIZE = 24


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
  """Two classes of random pictures: bright stripes and dark noise."""
  root = tmp_path_factory.mktemp("data")
  rng = np.random.default_rng(0)
  for name, count in (("dark", 3), ("stripes", 4)):
    os.makedirs(root / name)
    for i in range(count):
      pixels = rng.uniform(0, 80 if name == "dark" else 255, (30, 36, 3))
      if name == "stripes":
        pixels[::4] = 255
      Image.fromarray(pixels.astype(np.uint8)).save(root / name / f"{i}.png")
  return str(root)


def _run(backbone, folder, out, **options):
  options = {"k": 3, "image_size": _SIZE, "batch_size": 2,
             "precision": "float32", "progress": False, **options}
  return examples.dataset_examples(backbone, _LAYERS, f"folder:{folder}",
                                   str(out), **options)


def _brute_force(backbone, folder, layers=tuple(_LAYERS)):
  """Every image's activations, fitted as the pass fits them."""
  names, labels, pictures = [], [], []
  for label, name in enumerate(sorted(os.listdir(folder))):
    for file in sorted(os.listdir(os.path.join(folder, name))):
      image = image_io.load_image(os.path.join(folder, name, file))
      names.append(f"{name}/{file}")
      labels.append(label)
      pictures.append(pipeline.fit_image(image, _SIZE).numpy())
  codes = feature_model.feature_model(backbone, layers)(np.stack(pictures))
  return names, np.asarray(labels), np.stack(pictures), {
      n: codes[n].numpy() for n in layers}


def test_running_top_k_is_the_top_k_of_everything(rng):
  scores = rng.normal(size=(50, 6)).astype(np.float32)
  top = top_k.TopK.empty(6, 4)
  for start in rng.permutation(10) * 5:
    rows = rng.integers(0, 9, (5, 6)).astype(np.int32)
    top.add(scores[start:start + 5], np.arange(start, start + 5), rows, rows)
  expected = np.argsort(-scores, axis=0)[:4].T
  np.testing.assert_array_equal(top.images, expected)
  np.testing.assert_allclose(top.scores, np.take_along_axis(
      scores.T, expected, axis=1))


def test_top_regions_scores_crops_and_class_profile(tiny_backbone, folder,
                                                    tmp_path):
  result = _run(tiny_backbone, folder, tmp_path)
  assert result.complete and result.images == 7 and not result.skipped
  names, labels, pictures, codes = _brute_force(tiny_backbone, folder)
  for layer in _LAYERS:
    record = examples_files.read_layer(str(tmp_path), layer)
    field = receptive_field.receptive_field(tiny_backbone.model, layer)
    assert record["receptive_field"] == field.to_dict()
    peaks = codes[layer].max(axis=(1, 2))  # [N, C]
    means = codes[layer].mean(axis=(1, 2))
    for c, entry in enumerate(record["filters"]):
      order = np.argsort(-peaks[:, c], kind="stable")[:3]
      np.testing.assert_allclose([t["score"] for t in entry["top"]],
                                 peaks[order, c], rtol=1e-4, atol=1e-5)
      shown = [names.index(t["image"]) for t in entry["top"]]
      assert len(set(shown)) == 3
      np.testing.assert_allclose(peaks[shown, c], peaks[order, c],
                                 rtol=1e-4, atol=1e-5)
      assert [t["label"] for t in entry["top"]] == list(labels[shown])
      profile = [means[labels == label, c].mean() for label in (0, 1)]
      np.testing.assert_allclose(entry["class_mean"], profile, rtol=1e-4)
      assert entry["preferred_class"] == ("dark", "stripes")[
          int(np.argmax(profile))]
      best = shown[0]
      y, x = np.unravel_index(np.argmax(codes[layer][best, :, :, c]),
                              codes[layer].shape[1:3])
      assert entry["top"][0]["box"] == list(field.box(y, x))
      sheet = np.asarray(Image.open(
          examples_files.sheet_path(str(tmp_path), layer, c)))
      crops = crop_sheets.cut_crops(sheet, entry["top"])
      for t, cut, image in zip(entry["top"], crops, shown):
        top, left, height, width = t["window"]
        assert t["window"] == list(crop_sheets.window(t["box"], _SIZE))
        # The pass fits images in batches, this test one by one: the
        # resizing may round a channel the other way (exact crops are
        # tested on unresized images below).
        np.testing.assert_allclose(cut, image_io.to_uint8(
            pictures[image])[top:top + height, left:left + width], atol=1)
        assert (sheet[:height, t["sheet_left"]:t["sheet_left"] + width,
                      3] == 255).all()
      assert (sheet[..., 3] == 255).sum() == sum(c.shape[0] * c.shape[1]
                                                 for c in crops)
      assert sheet.shape[1] == sum(c.shape[1] for c in crops) + 2 * (
          crop_sheets.GAP)


def test_a_crop_is_its_source_images_window_pixel_for_pixel(
    tiny_backbone, tmp_path, rng):
  sources = {}
  for i in range(3):  # 24 x 30: kept at its scale, the central 24 columns
    pixels = rng.integers(0, 256, (_SIZE, 30, 3)).astype(np.uint8)
    os.makedirs(tmp_path / "data" / "one", exist_ok=True)
    Image.fromarray(pixels).save(tmp_path / "data" / "one" / f"{i}.png")
    sources[f"one/{i}.png"] = pixels[:, 3:27]
  _run(tiny_backbone, str(tmp_path / "data"), tmp_path / "out")
  for layer in _LAYERS:
    record = examples_files.read_layer(str(tmp_path / "out"), layer)
    for entry in record["filters"]:
      sheet = np.asarray(Image.open(examples_files.sheet_path(
          str(tmp_path / "out"), layer, entry["filter"])))
      for t, cut in zip(entry["top"],
                        crop_sheets.cut_crops(sheet, entry["top"])):
        top, left, height, width = t["window"]
        np.testing.assert_array_equal(
            cut, sources[t["image"]][top:top + height, left:left + width])


def test_a_field_crossing_the_edge_is_clipped_not_padded(tiny_backbone,
                                                         folder, tmp_path):
  _run(tiny_backbone, folder, tmp_path)
  record = examples_files.read_layer(str(tmp_path), "block3_conv1")
  side = record["receptive_field"]["size"]
  crossing = [(f["filter"], rank, t) for f in record["filters"]
              for rank, t in enumerate(f["top"])
              if min(t["box"][:2]) < 0 or max(t["box"][:2]) + side > _SIZE]
  assert crossing
  for c, rank, t in crossing:
    sheet = np.asarray(Image.open(
        examples_files.sheet_path(str(tmp_path), "block3_conv1", c)))
    cut = crop_sheets.cut_crops(sheet, [t])[0]
    assert cut.shape[:2] == tuple(t["window"][2:]) and min(cut.shape[:2]) < side
    assert cut.shape[0] <= _SIZE and cut.shape[1] <= _SIZE


def test_window_is_the_box_clipped_to_the_image():
  assert crop_sheets.window((-2, -3, 8), 6) == (0, 0, 6, 5)
  assert crop_sheets.window((1, 2, 3), 6) == (1, 2, 3, 3)
  assert crop_sheets.window((4, 5, 3), 6) == (4, 5, 2, 1)


def test_a_directory_of_the_older_format_is_recomputed_not_mixed(
    tiny_backbone, folder, tmp_path):
  _run(tiny_backbone, folder, tmp_path)
  summary_path = tmp_path / examples_files.SUMMARY
  older = json.loads(summary_path.read_text())
  del older["version"]
  older["key"] = "an older run's key"
  summary_path.write_text(json.dumps(older))
  layer_path = examples_files.layer_path(str(tmp_path), "block1_conv1")
  with open(layer_path, "w", encoding="utf8") as f:
    json.dump({"layer": "block1_conv1", "filters": []}, f)
  with pytest.raises(errors.ArgumentError, match="format 1, not 2"):
    examples_files.check_version(older, str(tmp_path))
  assert _run(tiny_backbone, folder, tmp_path).complete
  summary = examples_files.read_summary(str(tmp_path))
  examples_files.check_version(summary, str(tmp_path))
  record = examples_files.read_layer(str(tmp_path), "block1_conv1")
  assert "crop_size" not in record and "window" in record["filters"][0][
      "top"][0]


def test_shards_merge_into_the_single_run(tiny_backbone, folder, tmp_path):
  whole = _run(tiny_backbone, folder, tmp_path / "whole")
  first = _run(tiny_backbone, folder, tmp_path / "sharded", shard="0/2")
  assert not first.complete and first.images == 4
  assert not os.path.exists(tmp_path / "sharded" / examples_files.SUMMARY)
  second = _run(tiny_backbone, folder, tmp_path / "sharded", shard="1/2")
  assert whole.complete and second.complete and second.images == 3
  for layer in _LAYERS:
    same_outputs.assert_close(examples_files.read_layer(str(tmp_path / "whole"), layer),
                  examples_files.read_layer(str(tmp_path / "sharded"), layer))


def test_an_interrupted_pass_resumes_and_a_finished_one_is_cached(
    tiny_backbone, folder, tmp_path, monkeypatch):
  read = examples._read

  def interrupted(*args):
    for i, batch in enumerate(read(*args)):
      if i == 2:
        raise KeyboardInterrupt
      yield batch

  monkeypatch.setattr(examples, "_read", interrupted)
  with pytest.raises(KeyboardInterrupt):
    _run(tiny_backbone, folder, tmp_path, checkpoint_images=100)
  assert not os.path.exists(tmp_path / examples_files.SUMMARY)
  assert not [n for n in os.listdir(tmp_path) if n.endswith(".json")]
  monkeypatch.setattr(examples, "_read", read)
  resumed = _run(tiny_backbone, folder, tmp_path)
  assert resumed.complete and resumed.images == 7 - 4
  cached = _run(tiny_backbone, folder, tmp_path)
  assert cached.complete and cached.images == 0
  other_k = _run(tiny_backbone, folder, tmp_path, k=2)
  assert other_k.images == 7


@pytest.mark.bfloat16
def test_bfloat16_finds_the_float32_regions_and_is_kept_apart(
    tiny_backbone, folder, tmp_path):
  exact, mixed = tmp_path / "float32", tmp_path / "mixed"
  _run(tiny_backbone, folder, exact)
  halves = _run(tiny_backbone, folder, mixed, precision="bfloat16")
  assert halves.complete and halves.images == 7
  summary = lambda out: json.loads((out / examples_files.SUMMARY).read_text())
  assert summary(mixed)["precision"] == "bfloat16"
  for layer in _LAYERS:
    pairs = zip(*(examples_files.read_layer(str(out), layer)["filters"]
                  for out in (exact, mixed)))
    for a, b in pairs:  # a near tie may swap, never a weak region
      assert b["top"][0]["image"] in [t["image"] for t in a["top"]]
      scores = [t["score"] for t in a["top"]]
      np.testing.assert_allclose([t["score"] for t in b["top"]], scores,
                                 atol=0.05 * scores[0] + 1e-3)
  again = _run(tiny_backbone, folder, mixed)
  assert again.images == 7  # another precision is another cache entry
  assert summary(mixed)["precision"] == "float32"
  for layer in _LAYERS:
    assert (examples_files.read_layer(str(exact), layer) ==
            examples_files.read_layer(str(mixed), layer))


def test_an_unknown_precision_is_refused_before_anything_is_written(
    tiny_backbone, folder, tmp_path):
  with pytest.raises(errors.ArgumentError, match="precision"):
    _run(tiny_backbone, folder, tmp_path / "out", precision="float16")
  assert not os.path.exists(tmp_path / "out")


def test_an_unreadable_image_is_skipped_and_named(tiny_backbone, folder,
                                                  tmp_path):
  data = tmp_path / "data"
  subprocess.run(["cp", "-r", folder, str(data)], check=True)
  (data / "dark" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot a png")
  result = _run(tiny_backbone, str(data), tmp_path / "out")
  assert result.complete and result.skipped == ("dark/broken.png",)
  summary = examples_files.read_summary(str(tmp_path / "out"))
  assert summary["skipped"] == ["dark/broken.png"] and summary["images"] == 7


def _tool(*args, cwd):
  return subprocess.run(
      [sys.executable, "-m", "fmi_tf.tools.dataset_examples", *args],
      capture_output=True, text=True, cwd=cwd, timeout=300, check=False)


@pytest.mark.slow
@pytest.mark.real_weights
def test_the_tool_refuses_bad_input_in_one_line(folder, tmp_path,
                                                block1_3_weights_path):
  blocker = tmp_path / "file"
  blocker.write_text("")
  cases = {
      "cannot create output directory": [
          "--dataset=folder:" + folder, "--layers=relu1_1",
          f"--out={blocker}/out"],
      "dataset directory not found": [
          "--dataset=folder:/nonexistent", "--layers=relu1_1",
          f"--out={tmp_path}/a"],
      "unknown layer": ["--dataset=folder:" + folder, "--layers=relu9_9",
                        f"--out={tmp_path}/b"],
      "needs weights for block4_conv1": [
          "--dataset=folder:" + folder, "--layers=relu4_1",
          f"--out={tmp_path}/c"],
  }
  for message, args in cases.items():
    done = _tool(f"--weights={block1_3_weights_path}", *args, cwd=tmp_path)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, done.stderr
    assert lines[-1].startswith("dataset_examples.py: error: "), lines[-1]
    assert message in lines[-1]
  assert sorted(os.listdir(tmp_path)) == ["file"]


def test_any_network_tiny_mobilenet(folder, tmp_path):
  backbone = tiny_mobilenet.tiny_backbone()
  layers = ["dw_relu", "swish_conv"]
  result = examples.dataset_examples(
      backbone, layers, f"folder:{folder}", str(tmp_path), k=2,
      image_size=_SIZE, precision="float32", progress=False)
  assert result.complete
  _, _, _, codes = _brute_force(backbone, folder, layers)
  for layer in layers:
    record = examples_files.read_layer(str(tmp_path), layer)
    assert record["receptive_field"]["size"] == receptive_field.receptive_field(
        backbone.model, layer).size
    peaks = codes[layer].max(axis=(1, 2))
    for c, entry in enumerate(record["filters"]):
      np.testing.assert_allclose([t["score"] for t in entry["top"]],
                                 np.sort(peaks[:, c])[::-1][:2], rtol=1e-4,
                                 atol=1e-5)


def test_bad_numbers_and_a_broken_state_are_one_clear_error(
    tiny_backbone, folder, tmp_path):
  with pytest.raises(errors.ArgumentError, match="k must be an integer from 1 to"):
    _run(tiny_backbone, folder, tmp_path / "a", k=0)
  with pytest.raises(errors.ArgumentError, match="bad shard"):
    _run(tiny_backbone, folder, tmp_path / "b", shard="2/2")
  assert not os.path.exists(tmp_path / "a") and not os.path.exists(
      tmp_path / "b")
  _run(tiny_backbone, folder, tmp_path / "c", shard="0/2")
  state_dir = tmp_path / "c" / examples_files.STATE_DIRECTORY
  state, = [p for p in state_dir.iterdir() if p.suffix == ".npz"]
  state.write_bytes(b"not an archive")
  with pytest.raises(errors.ArgumentError, match="cannot resume from"):
    _run(tiny_backbone, folder, tmp_path / "c", shard="0/2")


def test_examples_of_other_weights_or_another_dataset_are_refused(
    tiny_backbone, folder, tmp_path):
  out = tmp_path / "out"
  _run(tiny_backbone, folder, out)
  before = sorted(p.relative_to(out) for p in out.rglob("*"))
  summary = (out / examples_files.SUMMARY).read_bytes()
  with pytest.raises(errors.OutputError,
                     match="examples of other weights: weights_digest is"):
    _run(tiny_vgg.tiny_backbone(seed=1), folder, out)
  other = tmp_path / "other"
  subprocess.run(["cp", "-r", folder, str(other)], check=True)
  with pytest.raises(errors.OutputError,
                     match="examples of another dataset: dataset is"):
    _run(tiny_backbone, str(other), out)
  assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
  assert (out / examples_files.SUMMARY).read_bytes() == summary
  assert _run(tiny_backbone, folder, out, k=2).images == 7  # same source


def _files(out) -> dict:
  """{relative path: bytes} of every file under `out`."""
  return {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*")
          if p.is_file()}


def test_a_directory_an_unfinished_run_of_other_settings_claimed_is_refused(
    tiny_backbone, folder, tmp_path):
  out = tmp_path / "out"
  assert not _run(tiny_backbone, folder, out, shard="0/2").complete
  before = _files(out)
  with pytest.raises(errors.OutputError, match=(
      r"belongs to another dataset examples run: its k is 3, this run's 2")):
    _run(tiny_backbone, folder, out, k=2)
  assert _files(out) == before
  resumed = _run(tiny_backbone, folder, out, shard="1/2")
  assert resumed.complete and resumed.images == 3
  replaced = _run(tiny_backbone, folder, out, k=2)  # its run is finished
  assert replaced.complete and replaced.images == 7
  assert examples_files.read_summary(str(out))["k"] == 2


@pytest.mark.slow
def test_two_tool_runs_started_together_with_other_settings_do_not_both_win(
    tiny_keras, folder, tmp_path):
  out = tmp_path / "out"
  common = [f"--model={tiny_keras}", f"--dataset=folder:{folder}",
            "--layers=block1_conv1", "--image_size=24",
            "--precision=float32", f"--out={out}"]
  runs = [subprocess.Popen(["fmi-dataset-examples", *common, f"--k={k}",
                            "--shard=0/2"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
          for k in (2, 3)]
  results = [(run.wait(timeout=600), run.stderr.read()) for run in runs]
  for run in runs:
    run.stdout.close()
    run.stderr.close()
  assert sorted(code for code, _ in results) == [0, 2], results
  winner = (2, 3)[[code for code, _ in results].index(0)]
  _, refused = next(r for r in results if r[0] == 2)
  lines = [line for line in refused.splitlines() if line.strip()]
  assert len(lines) == 1 and lines[0].startswith(
      "fmi-dataset-examples: error:"), lines
  assert "belongs to another dataset examples run: its k is" in lines[0]
  states = [p for p in (out / examples_files.STATE_DIRECTORY).iterdir()
            if p.suffix == ".npz"]
  assert len(states) == 1  # the winner's shard, nothing of the other run
  claim = json.loads((out / examples_files.STATE_DIRECTORY /
                      ".fmi-claim").read_text())
  assert claim["k"] == winner and claim["key"] in states[0].name
  resumed = tool_runs.run_tool("fmi-dataset-examples", *common,
                               f"--k={winner}", "--shard=1/2")
  assert resumed.returncode == 0, resumed.stderr
  assert examples_files.read_summary(str(out))["k"] == winner

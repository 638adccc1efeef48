"""fmi-texture-train, -eval, -export and fmi-classify as console scripts."""

import inspect
import json
import os
import shutil

import numpy as np
from PIL import Image
import pytest

from fmi_tf.recognition import comparison
from fmi_tf.recognition import training
from tests import tool_runs

CLASSES = ("banded", "chequered", "cracked")
_WIDTHS = {f"block{b}_conv{i}": 64 * 2 ** min(b - 1, 3)
           for b in range(1, 6) for i in range(1, 5)}


@pytest.fixture(scope="module")
def small_folder(dtd10_root, tmp_path_factory):
  """Copies of 5 images of 3 dtd10 classes, as an image folder."""
  root = tmp_path_factory.mktemp("small_dtd")
  for name in CLASSES:
    os.makedirs(root / name)
    files = sorted(os.listdir(os.path.join(dtd10_root, name)))[:5]
    for file in files:
      shutil.copy(os.path.join(dtd10_root, name, file), root / name / file)
  return str(root)


@pytest.fixture(scope="module")
def trained(small_folder, real_weights_path, tmp_path_factory):
  out = str(tmp_path_factory.mktemp("run") / "out")
  finished = tool_runs.run_tool("fmi-texture-train",
                                f"--dataset=folder:{small_folder}",
                                "--test_fraction=0.4", "--encoder=gap",
                                "--image_size=32",
                                f"--weights={real_weights_path}",
                                f"--out={out}")
  assert finished.returncode == 0, finished.stderr[-3000:]
  return out, finished.stdout


@pytest.mark.real_weights
@pytest.mark.real_data
@pytest.mark.slow
def test_train_writes_report_png_logs_and_model(trained):
  out, stdout = trained
  with open(os.path.join(out, "report.json"), encoding="utf8") as f:
    report = json.load(f)
  assert report["class_names"] == list(CLASSES)
  assert report["descriptor_size"] == 512
  assert report["test_images"] == 6 and report["train_images"] == 9
  assert sum(map(sum, report["confusion_matrix"])) == 6
  assert set(report["per_class_accuracy"]) == set(CLASSES)
  assert report["timings"]["encode_seconds"] > 0
  assert f"accuracy {report['accuracy']:.4f}" in stdout
  assert os.path.getsize(os.path.join(out, "confusion.png")) > 1000
  assert any(
      f.startswith("events.out.tfevents")
      for f in os.listdir(os.path.join(out, "logs")))
  assert sorted(os.listdir(os.path.join(out, "model"))) == [
      "classifier.npz", "encoder.json", "encoder.weights.h5"
  ]


@pytest.mark.real_weights
@pytest.mark.real_data
@pytest.mark.slow
def test_export_twice_then_classify_locally(trained, small_folder, tmp_path):
  base = str(tmp_path / "exports")
  for version, model_dir in (("1", f"{trained[0]}/model"), ("2", trained[0])):
    finished = tool_runs.run_tool("fmi-texture-export",
                                  f"--model_dir={model_dir}",
                                  f"--export_base={base}")
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert f"texture: {base}/texture/{version}" in finished.stdout
    # TensorFlow's INFO lines only with --verbosity.
    assert "fingerprint" not in finished.stderr, finished.stderr
  assert sorted(os.listdir(os.path.join(base, "texture_encoder"))) == ["1", "2"]
  image = os.path.join(small_folder, "cracked",
                       sorted(os.listdir(f"{small_folder}/cracked"))[0])
  finished = tool_runs.run_tool("fmi-classify", image,
                                f"--saved_model={base}/texture/2", "--top_k=3")
  assert finished.returncode == 0, finished.stderr[-3000:]
  line, = finished.stdout.strip().splitlines()
  assert line.startswith(f"{image}: ")
  assert sorted(p.split()[0] for p in line.split(": ", 1)[1].split(", ")) == \
      sorted(CLASSES)


@pytest.mark.real_weights
@pytest.mark.real_data
@pytest.mark.slow
def test_eval_prints_one_row_per_encoder(small_folder, real_weights_path,
                                        tmp_path):
  finished = tool_runs.run_tool("fmi-texture-eval",
                                f"--dataset=folder:{small_folder}",
                                "--encoders=energy,gap", "--folds=2",
                                "--image_size=32", "--test_fraction=0.4",
                                f"--weights={real_weights_path}",
                                f"--report_dir={tmp_path}/report")
  assert finished.returncode == 0, finished.stderr[-3000:]
  assert sorted(os.listdir(tmp_path / "report")) == [
      "confusion_energy.png", "confusion_gap.png", "eval.json",
      "per_class_accuracy.png"]
  chart = np.asarray(Image.open(tmp_path / "report" /
                                "per_class_accuracy.png"))
  assert chart.std() > 10
  rows = [
      line.split()
      for line in finished.stdout.splitlines()
      if line.split()[:1] in (["energy"], ["gap"])
  ]
  assert [(r[0], r[1]) for r in rows] == [
      ("energy", str(sum(_WIDTHS[f"block{block}_conv1"]
                         for block in range(1, 6)))),
      ("gap", "512")]
  assert all(r[3] == "±" for r in rows)


@pytest.mark.slow
@pytest.mark.parametrize("tool,arguments,word", [
    ("fmi-texture-train", ["--dataset=folder:/no/such/dir"], "not found"),
    ("fmi-texture-train", ["--dataset=/no/such", "--encoder=vlad"], "encoder"),
    ("fmi-texture-export", ["--model_dir=/no/such/model"], "missing"),
])
def test_bad_input_fails_in_one_line_and_writes_nothing(tool, arguments, word,
                                                        tmp_path):
  out = tmp_path / "out"
  flag = "--export_base" if tool == "fmi-texture-export" else "--out"
  finished = tool_runs.run_tool(tool, *arguments, f"{flag}={out}")
  tool_runs.assert_one_line_error(finished, tool, word)
  assert not out.exists()


@pytest.mark.slow
def test_classify_needs_images_and_one_source(tmp_path):
  tool_runs.assert_one_line_error(
      tool_runs.run_tool("fmi-classify", "--saved_model=/x"), "fmi-classify",
      "image")
  image = tmp_path / "a.png"
  image.write_bytes(b"\x89PNG")
  tool_runs.assert_one_line_error(
      tool_runs.run_tool("fmi-classify", str(image), "--saved_model=/x",
                         "--server=http://127.0.0.1:1"), "fmi-classify",
      "exactly one")


def test_training_and_evaluation_share_the_defaults_of_their_flags():
  """Both tools' flags default to train_texture_classifier's arguments."""
  train = inspect.signature(training.train_texture_classifier).parameters
  evaluate = inspect.signature(
      comparison.evaluate_texture_encoders).parameters
  shared = set(train) & set(evaluate) - {"net", "dataset", "encoder"}
  assert shared >= {"image_size", "C", "method", "batch_size", "cache_dir"}
  for name in shared:
    assert evaluate[name].default == train[name].default, name

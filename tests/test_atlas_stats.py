"""fmi-atlas-stats: per-filter records, per-layer CSV, plot and bad input."""

import csv
import json
import os

import numpy as np
from PIL import Image
import pytest

from fmi_tf.atlas import depth_report
from fmi_tf.atlas import depth_stats
from fmi_tf.atlas import texture_measures
from fmi_tf.io import outputs
from tests import hostile_images
from tests import tool_runs

# Listed out of network order: the tool must put block1 first.
_FILTERS = {"block2_conv1": [0, 1, 2, 5], "block1_conv1": [0, 3, 4]}


def _picture(layer, k):
  """A grating whose period and colour depend on the filter."""
  y, x = np.mgrid[:40, :60].astype(np.float64)
  period = 4 + 3 * k + (10 if layer == "block2_conv1" else 0)
  wave = 0.5 + 0.4 * np.sin(2 * np.pi * (x + k * y / 3) / period)
  tint = np.array([1.0, 0.4 + 0.15 * k, 0.3])
  return np.clip(wave[..., None] * tint, 0, 1)


def _make_atlas(root):
  root.mkdir(exist_ok=True)
  for layer, ids in _FILTERS.items():
    for k in ids:
      stem = os.path.join(root, f"{layer}_{k:04d}")
      outputs.write_png(stem + ".png", _picture(layer, k))
      outputs.write_json(stem + ".json", {"layer": layer, "filter": k,
                                          "energy_share_gain": 2.0 + k})
  outputs.write_png(os.path.join(root, "block1_conv1.png"),
                    _picture("block1_conv1", 0))
  return root


def _snapshot(root):
  return {name: (root / name).read_bytes() for name in os.listdir(root)}


def _run(*args):
  return tool_runs.run_tool("fmi-atlas-stats", *args)


def test_find_filters_orders_layers_by_depth_and_ignores_grids(tmp_path):
  _make_atlas(tmp_path)
  assert depth_stats.find_filters(str(tmp_path)) == {
      "block1_conv1": [0, 3, 4], "block2_conv1": [0, 1, 2, 5]}


def _write_filters(root, depths):
  """One filter per layer, its record giving `depths[layer]` unless None."""
  for layer, depth in depths.items():
    stem = os.path.join(root, f"{layer}_0000")
    outputs.write_png(stem + ".png", _picture(layer, 0))
    record = {"layer": layer, "filter": 0}
    if depth is not None:
      record["layer_index"] = depth
    outputs.write_json(stem + ".json", record)


def test_find_filters_orders_other_networks_by_recorded_depth(tmp_path):
  # MobileNet's names, with depths that their names' order contradicts.
  _write_filters(tmp_path, {"conv_pw_11_relu": 61, "conv_pw_2_relu": 15,
                            "zero_relu": 3})
  assert list(depth_stats.find_filters(str(tmp_path))) == [
      "zero_relu", "conv_pw_2_relu", "conv_pw_11_relu"]


def test_tool_csv_lists_other_networks_layers_by_depth(tmp_path):
  _write_filters(tmp_path, {"conv_pw_11_relu": 61, "conv_pw_2_relu": 15,
                            "conv_pw_1_relu": None})
  process = _run(f"--atlas={tmp_path}")
  assert process.returncode == 0, process.stderr
  with open(tmp_path / "depth_stats.csv") as f:
    layers = [row["layer"] for row in csv.DictReader(f)]
  assert list(dict.fromkeys(layers)) == [
      "conv_pw_1_relu", "conv_pw_2_relu", "conv_pw_11_relu"]


def test_find_filters_without_depths_sorts_digits_as_numbers(tmp_path):
  _write_filters(tmp_path, {"conv_pw_11_relu": None, "conv_pw_2_relu": None,
                            "conv_pw_1_relu": None})
  assert list(depth_stats.find_filters(str(tmp_path))) == [
      "conv_pw_1_relu", "conv_pw_2_relu", "conv_pw_11_relu"]


def test_layer_summaries_are_those_of_the_filters():
  measures = {"block1_conv1": {k: {m: float(k * (i + 1)) for i, m in
                                   enumerate(texture_measures.MEASURES)}
                               for k in range(5)}}
  rows = depth_stats.layer_summaries(measures)
  assert [r["measure"] for r in rows] == list(texture_measures.MEASURES)
  entropy = rows[2]
  assert entropy["filters"] == 5
  assert entropy["median"] == 6.0 and entropy["mean"] == 6.0
  assert entropy["q1"] == 3.0 and entropy["q3"] == 9.0
  assert entropy["min"] == 0.0 and entropy["max"] == 12.0
  assert entropy["std"] == pytest.approx(np.std([0, 3, 6, 9, 12]))


def test_tool_writes_records_csv_and_plot_that_agree(tmp_path):
  atlas_dir = _make_atlas(tmp_path / "atlas")
  report = tmp_path / "report"
  process = _run(f"--atlas={atlas_dir}", f"--out={report}")
  assert process.returncode == 0, process.stderr

  per_filter = {}
  for layer, ids in _FILTERS.items():
    for k in ids:
      with open(atlas_dir / f"{layer}_{k:04d}.json") as f:
        record = json.load(f)
      assert record["energy_share_gain"] == 2.0 + k
      expected = texture_measures.measure(_picture(layer, k))
      got = record["texture_measures"]
      assert got["distinct_hues"] == expected["distinct_hues"]
      assert got["dominant_period"] == pytest.approx(
          expected["dominant_period"], rel=0.02)
      per_filter.setdefault(layer, []).append(got)

  with open(report / "depth_stats.csv") as f:
    rows = list(csv.DictReader(f))
  assert [r["layer"] for r in rows] == (
      ["block1_conv1"] * 4 + ["block2_conv1"] * 4)
  for row in rows:
    values = [m[row["measure"]] for m in per_filter[row["layer"]]]
    assert int(row["filters"]) == len(values)
    assert float(row["mean"]) == pytest.approx(np.mean(values))
    assert float(row["median"]) == pytest.approx(np.median(values))
    assert float(row["q1"]) == pytest.approx(np.percentile(values, 25))
    assert float(row["q3"]) == pytest.approx(np.percentile(values, 75))
    assert float(row["std"]) == pytest.approx(np.std(values))

  with Image.open(report / "depth_stats.png") as plot:
    assert plot.width >= 600 and plot.height >= 800
    pixels = np.asarray(plot.convert("L"))
  assert pixels.std() > 10
  assert not [n for n in os.listdir(report) if n.endswith(".part")]


def test_the_tool_writes_what_its_api_twin_writes(tmp_path):
  by_tool = _make_atlas(tmp_path / "by_tool")
  process = _run(f"--atlas={by_tool}", "--title=T")
  assert process.returncode == 0, process.stderr
  by_api = _make_atlas(tmp_path / "by_api")
  report = depth_report.measure_depth(str(by_api), str(tmp_path / "out"),
                                      title="T", progress=False)
  assert report.filters == 7
  assert report.layers == ("block1_conv1", "block2_conv1")
  assert report.csv == str(tmp_path / "out" / "depth_stats.csv")
  assert _snapshot(by_tool) == {
      **_snapshot(by_api), "depth_stats.csv": (by_tool / "depth_stats.csv"
                                               ).read_bytes(),
      "depth_stats.png": (by_tool / "depth_stats.png").read_bytes()}
  assert (by_tool / "depth_stats.csv").read_bytes() == (
      tmp_path / "out" / "depth_stats.csv").read_bytes()
  with Image.open(report.plot) as plot, Image.open(
      by_tool / "depth_stats.png") as tool_plot:
    assert np.array_equal(np.asarray(plot), np.asarray(tool_plot))


def test_tool_writes_beside_the_atlas_by_default(tmp_path):
  _make_atlas(tmp_path)
  process = _run(f"--atlas={tmp_path}")
  assert process.returncode == 0, process.stderr
  assert (tmp_path / "depth_stats.csv").is_file()
  assert (tmp_path / "depth_stats.png").is_file()


def test_bad_inputs_are_one_line_and_change_nothing(tmp_path):
  atlas_dir = _make_atlas(tmp_path / "atlas")
  (tmp_path / "a_file").write_text("")
  (tmp_path / "empty").mkdir()
  before = _snapshot(atlas_dir)
  cases = [
      ([f"--atlas={tmp_path}/missing"], "atlas directory not found"),
      ([f"--atlas={tmp_path}/empty"], "no inverted filters"),
      ([f"--atlas={atlas_dir}", f"--out={tmp_path}/a_file/out"],
       "cannot create output directory"),
  ]
  for args, phrase in cases:
    tool_runs.assert_one_line_error(_run(*args), "fmi-atlas-stats", phrase)
  assert _snapshot(atlas_dir) == before
  png = (atlas_dir / "block2_conv1_0005.png").read_bytes()
  (atlas_dir / "block2_conv1_0005.png").write_bytes(png[:len(png) // 2])
  before = _snapshot(atlas_dir)
  tool_runs.assert_one_line_error(
      _run(f"--atlas={atlas_dir}"), "fmi-atlas-stats", "block2_conv1_0005")
  assert _snapshot(atlas_dir) == before
  (atlas_dir / "block2_conv1_0005.png").write_bytes(png)
  (atlas_dir / "block2_conv1_0002.json").write_text("{broken")
  before = _snapshot(atlas_dir)
  tool_runs.assert_one_line_error(
      _run(f"--atlas={atlas_dir}"), "fmi-atlas-stats", "block2_conv1_0002")
  assert _snapshot(atlas_dir) == before
  assert os.listdir(tmp_path / "empty") == []


@pytest.mark.parametrize("shape", [(1, 1), (1, 12), (12, 1), (2, 2)])
def test_images_of_one_pixel_a_side_have_defined_measures(shape):
  rgb = np.random.default_rng(0).random(shape + (3,))
  measures = texture_measures.measure(rgb)
  assert set(measures) == set(texture_measures.MEASURES)
  assert all(np.isfinite(v) and v >= 0 for v in measures.values())
  assert measures["orientation_entropy"] <= 1
  if shape == (1, 1):
    assert measures["orientation_entropy"] == 0.0
    assert measures["dominant_period"] == 0.0


def test_tool_measures_tiny_filters_and_refuses_a_bomb(tmp_path):
  atlas_dir = tmp_path / "atlas"
  atlas_dir.mkdir()
  for k, shape in enumerate([(1, 1), (1, 9), (9, 1)]):
    stem = os.path.join(atlas_dir, f"block1_conv1_{k:04d}")
    outputs.write_png(stem + ".png",
                      np.random.default_rng(k).random(shape + (3,)))
    outputs.write_json(stem + ".json", {"layer": "block1_conv1", "filter": k})
  finished = _run(f"--atlas={atlas_dir}")
  assert finished.returncode == 0, finished.stderr
  with open(atlas_dir / "block1_conv1_0000.json", encoding="utf8") as f:
    assert f"{json.load(f)['texture_measures']['dominant_period']}" == (
        "0.0")
  (atlas_dir / "block1_conv1_0001.png").write_bytes(
      hostile_images.bomb_png())
  before = _snapshot(atlas_dir)
  tool_runs.assert_one_line_error(
      _run(f"--atlas={atlas_dir}", f"--out={tmp_path}/report"),
      "fmi-atlas-stats", "block1_conv1_0001.png")
  assert _snapshot(atlas_dir) == before
  assert not (tmp_path / "report").exists()


def test_a_filter_that_fails_to_decode_leaves_no_out_directory(tmp_path):
  atlas_dir = _make_atlas(tmp_path / "atlas")
  (atlas_dir / "block1_conv1_0003.png").write_bytes(
      hostile_images.undecodable_png())
  with Image.open(atlas_dir / "block1_conv1_0003.png") as picture:
    picture.verify()
  before = _snapshot(atlas_dir)
  tool_runs.assert_one_line_error(
      _run(f"--atlas={atlas_dir}", f"--out={tmp_path}/report"),
      "fmi-atlas-stats", "block1_conv1_0003.png")
  assert _snapshot(atlas_dir) == before
  assert not (tmp_path / "report").exists()

"""The atlas's HTML contact sheet: its links, and how Chromium draws it."""

import json
import os
import re
import subprocess

import numpy as np
from PIL import Image
import pytest

from fmi_tf.atlas import layout
from fmi_tf.atlas import contact_sheet
from fmi_tf.html import contact_sheet as sheet_html
from fmi_tf.inversion import defaults
from fmi_tf.inversion import files
from fmi_tf.inversion import filter_result
from fmi_tf.inversion import filters
from fmi_tf.io import progress
from fmi_tf.io import records
from tests import tiny_mobilenet

_CHROMIUM = "/usr/bin/chromium"
_LAYERS = {"block1_conv1": 4, "block2_conv1": 6}


@pytest.fixture(scope="module")
def atlas_dir(tmp_path_factory, tiny_backbone, photo):
  """A tiny atlas: every filter of block1_conv1, half of block2_conv1."""
  out = str(tmp_path_factory.mktemp("atlas"))
  config = defaults.resolve(tiny_backbone, steps=20, steps_per_call=10).config
  for layer, count in _LAYERS.items():
    inverter = filters.FilterInverter(tiny_backbone, layer, config)
    wanted = range(count) if layer == "block1_conv1" else range(0, count, 2)
    for result in inverter.invert(photo, list(wanted)):
      files.save_result(out, result, records.RunRecord())
    layout.save_layer_grid(out, layer, count)
  contact_sheet.write_contact_sheet(out, _LAYERS)
  return out


def test_records_name_the_network_and_the_layers_depth(tmp_path, photo):
  backbone = tiny_mobilenet.tiny_backbone()
  config = defaults.resolve(backbone, steps=2, steps_per_call=2).config
  wanted = {"swish_conv": [1], "dw_relu": [0, 2]}  # deepest first
  out = str(tmp_path)
  with progress.Progress(3) as bar:
    for layer, ids in wanted.items():
      written = files.invert_to_directory(
          filters.FilterInverter(backbone, layer, config), photo, ids, out,
          records.RunRecord(image="photo"), bar)
      assert [r.filter for r in written] == ids
  depths = {}
  for layer, ids in wanted.items():
    for k in ids:
      with open(files.filter_stem(out, layer, k) + ".json",
                encoding="utf8") as f:
        record = json.load(f)
      assert record["network"] == {
          "network": "tiny_mobilenet", "preprocessing": "tf", "options": {},
          "weights": "tiny"}
      assert record["image"] == "photo"
      depths.setdefault(layer, set()).add(record["layer_index"])
  assert depths == {n: {backbone.depth(n)} for n in wanted}
  assert backbone.depth("dw_relu") < backbone.depth("swish_conv")
  contact_sheet.write_contact_sheet(
      out, {n: backbone.num_filters(n) for n in wanted})
  sheet = (tmp_path / "index.html").read_text()
  assert sheet.index("dw_relu</h2>") < sheet.index("swish_conv</h2>")


def test_sheet_links_every_grid_and_single_png_relatively(atlas_dir):
  sheet = open(os.path.join(atlas_dir, "index.html"), encoding="utf8").read()
  sources = set(re.findall(r'src="([^"]+)"', sheet))
  on_disk = {n for n in os.listdir(atlas_dir) if n.endswith(".png")}
  assert sources == on_disk
  assert all(not s.startswith("/") for s in sources)
  assert "4 of 4 filters" in sheet and "3 of 6 filters" in sheet
  assert sheet.index("block1_conv1</h2>") < sheet.index("block2_conv1</h2>")
  assert not [n for n in os.listdir(atlas_dir) if n.endswith(".part")]


@pytest.mark.slow
def test_chromium_draws_the_layer_grids(atlas_dir, tmp_path):
  if not os.path.exists(_CHROMIUM):
    pytest.skip(f"{_CHROMIUM} is missing (apt-get install -y chromium)")
  shot = tmp_path / "sheet.png"
  subprocess.run([
      _CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
      "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync",
      f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}",
      "--window-size=1200,1600", f"file://{atlas_dir}/index.html"],
                 capture_output=True, timeout=120, check=False)
  assert shot.is_file()
  pixels = np.asarray(Image.open(shot).convert("RGB"), np.float32)
  assert pixels.std() > 10
  not_background = np.any(np.abs(pixels - pixels[0, 0]) > 30, axis=2)
  rows = np.flatnonzero(not_background.mean(axis=1) > 0.05)
  assert rows.size > 40, "no band of drawn content as wide as a grid"
  colourful = np.abs(pixels[..., 0] - pixels[..., 2]) > 20
  assert colourful.sum() > 500, "no coloured inversion pixels drawn"


def test_a_filter_never_activated_is_marked_not_hidden(tmp_path):
  grey = np.full((8, 8, 3), 0.5, np.float32)
  for k, share in ((0, 0.0), (1, 0.2)):
    files.save_result(str(tmp_path), filter_result.FilterResult(
        "block1_conv1", k, grey, 1.0, 10, 0.1, 0.1, share), records.RunRecord())
  record = json.loads((tmp_path / "block1_conv1_0000.json").read_text())
  assert record["activated"] is False
  assert layout.inactive_filters(str(tmp_path), "block1_conv1", [0, 1]) == [0]
  with_marks = np.asarray(Image.open(layout.save_layer_grid(
      str(tmp_path), "block1_conv1", 2)))
  contact_sheet.write_contact_sheet(str(tmp_path), {"block1_conv1": 2})
  sheet = (tmp_path / "index.html").read_text()
  assert "not activated by the inversion" in sheet
  assert 'class="filter inactive"' in sheet and sheet.count("inactive") == 2
  # The grid's label of filter 0 is longer than filter 1's: it says so.
  files.save_result(str(tmp_path), filter_result.FilterResult(
      "block1_conv1", 0, grey, 1.0, 10, 0.1, 0.1, 0.3), records.RunRecord())
  without = np.asarray(Image.open(layout.save_layer_grid(
      str(tmp_path), "block1_conv1", 2)))
  assert with_marks.shape[1] > without.shape[1] or (
      (with_marks < 128).sum() > (without < 128).sum())


def test_names_reach_the_sheet_escaped():
  hostile = "<script>alert(1)</script>"
  page = sheet_html.page([{
      "name": hostile, "count": 2, "inactive": [], "grid": f"{hostile}.png",
      "filters": [{"index": 0, "src": '"><img src=x onerror=alert(1)>',
                   "inactive": False}]}])
  assert "<script" not in page and "<img src=x" not in page
  assert "&lt;script&gt;alert(1)&lt;/script&gt;</h2>" in page
  assert "1 of 2 filters" in page

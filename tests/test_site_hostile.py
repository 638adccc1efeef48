"""The site on crafted atlas and examples directories: no script runs, no
file outside them is read, nothing unbounded is decoded or built."""

import io
import json
import os
import re
import signal

import numpy as np
from PIL import Image
import pytest

from fmi_tf.microscope import examples_files
from fmi_tf.microscope import site
from tests import browser

_LAYER = "block1_conv1"
# Each payload sets the page's title if it ever runs.
_SCRIPT = "<script>document.title='PWNED'</script>"
_ATTRIBUTE = "\"><img src=x onerror=\"document.title='PWNED'\">"
_PAYLOAD = _SCRIPT + _ATTRIBUTE + "</textarea>'-alert(1)-'"


def _png(path, side=8, value=128):
  Image.fromarray(np.full((side, side, 3), value, np.uint8)).save(path)


def _atlas(root, filters=3, record=None):
  atlas = root / "atlas"
  atlas.mkdir()
  for k in range(filters):
    _png(atlas / f"{_LAYER}_{k:04d}.png", value=40 * k)
    (atlas / f"{_LAYER}_{k:04d}.json").write_text(json.dumps(
        record if record is not None else {"layer_index": 1}))
  return atlas


def _examples(root, layer_record, summary=None):
  found = root / "examples"
  (found / _LAYER).mkdir(parents=True)
  (found / f"{_LAYER}.json").write_text(json.dumps(layer_record))
  (found / examples_files.SUMMARY).write_text(json.dumps(summary or {
      "version": examples_files.VERSION, "class_names": ["a", "b"], "k": 1,
      "images": 2, "skipped": []}))
  for k in range(3):
    _png(found / _LAYER / f"{k:04d}.png")
  return found


def _entry(k, image="0.png", label=0, score=1.5):
  return {"filter": k, "top": [{"image": image, "label": label,
                                "score": score, "box": [0, 0, 8],
                                "window": [0, 0, 8, 8], "sheet_left": 0}],
          "mean_activation": 0.5, "max_activation": score,
          "class_mean": [0.25, 0.5], "preferred_class": "b"}


def _build(atlas, out, found=None, **options):
  signal.alarm(60)  # a FIFO or /dev/zero must not hang the site
  try:
    return site.make_site(str(atlas), str(out),
                          None if found is None else str(found),
                          progress=False, **options)
  finally:
    signal.alarm(0)


def _files(directory):
  return sorted(os.path.relpath(os.path.join(d, f), directory)
                for d, _, fs in os.walk(directory) for f in fs)


def test_names_of_no_safe_layer_are_ignored_and_nothing_escapes(tmp_path):
  atlas = _atlas(tmp_path)
  for name in ("..", "index", ".hidden", "a b"):
    _png(atlas / f"{name}_0000.png")
    (atlas / f"{name}_0000.json").write_text("{}")
  _png(atlas / f"{_LAYER}_999999999999.png")
  (tmp_path / "site").mkdir()
  result = _build(atlas, tmp_path / "site" / "out")
  assert sorted(os.listdir(tmp_path)) == ["atlas", "site"]
  assert os.listdir(tmp_path / "site") == ["out"]
  assert set(result.layers) == {_LAYER, "index"}
  assert result.filters == 4
  assert any("ignored 7 files" in g and "'.._0000.png'" in g
             and "and 2 more" in g for g in result.gaps)
  assert os.path.isfile(tmp_path / "site" / "out" / "index" / "index.html")


def test_links_out_fifos_devices_and_bombs_are_gaps(tmp_path):
  private = tmp_path / "private.png"
  _png(private, value=7)
  atlas = _atlas(tmp_path, filters=6)
  stem = lambda k: atlas / f"{_LAYER}_{k:04d}"
  os.remove(f"{stem(0)}.png")
  os.symlink(private, f"{stem(0)}.png")
  os.remove(f"{stem(1)}.json")
  os.mkfifo(f"{stem(1)}.json")
  os.remove(f"{stem(2)}.json")
  os.symlink("/dev/zero", f"{stem(2)}.json")
  bomb = io.BytesIO()
  Image.new("RGB", (6000, 6000)).save(bomb, format="PNG")
  assert len(bomb.getvalue()) < 200_000
  (atlas / f"{_LAYER}_0003.png").write_bytes(bomb.getvalue())
  with open(f"{stem(4)}.json", "wb") as f:
    f.truncate(65 << 20)
  os.symlink(f"{stem(5)}.png", atlas / f"{_LAYER}_0006.png")
  (atlas / f"{_LAYER}_0006.json").write_text("{}")
  result = _build(atlas, tmp_path / "site")
  gaps = "\n".join(result.gaps)
  assert f"{_LAYER}/0: image unreadable: " in gaps and "leads out" in gaps
  assert f"{_LAYER}/1: record unreadable: " in gaps
  assert "is not a regular file" in gaps
  assert f"{_LAYER}/2: record unreadable" in gaps
  assert "6000 x 6000 pixels, more than the limit" in gaps
  assert "more than the limit of 67108864" in gaps
  assert f"{_LAYER}/6" not in gaps  # a link inside the atlas is followed
  pictures = _files(tmp_path / "site" / _LAYER / "img")
  assert pictures == ["0001_0.jpg", "0002_0.jpg", "0004_0.jpg", "0005_0.jpg",
                      "0006_0.jpg"]


@pytest.mark.parametrize("layer_record, reason", [
    ({"filters": "many"}, "filters is not a list"),
    ({"filters": [_entry(0, score="high")]}, r"filters\[0\].top\[0\].score"),
    ({"filters": [_entry(0, label="a")]}, r"top\[0\].label is not"),
    ({"filters": [_entry(0, image=7)]}, r"top\[0\].image is not text"),
    ({"filters": [_entry(0, score=float("nan"))]}, "finite number"),
    ({"filters": [{**_entry(0), "class_mean": [1]}]}, "one per class"),
    ({"filters": [{**_entry(0), "top": [{"box": [0]}]}]}, "box"),
    ({"filters": [{**_entry(0), "top": [{**_entry(0)["top"][0],
                                          "window": [0]}]}]}, "window"),
    ({"filters": [None]}, r"filters\[0\] is not an object"),
    ({"receptive_field": {"size": "<b>"}, "filters": []},
     "receptive_field.size"),
    ({"filters": [{}] * 70000}, "at most 65536"),
])
def test_records_of_the_wrong_types_are_gaps(tmp_path, layer_record, reason):
  found = _examples(tmp_path, layer_record)
  result = _build(_atlas(tmp_path), tmp_path / "site", found)
  (gap,) = [g for g in result.gaps if g.startswith(f"{_LAYER}: ")]
  assert "dataset examples unreadable" in gap
  assert re.search(reason, gap), gap
  assert result.filters == 3


def test_a_summary_of_the_wrong_types_is_a_gap(tmp_path):
  found = _examples(tmp_path, {"filters": [_entry(k) for k in range(3)]},
                    {"version": examples_files.VERSION,
                     "class_names": [1, 2]})
  result = _build(_atlas(tmp_path), tmp_path / "site", found)
  assert any("class_names is not text" in g for g in result.gaps)


def test_examples_of_an_older_format_are_a_gap(tmp_path):
  found = _examples(tmp_path, {"filters": [_entry(k) for k in range(3)]},
                    {"class_names": ["a", "b"], "k": 1, "images": 2})
  result = _build(_atlas(tmp_path), tmp_path / "site", found)
  assert any("version is not 2" in g for g in result.gaps)
  assert not os.path.exists(tmp_path / "site" / _LAYER / "crops" / "0000.png")


def _hostile_sources(root):
  record = {"layer_index": 1, "parameters": {"param": _PAYLOAD},
            "image": _PAYLOAD, "mode": _PAYLOAD}
  atlas = _atlas(root, record=record)
  _png(atlas / f"{_LAYER}_0007.png")
  (atlas / f"{_LAYER}_0007.json").write_text(_PAYLOAD)
  names = [_PAYLOAD, "b" + _ATTRIBUTE]
  layer = {"receptive_field": {"size": 5, "jump": _PAYLOAD},
           "filters": [{**_entry(k, image=_PAYLOAD),
                        "preferred_class": names[k % 2]} for k in range(3)]}
  found = _examples(root, layer, {
      "version": examples_files.VERSION, "class_names": names,
      "dataset": _PAYLOAD, "k": _PAYLOAD,
      "images": _PAYLOAD, "image_size": _PAYLOAD, "skipped": [_PAYLOAD]})
  return atlas, found


@pytest.mark.parametrize("field, value, what", [
    ("energy_share_gain", _PAYLOAD, "a number"),
    ("texture_measures", {"colourfulness": _PAYLOAD}, "an object of numbers"),
    ("schema_version", 2, "newer than 1")])
def test_filter_records_of_the_wrong_types_are_gaps(tmp_path, field, value,
                                                    what):
  atlas = _atlas(tmp_path, record={"layer_index": 1, field: value})
  gaps = "\n".join(_build(atlas, tmp_path / "site").gaps)
  for k in range(3):
    assert f"{_LAYER}/{k}: record unreadable: " in gaps
  assert what in gaps and "<script>" not in gaps


def test_every_field_of_crafted_files_is_escaped(tmp_path):
  atlas, found = _hostile_sources(tmp_path)
  result = _build(atlas, tmp_path / "site", found, title=_PAYLOAD)
  text = "".join(open(os.path.join(tmp_path / "site", p),
                      encoding="utf8").read()
                 for p in _files(tmp_path / "site") if p.endswith(".html"))
  assert "<script>document" not in text and "<img src=x" not in text
  assert "&lt;script&gt;document.title=&#39;PWNED&#39;" in text
  assert result.filters == 8


@pytest.mark.slow
def test_no_script_of_crafted_files_runs_in_a_browser(tmp_path):
  atlas, found = _hostile_sources(tmp_path)
  result = _build(atlas, tmp_path / "site", found, title=_PAYLOAD)
  driver = browser.chromium()
  try:
    pages = [p for p in _files(tmp_path / "site") if p.endswith(".html")]
    assert len(pages) == 1 + 1 + 8
    for page in pages:
      driver.get(f"file://{tmp_path / 'site' / page}")
      driver.execute_script("window.scrollTo(0, document.body.scrollHeight)")
      assert driver.title != "PWNED", page
      if page in ("index.html", f"{_LAYER}/0000.html"):
        assert "PWNED" in driver.page_source, page  # the payload is shown
      assert not driver.execute_script(
          "return document.querySelectorAll('img[onerror], script:not([src])'"
          ").length"), page
    driver.get(f"file://{result.index}")
    assert _PAYLOAD in driver.find_element("tag name", "h1").text
  finally:
    driver.quit()

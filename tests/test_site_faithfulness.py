"""The site shows a faithfulness record: scores, intervals, judges, marks."""

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from fmi_tf import errors
from fmi_tf.faithfulness import measure
from fmi_tf.microscope import site
from fmi_tf.microscope import site_faithfulness
from tests import browser
from tests import faithfulness_records as records

LAYER = records.LAYER
# Filter 0 beats the null, 1 does not, 2 only under the circular judge, 3
# is not in the record.
_SCORED = {0: (0.8, 0.5, 0.1), 1: (0.55, 0.5, -0.1), 2: (0.7, 0.5, 0.05)}


def _scored_record(**options):
  made = records.record(_SCORED, **options)
  for entry in made["scores"]:
    if entry["filter"] == 2 and entry["judge"] == "image-statistics":
      entry["gain_low"] = -0.05
  return made


def _page(out, name):
  return open(os.path.join(out, name), encoding="utf8").read()


@pytest.fixture
def scored_site(tmp_path):
  atlas = records.atlas(tmp_path)
  path = records.write(tmp_path / "faithfulness.json", _scored_record())
  return site.make_site(str(atlas), str(tmp_path / "site"), progress=False,
                        faithfulness=path)


def test_filter_pages_show_score_interval_judge_null_and_ceiling(
    scored_site):
  page = _page(scored_site.out, f"{LAYER}/0000.html")
  assert "Condition invert-pixel-transfer." in page
  row = re.search(r"<tr><td>image-statistics</td>.*?</tr>", page)[0]
  cells = re.findall(r"<td>([^<]*)</td>", row)
  assert cells == ["image-statistics", "0.80 [0.70, 0.90]", "0.50",
                   "+0.30 [+0.10, +0.40]", "0.90", "beats the null"]
  assert "same-network (circular)" in page
  assert "beats the null (circular judge)" in page
  assert 'class="trust-beats"' in page and 'class="badge"' not in page
  assert site_faithfulness.NO_SCORES not in page


def test_pictures_that_do_not_beat_the_null_are_marked(scored_site):
  failing = _page(scored_site.out, f"{LAYER}/0001.html")
  assert '<figure class="trust-fails">' in failing
  assert '<span class="badge">does not beat the null</span>' in failing
  # Beating the null under the circular judge alone does not count.
  circular_only = _page(scored_site.out, f"{LAYER}/0002.html")
  assert '<figure class="trust-fails">' in circular_only
  unmeasured = _page(scored_site.out, f"{LAYER}/0003.html")
  assert '<figure class="trust-unmeasured">' in unmeasured
  assert "pixel: not measured" in unmeasured


def test_a_judge_where_natural_exemplars_fail_is_untestable(tmp_path):
  atlas = records.atlas(tmp_path)
  path = records.write(tmp_path / "f.json", records.record(
      {0: (0.9, 0.5, 0.2)}, ceiling={"image-statistics": 0.55,
                                     "same-network": 0.9}))
  made = site.make_site(str(atlas), str(tmp_path / "site"), progress=False,
                        faithfulness=path)
  page = _page(made.out, f"{LAYER}/0000.html")
  assert "untestable with this judge" in page
  assert '<span class="badge">untestable</span>' in page
  assert "<td>0.55</td>" in page  # the ceiling that made it untestable


def test_layer_and_index_pages_carry_the_scores(scored_site):
  layer = _page(scored_site.out, f"{LAYER}/index.html")
  cards = re.findall(r'<a class="card[^"]*"[^>]*>', layer)
  assert [re.search(r'data-filter="(\d+)"', c)[1] for c in cards] == [
      "0", "1", "2", "3"]  # filter order without script
  trusts = [re.search(r'data-trust="(\w+)"', c)[1] for c in cards]
  assert trusts == ["beats", "fails", "fails", "unmeasured"]
  assert [float(re.search(r'data-faithfulness="([^"]+)"', c)[1])
          for c in cards[:3]] == [0.8, 0.55, 0.7]
  assert "data-faithfulness" not in cards[3]
  assert "Faithfulness score under image-statistics" in layer
  assert '<span class="score">0.80</span>' in layer
  assert layer.count('<span class="badge">') == 3
  index = _page(scored_site.out, "index.html")
  assert "<td>1 of 3 measured</td>" in index
  assert "condition invert-pixel-transfer of" in index


def test_a_site_without_a_record_says_so_once_per_page(tmp_path):
  made = site.make_site(str(records.atlas(tmp_path)), str(tmp_path / "site"),
                        progress=False)
  for name in ("index.html", *(f"{LAYER}/{k:04d}.html" for k in range(4))):
    page = _page(made.out, name)
    assert page.count(site_faithfulness.NO_SCORES) == 1, name
    assert "trust-" not in page and "Faithfulness</h2>" not in page
  layer = _page(made.out, f"{LAYER}/index.html")
  assert 'value="faithfulness"' not in layer and "data-trust" not in layer


def test_another_condition_is_named_as_such(tmp_path):
  atlas = records.atlas(tmp_path, param="fourier")
  path = records.write(tmp_path / "f.json", _scored_record())
  made = site.make_site(str(atlas), str(tmp_path / "site"), progress=False,
                        faithfulness=path)
  page = _page(made.out, f"{LAYER}/0000.html")
  assert ("Condition invert-pixel-transfer, measured on other pictures than "
          "these.") in page
  assert "drew the pictures of" in _page(made.out, "index.html")


@pytest.mark.parametrize("condition, matched", [
    ("invert-pixel-transfer@steps=66", True),
    ("invert-pixel-transfer@steps=66.0,param=pixel", True),
    ("invert-pixel-transfer@steps=10", False),
    ("invert-pixel-transfer@init=image", False),
    ("invert-pixel-gain", False)])
def test_a_condition_with_its_own_settings_matches_only_the_same_pictures(
    tmp_path, condition, matched):
  atlas = records.atlas(tmp_path, steps=66)
  path = records.write(tmp_path / "f.json",
                       records.record(_SCORED, condition=condition))
  scores = site_faithfulness.read(path, [str(atlas)])
  assert scores.conditions == [(condition, matched)]
  assert scores.picture(LAYER, 0, 0).matched is matched


def _with(record, path, value):
  """A copy of `record` with the field at `path` (keys and indices)
  replaced."""
  record = json.loads(json.dumps(record))
  target = record
  for key in path[:-1]:
    target = target[key]
  target[path[-1]] = value
  return record


@pytest.mark.parametrize("change, message", [
    (("schema_version", 1), r"schema version 2 \(schema version 1\)"),
    (("settings", "network", "vgg16"), "measured vgg16 with weights"),
    (("settings", "weights", "/w/other.h5"), "with weights /w/other.h5"),
    (("scores", 0, "score", "high"), r"scores\[0\].score is not a finite"),
    (("scores", 0, "score", float("nan")), r"scores\[0\].score is not a fin"),
    (("scores", 0, "filter", -1), r"scores\[0\].filter is not an integer"),
    (("scores", 0, "gain_low", [0]), r"scores\[0\].gain_low is not a fin"),
    (("judges", 0, "circular", "no"), r"judges\[0\].circular is not true"),
    (("conditions", 0, "name", 7), r"conditions\[0\].name is not text"),
    (("summary", 0, "valid", 1), r"summary\[0\].valid is not true"),
    (("scores", list(range(2**20 + 1))), "scores is not a list of at most"),
    (("settings", None), "settings is not an object"),
])
def test_a_bad_record_is_refused_in_one_line_before_anything_is_written(
    tmp_path, change, message):
  atlas = records.atlas(tmp_path)
  path = records.write(tmp_path / "f.json",
                       _with(_scored_record(), change[:-1], change[-1]))
  with pytest.raises(errors.ArgumentError, match=message) as raised:
    site.make_site(str(atlas), str(tmp_path / "site"), progress=False,
                   faithfulness=path)
  assert "\n" not in str(raised.value)
  assert not (tmp_path / "site").exists()


def test_missing_and_non_json_records_are_refused(tmp_path):
  atlas = records.atlas(tmp_path)
  (tmp_path / "list.json").write_text("[1, 2]")
  (tmp_path / "text.json").write_text("{not json")
  for name, message in (("none.json", "not found"),
                        ("list.json", "not a JSON object"),
                        ("text.json", "is not JSON")):
    with pytest.raises(errors.ArgumentError, match=message):
      site.make_site(str(atlas), str(tmp_path / "site"), progress=False,
                     faithfulness=str(tmp_path / name))
  assert not (tmp_path / "site").exists()


def test_a_record_measured_on_the_atlas_pictures_scores_them(
    tiny_backbone, tmp_path):
  network = {**records.NETWORK, "weights": tiny_backbone.source}
  atlas = records.atlas(tmp_path, network=network)
  rng = np.random.default_rng(0)
  images = rng.uniform(0, 1, (30, 32, 32, 3)).astype(np.float32)
  path = str(tmp_path / "f.json")
  measured = measure.measure_faithfulness(
      tiny_backbone, [LAYER], images, conditions=[f"pictures:{atlas}"],
      filters=2, queries=3, size=32, out=path)
  made = site.make_site(str(atlas), str(tmp_path / "site"), progress=False,
                        faithfulness=path)
  for k in measured.filters[LAYER]:
    page = _page(made.out, f"{LAYER}/{k:04d}.html")
    assert "Condition pictures-atlas." in page
    (score,) = [s for s in measured.per_filter(LAYER, "pictures-atlas",
                                               "image-statistics")
                if s.filter == k]
    assert (f"{score.score:.2f} [{score.score_low:.2f}, "
            f"{score.score_high:.2f}]") in page


_SCRIPT = "<script>document.title='PWNED'</script>"
_PAYLOAD = _SCRIPT + "\"><img src=x onerror=\"document.title='PWNED'\">"


def _hostile_site(tmp_path):
  """A record with HTML and script in every string field it may hold."""
  judges = {_PAYLOAD: False, "j" + _PAYLOAD: True}
  made = records.record(_SCORED, condition=_PAYLOAD, judges=judges,
                        settings={"seed": 0, "dataset": _PAYLOAD})
  made["settings"]["weights"] = _PAYLOAD
  network = {**records.NETWORK, "weights": _PAYLOAD}
  atlas = records.atlas(tmp_path, network=network)
  path = records.write(tmp_path / f"{_SCRIPT[:8]}.json".replace("<", "_"),
                       made)
  return site.make_site(str(atlas), str(tmp_path / "site"), progress=False,
                        faithfulness=path)


def test_every_string_of_a_crafted_record_is_escaped(tmp_path):
  made = _hostile_site(tmp_path)
  text = "".join(_page(made.out, p) for p in (
      "index.html", f"{LAYER}/index.html", f"{LAYER}/0000.html"))
  assert "<script>document" not in text and "<img src=x" not in text
  assert "&lt;script&gt;document.title=&#39;PWNED&#39;" in text


@pytest.mark.slow
def test_a_browser_sorts_and_filters_by_score_and_runs_no_crafted_script(
    scored_site, tmp_path):
  from selenium.webdriver.common.by import By
  from selenium.webdriver.support import select
  driver = browser.chromium()
  cards = ("return Array.from(document.querySelectorAll("
           "'#filters a.card:not([hidden])')).map(function (c) {"
           " return c.dataset.filter; })")
  try:
    driver.get(f"file://{scored_site.out}/{LAYER}/index.html")
    select.Select(driver.find_element(By.ID, "sort")).select_by_value(
        "faithfulness")
    select.Select(driver.find_element(By.ID, "order")).select_by_value("desc")
    assert driver.execute_script(cards) == ["0", "2", "1", "3"]
    select.Select(driver.find_element(By.ID, "trust")).select_by_value("fails")
    assert driver.execute_script(cards) == ["2", "1"]
    select.Select(driver.find_element(By.ID, "trust")).select_by_value("")
    driver.find_element(By.ID, "min-faithfulness").send_keys("0.6")
    assert driver.execute_script(cards) == ["0", "2"]
    assert "2 of 4 filters shown" in driver.find_element(By.ID, "shown").text
    (tmp_path / "hostile").mkdir()
    hostile = _hostile_site(tmp_path / "hostile")
    for page in ("index.html", f"{LAYER}/index.html", f"{LAYER}/0000.html",
                 f"{LAYER}/0003.html"):
      driver.get(f"file://{hostile.out}/{page}")
      assert driver.title != "PWNED", page
      assert not driver.execute_script(
          "return document.querySelectorAll('img[onerror], script:not([src])'"
          ").length"), page
      if page != f"{LAYER}/0003.html":  # not measured: no judge named
        assert "PWNED" in driver.page_source, page  # shown, as text
  finally:
    driver.quit()


@pytest.mark.slow
def test_the_tool_refuses_a_bad_record_in_one_line(tmp_path):
  atlas = records.atlas(tmp_path)
  path = records.write(tmp_path / "f.json",
                       {**_scored_record(), "schema_version": 1})
  done = subprocess.run(
      [sys.executable, "-m", "fmi_tf.tools.site", f"--atlas={atlas}",
       f"--faithfulness={path}", f"--out={tmp_path}/site"],
      capture_output=True, text=True, timeout=120, check=False)
  last = done.stderr.strip().splitlines()[-1]
  assert done.returncode == 2 and last.startswith("site.py: error: ")
  assert "schema version 2 (schema version 1)" in last
  assert not (tmp_path / "site").exists()

"""The static site: relative links, measures, neighbours, gaps, a browser."""

import os
import re
import shutil
import subprocess
import sys

import numpy as np
from PIL import Image
import pytest

from fmi_tf import errors
from fmi_tf.atlas import texture_measures
from fmi_tf.inversion import files
from fmi_tf.inversion import defaults
from fmi_tf.inversion import filters
from fmi_tf.io import images as image_io
from fmi_tf.io import records
from fmi_tf.microscope import examples
from fmi_tf.microscope import crop_sheets
from fmi_tf.microscope import examples_files
from fmi_tf.microscope import site
from tests import browser

_LAYERS = {"block1_conv1": 4, "block3_conv1": 8}


@pytest.fixture(scope="module")
def sources(tmp_path_factory, tiny_backbone, photo):
  """A tiny atlas whose block3_conv1 filter 5 repeats filter 2, and the
  dataset examples of both layers."""
  root = tmp_path_factory.mktemp("sources")
  atlas = str(root / "atlas")
  os.makedirs(atlas)
  config = defaults.resolve(tiny_backbone, steps=10, steps_per_call=10).config
  for layer, count in _LAYERS.items():
    inverter = filters.FilterInverter(tiny_backbone, layer, config)
    for result in inverter.invert(photo, list(range(count))):
      files.save_result(atlas, result, records.RunRecord(
          **inverter.layer_record, parameters=config.record()))
  shutil.copy(files.filter_stem(atlas, "block3_conv1", 2) + ".png",
              files.filter_stem(atlas, "block3_conv1", 5) + ".png")
  data = root / "data"
  rng = np.random.default_rng(1)
  for name in ("rough", "smooth"):
    os.makedirs(data / name)
    for i in range(3):
      pixels = rng.uniform(0, 255 if name == "rough" else 60, (28, 28, 3))
      Image.fromarray(pixels.astype(np.uint8)).save(data / name / f"{i}.png")
  found = str(root / "examples")
  examples.dataset_examples(tiny_backbone, list(_LAYERS), f"folder:{data}",
                            found, k=2, image_size=24,
                            progress=False)
  return atlas, found


@pytest.fixture(scope="module")
def built(sources, tmp_path_factory):
  atlas, found = sources
  out = str(tmp_path_factory.mktemp("site"))
  return site.make_site(atlas, out, found, progress=False)


def _pages(out):
  for directory, _, names in os.walk(out):
    for name in names:
      if name.endswith(".html"):
        yield os.path.join(directory, name)


def test_every_link_and_picture_is_a_relative_file_of_the_site(built):
  pages = list(_pages(built.out))
  assert len(pages) == 1 + len(_LAYERS) + sum(_LAYERS.values())
  assert built.filters == sum(_LAYERS.values()) and not built.gaps
  for page in pages:
    text = open(page, encoding="utf8").read()
    assert "http:" not in text and "https:" not in text
    for target in re.findall(r'(?:href|src)="([^"#]+)"', text):
      assert os.path.isfile(os.path.join(os.path.dirname(page), target)), (
          page, target)
  assert built.bytes == sum(
      os.path.getsize(os.path.join(d, f))
      for d, _, files in os.walk(built.out) for f in files)


def test_thumbnails_are_lazy_and_cards_carry_the_measures(built, sources):
  atlas, found = sources
  page = open(os.path.join(built.out, "block3_conv1", "index.html"),
              encoding="utf8").read()
  thumbs = re.findall(r"<img [^>]*>", page)
  assert len(thumbs) == 8 and all('loading="lazy"' in t for t in thumbs)
  record = examples_files.read_layer(found, "block3_conv1")["filters"][3]
  card = re.search(r'<a class="card"[^>]*data-filter="3"[^>]*>', page)[0]
  picture = image_io.load_image(files.filter_stem(atlas, "block3_conv1", 3)
                                + ".png")
  colourfulness = float(re.search(r'data-colourfulness="([^"]+)"', card)[1])
  assert colourfulness == pytest.approx(
      texture_measures.colourfulness(picture))
  assert float(re.search(r'data-activation="([^"]+)"', card)[1]) == (
      pytest.approx(record["mean_activation"]))
  assert f'data-class="{record["preferred_class"]}"' in card


def test_filter_page_shows_crops_profile_and_its_twin_first(built):
  page = open(os.path.join(built.out, "block3_conv1", "0002.html"),
              encoding="utf8").read()
  assert 'src="crops/0002.png"' in page and "Class profile" in page
  assert "rough" in page and "smooth" in page
  nearest = page[page.index("Nearest filters"):]
  assert re.findall(r'href="(\d{4}).html"', nearest)[0] == "0005"


def test_crops_and_pictures_are_shown_at_their_own_size(built, sources):
  atlas, found = sources
  page = open(os.path.join(built.out, "block3_conv1", "0002.html"),
              encoding="utf8").read()
  sheet = Image.open(os.path.join(built.out, "block3_conv1", "crops",
                                  "0002.png"))
  assert (f'src="crops/0002.png" width="{sheet.width}" '
          f'height="{sheet.height}"') in page
  record = examples_files.read_layer(found, "block3_conv1")
  shown = crop_sheets.cut_crops(np.asarray(sheet.convert("RGBA")),
                                   record["filters"][2]["top"])
  kept = examples_files.read_crops(found, record, 2)
  assert len(shown) == len(kept) == 2
  for crop, original in zip(shown, kept):
    np.testing.assert_array_equal(crop, original)
  picture = Image.open(files.filter_stem(atlas, "block3_conv1", 2) + ".png")
  assert re.search(rf'<img src="img/0002_0.jpg" width="{picture.width}" '
                   rf'height="{picture.height}"', page)


def test_gaps_are_shown_and_the_rest_is_built(sources, tmp_path):
  atlas, found = sources
  broken_atlas, broken_examples = tmp_path / "atlas", tmp_path / "examples"
  shutil.copytree(atlas, broken_atlas)
  shutil.copytree(found, broken_examples)
  stem = lambda k: files.filter_stem(str(broken_atlas), "block3_conv1", k)
  os.remove(stem(1) + ".png")
  data = open(stem(2) + ".png", "rb").read()
  open(stem(2) + ".png", "wb").write(data[:len(data) // 2])
  open(stem(3) + ".json", "w", encoding="utf8").write("{not json")
  os.remove(stem(7) + ".png")
  os.remove(stem(7) + ".json")
  os.remove(examples_files.layer_path(str(broken_examples), "block1_conv1"))
  result = site.make_site(str(broken_atlas), str(tmp_path / "site"),
                          str(broken_examples), progress=False)
  reasons = "\n".join(result.gaps)
  assert "block3_conv1/1: image missing" in reasons
  assert re.search(r"block3_conv1/2: image unreadable", reasons)
  assert "block3_conv1/3: record unreadable" in reasons
  assert "block3_conv1/7: not inverted" in reasons
  assert "block1_conv1: no dataset examples" in reasons
  layer = (tmp_path / "site" / "block3_conv1" / "index.html").read_text()
  assert layer.count('class="card gap"') == 3  # 1, 2 and 7 have no picture
  assert (tmp_path / "site" / "block3_conv1" / "0003.html").is_file()
  index = (tmp_path / "site" / "index.html").read_text()
  assert f"Gaps ({len(result.gaps)})" in index
  assert not [f for _, _, fs in os.walk(tmp_path) for f in fs
              if f.endswith(".part")]


def test_no_filter_at_all_is_an_error(tmp_path):
  with pytest.raises(errors.ArgumentError, match="no inverted filters"):
    site.make_site(str(tmp_path), str(tmp_path / "site"), progress=False)
  with pytest.raises(errors.ArgumentError, match="not found"):
    site.make_site(str(tmp_path / "missing"), str(tmp_path / "site"),
                   progress=False)
  assert os.listdir(tmp_path) == []


@pytest.mark.slow
def test_the_tool_fails_in_one_line_and_writes_nothing(sources, tmp_path):
  atlas, found = sources
  blocker = tmp_path / "file"
  blocker.write_text("")
  for args, message in (
      ([f"--atlas={tmp_path}/none", f"--out={tmp_path}/a"], "not found"),
      ([f"--atlas={atlas}", f"--examples={tmp_path}/none",
        f"--out={tmp_path}/b"], "examples directory not found"),
      ([f"--atlas={atlas}", f"--out={blocker}/site"], "cannot create")):
    done = subprocess.run([sys.executable, "-m", "fmi_tf.tools.site", *args],
                          capture_output=True, text=True, timeout=120,
                          check=False)
    last = done.stderr.strip().splitlines()[-1]
    assert done.returncode == 2 and last.startswith("site.py: error: ")
    assert message in last
  assert os.listdir(tmp_path) == ["file"]


def _all_images_loaded(driver) -> list:
  """Scrolls through the page (lazy pictures load when seen) and returns
  the pictures that did not load."""
  driver.execute_script("window.scrollTo(0, document.body.scrollHeight)")
  return driver.execute_script("""
    var images = Array.from(document.images);
    images.forEach(function (i) { i.loading = "eager"; });
    return images.filter(function (i) {
      return !(i.complete && i.naturalWidth > 0); }).map(function (i) {
      return i.src; });""")


def _wait_loaded(driver):
  from selenium.webdriver.support import wait
  wait.WebDriverWait(driver, 20).until(lambda d: not _all_images_loaded(d))
  return _all_images_loaded(driver)


def show_pages(driver, index: str, layer: str, shots: str) -> dict:
  """Opens the index, follows `layer`'s link and its first filter's link,
  screenshots each page; returns {page: pictures that did not load}."""
  from selenium.webdriver.common.by import By
  failed = {}
  driver.get(f"file://{index}")
  failed["index"] = _wait_loaded(driver)
  driver.save_screenshot(os.path.join(shots, "index.png"))
  driver.find_element(By.LINK_TEXT, layer).click()
  driver.execute_script("window.scrollTo(0, 0)")
  failed["layer"] = _wait_loaded(driver)
  driver.execute_script("window.scrollTo(0, 0)")
  driver.save_screenshot(os.path.join(shots, "layer.png"))
  driver.find_element(By.CSS_SELECTOR, "#filters a.card:not(.gap)").click()
  failed["filter"] = _wait_loaded(driver)
  driver.execute_script("window.scrollTo(0, 0)")
  driver.save_screenshot(os.path.join(shots, "filter.png"))
  return failed


@pytest.mark.slow
def test_a_browser_follows_the_links_and_loads_every_picture(built, tmp_path):
  driver = browser.chromium()
  try:
    failed = show_pages(driver, built.index, "block3_conv1", str(tmp_path))
    assert failed == {"index": [], "layer": [], "filter": []}
    assert driver.current_url.endswith("block3_conv1/0000.html")
    for name in ("index", "layer", "filter"):
      shot = np.asarray(Image.open(tmp_path / f"{name}.png").convert("RGB"))
      assert shot.std() > 10, name
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import select
    driver.back()
    select.Select(driver.find_element(By.ID, "sort")).select_by_value(
        "colourfulness")
    select.Select(driver.find_element(By.ID, "order")).select_by_value("desc")
    shown = [float(v) for v in driver.execute_script(
        "return Array.from(document.querySelectorAll('#filters a.card'))"
        ".map(function (c) { return c.dataset.colourfulness; })")]
    assert shown == sorted(shown, reverse=True) and len(shown) == 8
    threshold = driver.find_element(By.ID, "min-colourfulness")
    threshold.send_keys(str(np.median(shown)))
    visible = driver.execute_script(
        "return document.querySelectorAll('#filters a.card:not([hidden])')"
        ".length")
    assert visible == sum(v >= float(str(np.median(shown))) for v in shown)
  finally:
    driver.quit()

"""The manual's figures: each is in docs/figures.py's table, has its recorded
settings beside it (`<figure>.json`), and its caption names them."""

import glob
import importlib.util
import json
import os
import re

import pytest

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_DOCS = os.path.join(_ROOT, "docs")
_IMAGE = re.compile(r'!\[[^\]]*\]\(([^)\s]+)\)|<img src="([^"]+)"')
# Lines of an image group that are no caption: images and bare HTML tags.
_GROUP = re.compile(r"(\s*(!\[[^\]]*\]\([^)]+\)|<[^>]*>))*\s*")


def _figures_module():
  spec = importlib.util.spec_from_file_location(
      "docs_figures", os.path.join(_DOCS, "figures.py"))
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module


def image_references(markdown: str) -> list[tuple[str, str]]:
  """(image target, caption) for every image in a page (Markdown or an
  HTML `<img>`): the caption is the paragraph after the image and the
  images, HTML tags and blank lines that follow it, if that paragraph is in
  italics, else ""."""
  lines = markdown.splitlines()
  found = []
  for i, line in enumerate(lines):
    targets = [a or b for a, b in _IMAGE.findall(line)]
    if not targets:
      continue
    j = i + 1
    while j < len(lines) and _GROUP.fullmatch(lines[j]):
      j += 1
    paragraph = []
    while j < len(lines) and lines[j].strip():
      paragraph.append(lines[j].strip())
      j += 1
    text = " ".join(paragraph)
    caption = text if text.startswith("*") and not text.startswith(
        "**") else ""
    found.extend((target, caption) for target in targets)
  return found


def _shown(value) -> str:
  if isinstance(value, bool):
    return str(value).lower()
  if isinstance(value, float):
    return f"{value:g}"
  if isinstance(value, (list, tuple)):
    return ",".join(_shown(v) for v in value)
  return str(value)


def caption_problems(caption: str, sidecar: dict) -> list[str]:
  """The phrases for the recorded settings that the caption should name and
  does not (case, backticks and line breaks ignored)."""
  text = " ".join(caption.replace("`", "").split())
  problems = []
  for key, phrase in sidecar["captioned"].items():
    wanted = phrase.format(_shown(sidecar["settings"][key]))
    if not re.search(r"(?<![\w.])" + re.escape(wanted) + r"(?![\w]|\.\d)",
                     text, re.IGNORECASE):
      problems.append(f"{key}: '{wanted}'")
  return problems


def _pages() -> list[str]:
  return sorted(glob.glob(os.path.join(_DOCS, "**", "*.md"), recursive=True)
                + [os.path.join(_ROOT, "README.md")])


def _referenced() -> dict[str, list[tuple[str, str]]]:
  """{figure path under docs/: [(page, caption), ...]}."""
  found = {}
  for page in _pages():
    with open(page, encoding="utf-8") as f:
      text = f.read()
    for target, caption in image_references(text):
      if "://" in target:
        continue
      path = os.path.normpath(os.path.join(os.path.dirname(page), target))
      name = os.path.relpath(path, _DOCS).replace(os.sep, "/")
      found.setdefault(name, []).append((os.path.relpath(page, _ROOT),
                                         caption))
  return found


def _sidecar(name: str) -> dict:
  with open(os.path.join(_DOCS, name) + ".json", encoding="utf-8") as f:
    return json.load(f)


def test_every_caption_names_its_figures_recorded_settings():
  problems = []
  for name, uses in sorted(_referenced().items()):
    if not os.path.isfile(os.path.join(_DOCS, name) + ".json"):
      continue
    sidecar = _sidecar(name)
    for page, caption in uses:
      if not caption:
        problems.append(f"{page}: {name} has no italic caption")
      else:
        problems += [f"{page}: {name}: caption lacks {p}"
                     for p in caption_problems(caption, sidecar)]
  assert not problems, "\n".join(problems)


def test_every_figure_of_the_table_is_referenced_and_has_its_settings():
  referenced = _referenced()
  for name, figure in _figures_module().FIGURES.items():
    assert os.path.isfile(os.path.join(_DOCS, name)), name
    sidecar = _sidecar(name)
    assert sidecar["figure"] == name
    assert set(sidecar["captioned"]) <= set(sidecar["settings"]), name
    assert set(figure.captioned) == set(sidecar["captioned"]), name
    assert name in referenced, f"{name} is in no page"


def test_every_figure_in_the_docs_is_in_the_table():
  table = _figures_module().FIGURES
  assert sorted(set(_referenced()) - set(table)) == []


def test_the_figures_page_lists_every_figures_commands():
  module = _figures_module()
  with open(os.path.join(_DOCS, module.PAGE), encoding="utf-8") as f:
    assert f.read() == module.page_text(module.read_sidecars())


def test_sidecars_name_no_path_of_this_machine():
  for path in glob.glob(os.path.join(_DOCS, "**", "*.json"), recursive=True):
    with open(path, encoding="utf-8") as f:
      text = f.read()
    assert not re.search(r'"/|/work/|shared/', text), path


@pytest.mark.parametrize("caption,problems", [
    ("*block4_conv1 at 128 px, pixel, tv_weight 0.*",
     ["size: '96 px'"]),
    ("*block4_conv1 at 96 px, pixel, tv_weight 0.*", []),
    ("*block4_conv1 at 196 px, pixel, tv_weight 0.5.*",
     ["size: '96 px'", "tv_weight: 'tv_weight 0'"]),
])
def test_a_caption_that_drifted_from_its_record_is_found(tmp_path, caption,
                                                        problems):
  (tmp_path / "grid.png").write_bytes(b"")
  (tmp_path / "grid.png.json").write_text(json.dumps({
      "figure": "grid.png",
      "settings": {"layer": "block4_conv1", "size": 96, "param": "pixel",
                   "tv_weight": 0.0},
      "captioned": {"layer": "{}", "size": "{} px", "param": "{}",
                    "tv_weight": "tv_weight {}"}}))
  (tmp_path / "page.md").write_text(
      f"Text.\n\n![a grid](grid.png)\n\n{caption}\n")
  (reference, found), = image_references((tmp_path / "page.md").read_text())
  assert reference == "grid.png" and found == caption
  sidecar = json.loads((tmp_path / "grid.png.json").read_text())
  assert caption_problems(found, sidecar) == problems


def test_an_image_without_an_italic_caption_has_none():
  page = "![a](a.png)\n![b](b.png)\n\n**Bold** is no caption.\n"
  assert image_references(page) == [("a.png", ""), ("b.png", "")]

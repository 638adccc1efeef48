"""The tutorials run from top to bottom at tiny sizes and show their pictures;
the site renders each of them, with the outputs stored in it."""

import json
import os
import re

import nbclient
import nbformat
import pytest

_ROOT = os.path.dirname(os.path.dirname(__file__))
_TUTORIALS = os.path.join(_ROOT, "docs", "tutorials")
_NOTEBOOKS = sorted(name for name in os.listdir(_TUTORIALS)
                    if name.endswith(".ipynb"))

# The knobs every tutorial's first code cell reads, at sizes that take
# seconds.
_TINY = {"FMI_TUTORIAL_SIZE": "32", "FMI_TUTORIAL_STEPS": "5",
         "FMI_TUTORIAL_IMAGES": "4"}

# What a stored output may not name: the machine that executed it.
_MACHINE_PATH = re.compile(r"/work/|/tmp/|/root/|/home/|\bshared/|"
                           r"site-packages")


def _median_gain_above_one(text: str) -> bool:
  gain = re.search(r"median gain ([0-9.]+)", text)
  return gain is not None and float(gain.group(1)) > 1.0


def _only_activated_layers(text: str) -> bool:
  # The hand-built model: a convolution with a ReLU, and a convolution whose
  # ReLU is a layer of its own: the activations are invertible, the bare
  # convolution is not.
  return ("'edges': 16" in text and "'textures': 32" in text
          and "'conv'" not in text)


def _losses_fall(text: str) -> bool:
  pairs = re.findall(r"loss/total ([-0-9.e+]+) -> ([-0-9.e+]+)", text)
  return len(pairs) == 2 and all(float(b) < float(a) for a, b in pairs)


def _served_as_trained(text: str) -> bool:
  return "stripes -> stripes" in text and "dots -> dots" in text


def _site_of_every_filter(text: str) -> bool:
  # block2_conv2 has 128 filters; every one has its examples and a page.
  return ("True 12 images passed" in text
          and "128 filter pages, 0 gaps" in text)


def _channel_loss_reported(text: str) -> bool:
  return "'loss/channel/block4_conv1'" in text


# Each tutorial: the pictures it draws at least, and what its printed text
# must show.
_EXPECTED = {
    "01_inversion_and_atlas.ipynb": (2, _median_gain_above_one),
    "02_your_own_model.ipynb": (1, _only_activated_layers),
    "03_style_and_reallocation.ipynb": (5, _losses_fall),
    "04_texture_classifier.ipynb": (2, _served_as_trained),
    "05_microscope_site.ipynb": (2, _site_of_every_filter),
    "06_objectives.ipynb": (7, _channel_loss_reported),
}


# The tutorials that build MobileNet, from $FMI_MOBILENET_WEIGHTS.
_MOBILENET = ("02_your_own_model.ipynb",)


def _code_outputs(notebook):
  return [output for cell in notebook.cells if cell.cell_type == "code"
          for output in cell.outputs]


def _pictures(outputs) -> int:
  return sum(bool({"image/png", "image/jpeg"} & set(output.get("data", {})))
             for output in outputs)


def _text(outputs) -> str:
  return "\n".join(output.get("text", "")
                   + output.get("data", {}).get("text/plain", "")
                   for output in outputs)


def test_every_tutorial_has_its_expectations():
  assert set(_NOTEBOOKS) == set(_EXPECTED)


@pytest.mark.slow
@pytest.mark.real_weights
@pytest.mark.parametrize("name", _NOTEBOOKS)
def test_a_tutorial_runs_and_shows_its_results(name, real_weights_path,
                                               request, tmp_path,
                                               monkeypatch):
  monkeypatch.setenv("FMI_VGG19_WEIGHTS", real_weights_path)
  if name in _MOBILENET:
    monkeypatch.setenv("FMI_MOBILENET_WEIGHTS",
                       request.getfixturevalue("mobilenet_weights_path"))
  for variable, value in _TINY.items():
    monkeypatch.setenv(variable, value)
  notebook = nbformat.read(os.path.join(_TUTORIALS, name), as_version=4)
  nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                          resources={"metadata": {"path": str(tmp_path)}}
                          ).execute()
  outputs = _code_outputs(notebook)
  assert not [o for o in outputs if o.output_type == "error"]
  pictures, shows = _EXPECTED[name]
  assert _pictures(outputs) >= pictures
  assert shows(_text(outputs)), _text(outputs)


def _nav_pages(entries) -> list:
  pages = []
  for entry in entries:
    value = next(iter(entry.values())) if isinstance(entry, dict) else entry
    pages += _nav_pages(value) if isinstance(value, list) else [value]
  return pages


def test_every_tutorial_is_on_the_site():
  yaml = pytest.importorskip("yaml")
  with open(os.path.join(_ROOT, "mkdocs.yml"), encoding="utf-8") as f:
    nav = _nav_pages(yaml.safe_load(f)["nav"])
  assert [f"tutorials/{name}" for name in _NOTEBOOKS] == [
      page for page in nav if page.endswith(".ipynb")]


@pytest.mark.parametrize("name", _NOTEBOOKS)
def test_a_tutorial_is_stored_with_its_pictures_and_no_machine_path(name):
  notebook = nbformat.read(os.path.join(_TUTORIALS, name), as_version=4)
  outputs = _code_outputs(notebook)
  assert _pictures(outputs) >= _EXPECTED[name][0]
  assert not [o for o in outputs if o.output_type == "error"]
  text = json.dumps([{key: value for key, value in o.items()
                      if key != "data"} for o in outputs]) + _text(outputs)
  html = re.sub(r"data:[^\"']*", "", "".join(
      o.get("data", {}).get("text/html", "") for o in outputs))
  assert not _MACHINE_PATH.findall(text + html)

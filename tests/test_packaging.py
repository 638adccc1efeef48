"""The wheel holds every fmi_tf package, the tools as fmi_tf.tools, the photo
and the licence.

Built from a copy of the work tree's packaging files and sources, with the
interpreter's own setuptools (no download).
"""

import configparser
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_SOURCES = ("setup.py", "setup.cfg", "pyproject.toml", "README.md", "LICENSE")


@pytest.fixture(scope="module")
def wheel_files(tmp_path_factory):
  if not all(os.path.isfile(os.path.join(ROOT, f)) for f in _SOURCES):
    pytest.skip("needs the work tree's packaging files")
  source = tmp_path_factory.mktemp("source")
  for name in _SOURCES:
    shutil.copy(os.path.join(ROOT, name), source / name)
  for package in ("fmi_tf", "tools"):
    shutil.copytree(os.path.join(ROOT, package), source / package,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
  out = tmp_path_factory.mktemp("wheel")
  built = subprocess.run(
      [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
       "--no-build-isolation", "--wheel-dir", str(out), str(source)],
      capture_output=True, text=True, timeout=300)
  assert built.returncode == 0, built.stderr[-3000:]
  (wheel,) = out.glob("fmi_tf-*.whl")
  with zipfile.ZipFile(wheel) as archive:
    return set(archive.namelist()), archive.read(
        next(n for n in archive.namelist()
             if n.endswith(".dist-info/entry_points.txt"))).decode()


@pytest.mark.slow
def test_wheel_holds_every_package_and_no_top_level_tools(wheel_files):
  names, _ = wheel_files
  tops = {n.split("/")[0] for n in names if ".dist-info/" not in n}
  assert tops == {"fmi_tf"}
  for directory, _, files in os.walk(os.path.join(ROOT, "fmi_tf")):
    if "__init__.py" in files:
      package = os.path.relpath(directory, ROOT).replace(os.sep, "/")
      assert f"{package}/__init__.py" in names
  assert "fmi_tf/datasets/dtd.py" in names
  assert "fmi_tf/data/chelsea.jpg" in names
  templates = os.listdir(os.path.join(ROOT, "fmi_tf", "html", "templates"))
  assert {f"fmi_tf/html/templates/{f}" for f in templates} <= names
  assert {"site.css", "site.js", "base.html"} <= set(templates)
  tools = {f for f in os.listdir(os.path.join(ROOT, "tools"))
           if f.endswith(".py")}
  assert {f"fmi_tf/tools/{f}" for f in tools} <= names
  assert any(".dist-info/" in n and n.endswith("/LICENSE") for n in names)


@pytest.mark.slow
def test_every_console_script_names_an_installed_tool(wheel_files):
  names, entry_points = wheel_files
  config = configparser.ConfigParser()
  config.read_string(entry_points)
  scripts = dict(config["console_scripts"])
  assert "fmi-texture-train" in scripts and "fmi-atlas" in scripts
  for target in scripts.values():
    module, function = target.split(":")
    assert module.startswith("fmi_tf.tools.") and function == "run"
    assert module.replace(".", "/") + ".py" in names

"""Writes the top-level BUILD from the Python imports of the work tree.

Usage (from the repository root): python3 tools/bazel/gen_build.py

One py_library per module of fmi_tf/ and of tools/ (but the tools' mains),
one py_binary per console script of setup.cfg (named as the script, run as a
module of `tools` by tools/bazel/run_tool.py), one py_test per
tests/test_*.py that has fast tests, running those (`-m "not slow"`: the
whole suite runs under pytest in CI); deps follow the `from fmi_tf...`,
`from tools ...`, `from tests ...`, `from benchmarks ...` (a benchmark module
that tests import is a py_library too) and the tools' `from . ...` imports, and
a plain `import fmi_tf` on the package, whose lazy API names its modules in
strings.
"""

import configparser
import glob
import os
import re
import subprocess
import sys

_HEADER = """\
# Bazel targets of fmi_tf: a py_library per module, a py_binary per tool (named
# as its console script), a py_test per test file (run by pytest).
# Third-party packages (tensorflow, keras, ...) come from the Python
# interpreter Bazel runs (see .bazelrc). Written by tools/bazel/gen_build.py.

package(default_visibility = ["//visibility:public"])
"""
_IMPORT = re.compile(
    r"^\s*from ((?:fmi_tf|tools|tests|benchmarks|\.)(?:\.?\w+)*) import (\w+)",
    re.M)
# Everything in tests/ that is not a test file: fixtures and helpers.
_SUPPORT = sorted(path for path in glob.glob("tests/*.py")
                  if not os.path.basename(path).startswith("test_"))
_DATA = {"fmi_tf/io/images.py": ["fmi_tf/data/chelsea.jpg"],
         # The one environment loads every template and asset.
         "fmi_tf/html/pages.py": sorted(glob.glob("fmi_tf/html/templates/*")),
         # The flag walk lists the tools from setup.cfg's entry points.
         "tests/test_flag_fuzz.py": ["setup.cfg"],
         # The stored tutorials and the site's navigation that lists them.
         "tests/test_tutorials.py": ["mkdocs.yml", *sorted(
             glob.glob("docs/tutorials/*.ipynb"))]}
# The py_tests CI runs (tag "ci"): four files of fast tests (the layering,
# io, nets and optim stages), so that Bazel checks every target builds and
# tests run through it in about a minute (each target pays pytest's and
# TensorFlow's start); every test file runs under pytest.
_CI_TESTS = frozenset(f"tests/test_{name}.py" for name in (
    "layout", "outputs", "networks", "transforms"))
_LAUNCHER = "tools/bazel/run_tool.py"
# `import fmi_tf` for the lazy API of fmi_tf/__init__.py, whose modules are
# named in strings.
_PLAIN_IMPORT = re.compile(r"^\s*import fmi_tf\s*$", re.M)
_API = "fmi_tf/__init__.py"
_API_MODULE = re.compile(r'"(fmi_tf(?:\.\w+)+)"')
_FAST = "not slow"


def _target(path: str) -> str:
  """fmi_tf/io/grid.py -> fmi_tf_io_grid; a package's __init__ -> its name."""
  stem = path[:-len(".py")]
  if stem.endswith("/__init__"):
    stem = stem[:-len("/__init__")]
  return stem.replace("/", "_")


def _module_path(module: str) -> str | None:
  base = module.replace(".", "/")
  for path in (base + ".py", base + "/__init__.py"):
    if os.path.isfile(path):
      return path
  return None


def _absolute(package: str, path: str) -> str:
  """`.` or `.x` in the package of path -> its dotted name; else package."""
  if not package.startswith("."):
    return package
  return ".".join([os.path.dirname(path).replace("/", "."),
                   package.lstrip(".")]).rstrip(".")


def _imported(path: str) -> set[str]:
  """The files of the modules that path imports with `from ... import`."""
  files = set()
  for package, name in _IMPORT.findall(open(path).read()):
    package = _absolute(package, path)
    found = _module_path(f"{package}.{name}") or _module_path(package)
    if found:
      files.add(found)
  return files


def _deps(path: str) -> list[str]:
  deps = {":" + _target(found) for found in _imported(path)
          if found not in _SUPPORT}
  text = open(path).read()
  if _PLAIN_IMPORT.search(text):
    deps.add(":fmi_tf")
  if path == _API:  # its names are looked up lazily, by module name
    deps.update(":" + _target(_module_path(module))
                for module in _API_MODULE.findall(text))
  if path.startswith("tools/") and path != "tools/__init__.py":
    deps.add(":tools")
  if path.startswith("tests/test_"):
    deps.add(":tests_support")
  return sorted(deps)


def _rule(kind: str, **attrs) -> str:
  lines = [f"{kind}("]
  for key, value in attrs.items():
    if isinstance(value, list):
      quoted = ", ".join(f'"{item}"' for item in value)
      lines.append(f"    {key} = [{quoted}],")
    else:
      lines.append(f'    {key} = "{value}",')
  return "\n".join(lines) + "\n)\n"


def _files_with_fast_tests() -> set[str]:
  """The test files that hold tests outside the slow marker."""
  listing = subprocess.run(
      [sys.executable, "-m", "pytest", "--collect-only", "-q", "-m", _FAST,
       "tests"], capture_output=True, text=True, check=True).stdout
  return {line.split("::")[0] for line in listing.splitlines()
          if "::" in line}


def main() -> None:
  config = configparser.ConfigParser()
  config.read("setup.cfg")
  scripts = {}
  for line in config["options.entry_points"]["console_scripts"].split("\n"):
    if line.strip():
      name, target = (part.strip() for part in line.split("="))
      module = target.split(":")[0]
      scripts[module.split(".")[-1]] = name
  module_of = {name: "tools." + module for module, name in scripts.items()}
  mains = {f"tools/{module}.py": name for module, name in scripts.items()}

  rules = []
  # Benchmark modules that tests import (the measures a benchmark reports).
  benchmarks = {found for test in glob.glob("tests/test_*.py")
                for found in _imported(test)
                if found.startswith("benchmarks/")}
  libraries = sorted(glob.glob("fmi_tf/**/*.py", recursive=True)
                     + glob.glob("tools/*.py") + list(benchmarks))
  for path in libraries:
    if path in mains:
      continue
    attrs = {"name": _target(path), "srcs": [path]}
    if path in _DATA:
      attrs["data"] = _DATA[path]
    attrs["deps"] = _deps(path)
    rules.append(_rule("py_library", **attrs))
  for path, name in sorted(mains.items(), key=lambda item: item[1]):
    rules.append(_rule("py_binary", name=name, srcs=[path, _LAUNCHER],
                       main=_LAUNCHER, args=[module_of[name], name],
                       deps=_deps(path)))
  support_deps = sorted({d for p in _SUPPORT for d in _deps(p)})
  rules.append(_rule("py_library", name="tests_support", srcs=_SUPPORT,
                     deps=support_deps))
  fast = _files_with_fast_tests()
  if not _CI_TESTS <= fast:
    sys.exit(f"no fast tests in {', '.join(sorted(_CI_TESTS - fast))}")
  for path in sorted(fast):
    attrs = {"name": _target(path)[len("tests_"):], "size": "large",
             "srcs": [path, "tests/pytest_runner.py"],
             "args": [f"$(location {path})", "-m", f"'{_FAST}'"],
             "main": "tests/pytest_runner.py"}
    if path in _DATA:
      attrs["data"] = _DATA[path]
    if path in _CI_TESTS:
      attrs["tags"] = ["ci"]
    attrs["deps"] = _deps(path)
    rules.append(_rule("py_test", **attrs))
  with open("BUILD", "w") as build:
    build.write(_HEADER + "\n" + "\n".join(rules))


if __name__ == "__main__":
  main()

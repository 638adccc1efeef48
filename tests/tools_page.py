"""What docs/tools.md says each tool writes, and checking a run against it.

The names are read from the manual itself (each tool's section, every
backticked path ending in an output suffix).
"""

import os
import pathlib
import re

_TOOLS_PAGE = (pathlib.Path(__file__).resolve().parent.parent / "docs"
               / "tools.md")
_NAME = re.compile(
    r"`((?:[\w<>:{}-]+/)*[\w<>:.-]+\.(?:png|jpg|json|html|css|js|csv|npz|h5)"
    r"|exports/[\w<>/]+/)`")
_PLACEHOLDERS = {"<layer>": r"[a-z0-9_]+", "<filter:04d>": r"\d{4}",
                 "<seed:04d>": r"\d{4}", "<i:04d>": r"\d{4}",
                 "<encoder>": r"\w+",
                 "<name>": "texture", "<v>": r"\d+", "<i>": r"\d+"}
# A documented path's leading directory stands for the run's output root.
_ROOTS = ("out/", "exports/")


def documented_names(tool: str) -> list[str]:
  """The output names of `tool`'s section of docs/tools.md."""
  sections = re.split(r"^## ", _TOOLS_PAGE.read_text(), flags=re.M)
  section, = [s for s in sections if s.startswith(tool + "\n")]
  return sorted(set(_NAME.findall(section)))


def pattern(name: str) -> re.Pattern:
  for root in _ROOTS:
    name = name.removeprefix(root)
  parts = re.split("(<[^>]+>)", name.rstrip("/"))
  return re.compile("(.*/)?" + "".join(
      _PLACEHOLDERS[p] if p in _PLACEHOLDERS else re.escape(p)
      for p in parts))


def _written(root: str) -> list[str]:
  paths = []
  for directory, subdirectories, files in os.walk(root):
    for name in subdirectories + files:
      paths.append(os.path.relpath(os.path.join(directory, name), root))
  return paths


def assert_documented_names_written(tool: str, root: str) -> None:
  names = documented_names(tool)
  assert names, f"docs/tools.md names no output of {tool}"
  written = _written(root)
  for name in names:
    expected = pattern(name)
    assert any(expected.fullmatch(path) for path in written), (
        f"{tool}: docs/tools.md says it writes {name}; it wrote {written}")

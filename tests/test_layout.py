"""The package's floors: a lower stage never imports a higher one."""

import ast
import pathlib

import pytest

_PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "fmi_tf"
# From the lowest floor to the highest; stages on one floor may not import
# each other either.
_FLOORS = [("errors", "limits", "texture", "io"), ("html",),
           ("nets", "datasets"), ("optim",), ("inversion",), ("atlas", "style"), ("recognition",),
           ("faithfulness",), ("serving", "microscope"), ("beam",)]
_FLOOR = {stage: i for i, stages in enumerate(_FLOORS) for stage in stages}
_SHARED = {"errors", "limits", "texture", "io"}


def _stage(module: str) -> str:
  """fmi_tf.optim.objectives -> optim; fmi_tf.errors -> errors."""
  return module.split(".")[1]


def _imports(path: pathlib.Path) -> list[str]:
  names = []
  for node in ast.walk(ast.parse(path.read_text())):
    if isinstance(node, ast.ImportFrom) and node.module and (
        node.module == "fmi_tf" or node.module.startswith("fmi_tf.")):
      names += ([f"fmi_tf.{alias.name}" for alias in node.names]
                if node.module == "fmi_tf" else [node.module])
    elif isinstance(node, ast.Import):
      names += [a.name for a in node.names if a.name.startswith("fmi_tf.")]
  return names


_MODULES = sorted(p for p in _PACKAGE.rglob("*.py")
                  if p.relative_to(_PACKAGE).parts[0] != "__init__.py"
                  and p.relative_to(_PACKAGE).parts[0] != "data")


def test_every_stage_has_a_floor():
  stages = {p.relative_to(_PACKAGE).parts[0].removesuffix(".py")
            for p in _MODULES}
  assert stages == set(_FLOOR)


@pytest.mark.parametrize("path", _MODULES,
                         ids=lambda p: str(p.relative_to(_PACKAGE)))
def test_no_import_runs_up_the_floors(path):
  own = path.relative_to(_PACKAGE).parts[0].removesuffix(".py")
  for module in _imports(path):
    stage = _stage(module)
    if stage == own or stage in _SHARED:
      continue
    assert _FLOOR[stage] < _FLOOR[own], f"{own} imports {module}"

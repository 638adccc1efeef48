"""Runs many command lines of the fmi-* tools in one process.

`python -m tests.tool_batch PLAN.json RESULTS.json`: the plan is a list of
`{"tool": "fmi-invert", "argv": [...], "cwd": DIR}`; each command line runs
in its directory through the tool's own `run()`, as its console script
calls it. TensorFlow loads once, so a test of many bad inputs costs one
start-up instead of one per input; a tool's modules are imported afresh when
the tool changes, so that the flags of two tools do not collide. A result
records the exit status, the stderr lines, whether an exception escaped (a
traceback) and the files left in the directory. Output written below
Python (TensorFlow's C++ logs) is not captured: a test of exactly what a
terminal shows runs the tool as a process (`tool_runs.run_tool`).
"""

import contextlib
import importlib
import io
import json
import os
import sys
import traceback

from absl import flags

_PACKAGE = "fmi_tf.tools."


def module_of(tool: str) -> str:
  """The module of a tool: fmi-dataset-examples -> fmi_tf.tools.dataset_examples."""
  return _PACKAGE + tool[len("fmi-"):].replace("-", "_")


def forget_tool_modules() -> None:
  """Unregisters the tools' flags and unloads their modules."""
  for module, module_flags in list(flags.FLAGS.flags_by_module_dict().items()):
    if module.startswith(_PACKAGE):
      for flag in list(module_flags):
        if flag.name in flags.FLAGS:
          delattr(flags.FLAGS, flag.name)
  package = sys.modules.get(_PACKAGE.rstrip("."))
  for name in list(sys.modules):
    if name.startswith(_PACKAGE):
      del sys.modules[name]
      if package is not None and hasattr(package, name[len(_PACKAGE):]):
        delattr(package, name[len(_PACKAGE):])


def run_once(module, argv: list[str], directory: str) -> dict:
  """Runs `module.run()` with argv in `directory`; what happened."""
  flags.FLAGS.unparse_flags()
  stderr = io.StringIO()
  escaped = None
  code = None
  saved_argv, saved_cwd = sys.argv, os.getcwd()
  sys.argv = argv
  os.chdir(directory)
  try:
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(
        io.StringIO()):
      module.run()
  except SystemExit as e:
    code = 0 if e.code is None else e.code
  except BaseException:  # pylint: disable=broad-except
    escaped = traceback.format_exc()
  finally:
    sys.argv = saved_argv
    os.chdir(saved_cwd)
  left = sorted(os.path.relpath(os.path.join(root, name), directory)
                for root, dirs, files in os.walk(directory)
                for name in dirs + files)
  return {"code": code, "stderr": stderr.getvalue().splitlines(),
          "escaped": escaped, "left": left}


def main(plan_path: str, results_path: str) -> None:
  with open(plan_path, encoding="utf8") as f:
    plan = json.load(f)
  results, module = [], None
  for run in plan:
    if module is None or module.__name__ != module_of(run["tool"]):
      forget_tool_modules()
      module = importlib.import_module(module_of(run["tool"]))
    results.append(run_once(module, [run["tool"], *run["argv"]], run["cwd"]))
  with open(results_path, "w", encoding="utf8") as f:
    json.dump(results, f, indent=1)


if __name__ == "__main__":
  main(*sys.argv[1:])

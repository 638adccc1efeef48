"""Running the tools under test, and what a clean failure looks like."""

import json
import os
import subprocess
import sys

import keras

from tests import tiny_vgg

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_tool(*command: str, env=None, timeout: int = 600):
  """Runs an installed tool; returns the CompletedProcess with text output."""
  return subprocess.run(list(command), capture_output=True, text=True,
                        env={**os.environ, **(env or {})}, timeout=timeout)


def run_tools_in_one_process(runs, directory) -> list:
  """Runs the command lines `runs` ([(tool, [arg, ...], cwd), ...]) in one
  process (`tests/tool_batch.py`); a CompletedProcess of each, its stderr
  the lines Python wrote (an escaped exception's traceback included)."""
  plan, results = os.path.join(directory, "plan.json"), os.path.join(
      directory, "results.json")
  with open(plan, "w", encoding="utf8") as f:
    json.dump([{"tool": tool, "argv": list(argv), "cwd": str(cwd)}
               for tool, argv, cwd in runs], f)
  process = subprocess.run(
      [sys.executable, "-m", "tests.tool_batch", plan, results], cwd=_ROOT,
      capture_output=True, text=True, timeout=600, check=False)
  assert process.returncode == 0, process.stderr[-3000:]
  with open(results, encoding="utf8") as f:
    outcomes = json.load(f)
  return [subprocess.CompletedProcess(
      [tool, *argv], 1 if outcome["escaped"] else outcome["code"], "",
      "\n".join([*outcome["stderr"], outcome["escaped"] or ""]))
          for (tool, argv, _), outcome in zip(runs, outcomes)]


def given_over_defaults(given, defaults: dict) -> list[str]:
  """The flags `given` (`--name=value`), then `defaults`' for the flags
  they leave out."""
  named = {arg.split("=")[0] for arg in given}
  return [*given, *(f"{flag}={value}" for flag, value in defaults.items()
                    if flag not in named)]


def bad_input_problems(tool: str, cases, runs, outputs, directory) -> list:
  """What is wrong with the runs of the bad inputs `cases` ([(args,
  phrase)]; their command lines `runs`, run in one process): each must end
  in one line naming its phrase and write none of its `outputs`."""
  problems = []
  for (args, phrase), process, written in zip(
      cases, run_tools_in_one_process(runs, directory), outputs):
    try:
      assert_one_line_error(process, tool, phrase)
      assert not any(path.exists() for path in written), "wrote output"
    except AssertionError as e:
      problems.append(f"{args}: {e}")
  return problems


def without_beam(directory) -> dict:
  """The environment of a tool run in which `import apache_beam` finds a
  package made under `directory` that fails as if Beam were not installed."""
  (directory / "apache_beam").mkdir(parents=True)
  (directory / "apache_beam" / "__init__.py").write_text(
      "raise ImportError('hidden')\n")
  return {"PYTHONPATH": str(directory)}


def assert_one_line_error(process, tool: str, phrase: str) -> None:
  """Asserts exit status 2 and one stderr line `<tool>: error: ...phrase...`."""
  assert process.returncode == 2, process.stderr
  lines = [line for line in process.stderr.splitlines() if line.strip()]
  assert len(lines) == 1, process.stderr
  assert lines[0].startswith(f"{tool}: error:"), lines[0]
  assert phrase in lines[0], lines[0]


def random_vgg19_weights(path: str, layer_names) -> str:
  """Writes random full-size VGG19 weights of `layer_names` to an HDF5 file."""
  model = keras.applications.VGG19(include_top=False, weights=None)
  tiny_vgg.save_legacy_h5(model, path, layer_names)
  return path

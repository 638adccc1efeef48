"""Runs many command lines of the fmi-* tools in one process, for the flag walk.

`python -m tests.flag_fuzz_runner PLAN.json RESULTS.json` (working files go
next to RESULTS.json): the plan maps each tool's module
(`fmi_tf.tools.invert`) to a base command line; for every integer and float
flag of the tool's modules (found in absl's registry, so a new flag is
walked without naming it), each bad value of `FLOAT_VALUES` or
`INTEGER_VALUES` replaces the flag's, in a fresh, empty working directory,
through the tool's own `run()` as its console script calls it
(`tests/tool_batch.py`, which records what each run did).
"""

import importlib
import json
import os
import sys
import tempfile

from absl import flags
import numpy as np
from PIL import Image

from tests import tool_batch

# Bad values of every float flag, and of every integer flag ("1.5" too).
FLOAT_VALUES = ("inf", "-inf", "nan", "1e308", str(2**64), "-1", "", "abc")
INTEGER_VALUES = ("inf", "nan", "1e308", str(2**64), "-1", "", "abc", "1.5")
_PACKAGE = "fmi_tf.tools."


def numeric_flags() -> list[tuple[str, tuple[str, ...]]]:
  """(flag name, bad values) of the tool modules' integer and float flags."""
  walked = []
  for module, module_flags in sorted(
      flags.FLAGS.flags_by_module_dict().items()):
    if not module.startswith(_PACKAGE):
      continue
    for flag in module_flags:
      if isinstance(flag.parser, flags.IntegerParser):
        walked.append((flag.name, INTEGER_VALUES))
      elif isinstance(flag.parser, flags.FloatParser):
        walked.append((flag.name, FLOAT_VALUES))
  return sorted(set(walked))


def _fixtures(root: str) -> dict[str, str]:
  """A tiny VGG19-named network as a .keras file, and a small photo."""
  from tests import tiny_vgg  # pylint: disable=import-outside-toplevel
  model = os.path.join(root, "tiny_vgg19.keras")
  tiny_vgg.tiny_vgg19_model().save(model)
  photo = os.path.join(root, "photo.png")
  rng = np.random.default_rng(0)
  Image.fromarray(rng.integers(0, 256, (24, 24, 3), np.uint8)).save(photo)
  dataset = os.path.join(root, "dataset")
  for label in ("dots", "stripes"):
    os.makedirs(os.path.join(dataset, label))
    for i in range(4):
      Image.fromarray(rng.integers(0, 256, (24, 24, 3), np.uint8)).save(
          os.path.join(dataset, label, f"{i}.png"))
  return {"model": model, "photo": photo, "dataset": dataset}


def main(plan_path: str, results_path: str) -> None:
  with open(plan_path, encoding="utf8") as f:
    plan = json.load(f)
  import fmi_tf.tools  # pylint: disable=import-outside-toplevel,unused-import
  root = tempfile.mkdtemp(dir=os.path.dirname(os.path.abspath(results_path)))
  paths = _fixtures(root)
  results = []
  for module_name, base in plan.items():
    tool_batch.forget_tool_modules()
    module = importlib.import_module(module_name)
    base = [arg.format(**paths) for arg in base]
    tool = "fmi-" + module_name.rsplit(".", 1)[1].replace("_", "-")
    for name, values in numeric_flags():
      for value in values:
        argv = [a for a in base if not a.startswith(f"--{name}=")]
        directory = tempfile.mkdtemp(dir=root)
        outcome = tool_batch.run_once(module, [tool, *argv, f"--{name}={value}"],
                            directory)
        results.append({"module": module_name, "tool": tool, "flag": name,
                        "value": value, **outcome})
  with open(results_path, "w", encoding="utf8") as f:
    json.dump(results, f, indent=1)


if __name__ == "__main__":
  main(*sys.argv[1:])

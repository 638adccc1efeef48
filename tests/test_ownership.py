"""An output directory belongs to the first run that claims it; the package
imports and locks without `fcntl`."""

import json
import os
import subprocess
import sys

import pytest

import fmi_tf
from fmi_tf import errors
from fmi_tf.io import ownership
from tests import tool_runs

_FAST = {"size": 32, "steps": 2, "progress": False}


def test_a_claim_of_the_same_settings_goes_on_and_of_others_is_refused(
    tmp_path):
  ownership.claim(str(tmp_path), {"steps": 2, "seed": 0}, what="atlas")
  ownership.claim(str(tmp_path), {"steps": 2, "seed": 0}, what="atlas")
  with pytest.raises(errors.OutputError, match=r"belongs to another atlas "
                     r"run: its steps is 2, this run's 3"):
    ownership.claim(str(tmp_path), {"steps": 3, "seed": 0}, what="atlas")
  ownership.claim(str(tmp_path), {"steps": 3, "seed": 0}, what="atlas",
                  overwrite=True)
  record = json.loads((tmp_path / ownership.FILENAME).read_text())
  assert record == {"steps": 3, "seed": 0}
  assert os.listdir(tmp_path) == [ownership.FILENAME]


def test_an_atlas_claimed_by_other_settings_is_refused_before_any_filter(
    tiny_backbone, photo, tmp_path):
  fmi_tf.draw_atlas(tiny_backbone, ["block1_conv1"], str(tmp_path / "a"),
                    image=photo, **_FAST)
  claim = (tmp_path / "a" / ownership.FILENAME).read_bytes()
  out = tmp_path / "b"
  out.mkdir()
  (out / ownership.FILENAME).write_bytes(claim)  # a run that wrote no filter
  with pytest.raises(errors.OutputError,
                     match="parameters.steps is 2, this run's 3"):
    fmi_tf.draw_atlas(tiny_backbone, ["block1_conv2"], str(out), image=photo,
                      **{**_FAST, "steps": 3})
  assert os.listdir(out) == [ownership.FILENAME]
  result = fmi_tf.draw_atlas(tiny_backbone, ["block1_conv2"], str(out),
                             image=photo, **_FAST)
  assert result.inverted > 0


@pytest.fixture(scope="module")
def block1_weights(tmp_path_factory):
  return tool_runs.random_vgg19_weights(
      str(tmp_path_factory.mktemp("weights") / "block1.h5"),
      ["block1_conv1"])


@pytest.mark.slow
def test_two_atlas_runs_started_together_with_other_settings_do_not_both_win(
    block1_weights, tmp_path):
  out = tmp_path / "atlas"
  runs = [subprocess.Popen(
      ["fmi-atlas", "--layers=block1_conv1", "--size=8", f"--steps={steps}",
       f"--weights={block1_weights}", f"--out={out}"],
      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
          for steps in (2, 3)]
  results = [(run.wait(timeout=600), run.stderr.read()) for run in runs]
  assert sorted(code for code, _ in results) == [0, 2], results
  _, refused = next(r for r in results if r[0] == 2)
  lines = [line for line in refused.splitlines() if line.strip()]
  assert len(lines) == 1 and lines[0].startswith("fmi-atlas: error:"), lines
  assert ("belongs to another atlas run" in lines[0] or
          "holds results of other settings" in lines[0]), lines[0]
  steps = {json.loads(p.read_text())["parameters"]["steps"]
           for p in out.glob("block1_conv1_*.json")}
  assert len(steps) == 1


def test_the_package_imports_and_locks_without_fcntl(tmp_path):
  script = (
      "import sys\n"
      "sys.modules['fcntl'] = None\n"  # import fcntl raises ImportError
      "import fmi_tf\n"
      "from fmi_tf.io import outputs\n"
      "from fmi_tf.atlas import layout\n"
      "with outputs.exclusive_lock(sys.argv[1]):\n"
      "  outputs.write_json(sys.argv[1] + '.json', {'locked': True})\n"
      "print(fmi_tf.draw_atlas.__name__)\n")
  process = subprocess.run(
      [sys.executable, "-c", script, str(tmp_path / "lock")],
      capture_output=True, text=True, timeout=300)
  assert process.returncode == 0, process.stderr
  assert process.stdout.split() == ["draw_atlas"]
  assert json.loads((tmp_path / "lock.json").read_text()) == {"locked": True}

"""Every integer and float flag of every tool, given wrong types and extremes.

The flags are found in absl's registry of each tool's modules
(`tests/flag_fuzz_runner.py`), so a flag added later is walked too. Each
bad value (inf, -inf, nan, 1e308, 2**64, -1, an empty string, text, and 1.5
for an integer) ends the tool with one line and exit status 2, no
traceback, and nothing written in the working directory; values that
cannot be parsed or are not finite are refused by a line naming the flag.
The few values that are valid settings succeed (`_ACCEPTED`). The tools run
in one process on a tiny network, so no real weights are needed; the walk
of some 400 cases takes 30 to 70 s on two busy cores (hence `slow`). The
Beam tools are walked in a run of their own, marked `beam` (they need the
[beam] extra).
"""

import configparser
import json
import os
import subprocess
import sys

import pytest

from tests import flag_fuzz_runner

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_MODEL = ["--model={model}", "--preprocessing=caffe"]
_TEXTURE = [*_MODEL, "--dataset=folder:{dataset}", "--layers=block1_conv1",
            "--image_size=16", "--test_fraction=0.5", "--out=out",
            "--cache_dir=cache"]
# A valid, fast command line of each tool; the walk replaces one flag.
_PLAN = {
    "fmi_tf.tools.invert": [
        *_MODEL, "--layer=block1_conv1", "--filters=0", "--size=16",
        "--steps=2", "--image={photo}", "--out=out", "--logdir=logs"],
    "fmi_tf.tools.atlas": [
        *_MODEL, "--layers=block1_conv1", "--size=16", "--steps=2",
        "--image={photo}", "--out=out", "--logdir=logs"],
    "fmi_tf.tools.reallocate": [
        *_MODEL, "--layers=block1_conv1", "--seeds=0", "--size=16",
        "--steps=2", "--image={photo}", "--out=out", "--logdir=logs"],
    "fmi_tf.tools.stylize": [
        *_MODEL, "--style={photo}", "--content={photo}",
        "--style_layer=block1_conv1=1", "--content_layer=block1_conv2",
        "--size=16", "--steps=2", "--out=out/result.png", "--logdir=logs"],
    "fmi_tf.tools.atlas_beam": [
        *_MODEL, "--layers=block1_conv1", "--size=16", "--steps=2",
        "--image={photo}", "--out=out", "--logdir=logs"],
    "fmi_tf.tools.texture_encode_beam": [
        *_TEXTURE[:-2], "--cache_dir=cache"],
    "fmi_tf.tools.atlas_stats": ["--atlas=atlas", "--out=stats"],
    "fmi_tf.tools.texture_train": _TEXTURE,
    "fmi_tf.tools.texture_eval": _TEXTURE,
    "fmi_tf.tools.texture_export": ["--model_dir=model",
                                    "--export_base=exports"],
    "fmi_tf.tools.classify": ["{photo}", "--saved_model=export"],
    "fmi_tf.tools.dataset_examples": [
        *_MODEL, "--dataset=folder:{dataset}", "--layers=block1_conv1",
        "--image_size=16", "--out=out"],
    "fmi_tf.tools.site": ["--atlas=atlas", "--out=site"],
    "fmi_tf.tools.render": [
        *_MODEL, "--objective=block1_conv1:0", "--size=16", "--steps=2",
        "--out=out", "--logdir=logs"],
    "fmi_tf.tools.faithfulness": [
        *_MODEL, "--dataset=folder:{dataset}", "--layers=block1_conv1",
        "--size=16", "--filters=2", "--queries=1", "--steps=2",
        "--judge=image-statistics", "--out=out/faithfulness.json"],
}
_NO_NUMERIC_FLAGS = {"fmi-atlas-stats"}
_HUGE = str(2**64)
# Valid settings among the extremes: 2**64 (1.8e19) is a finite weight,
# gain, concentration or step size within float32, and any finite C above
# its floor is a (vanishing) regularisation; these runs succeed.
_ACCEPTED = {
    *((tool, flag, _HUGE) for tool in ("fmi-invert", "fmi-atlas",
                                       "fmi-atlas-beam")
      for flag in ("alpha", "beta", "l2_weight", "tv_weight",
                   "learning_rate")),
    ("fmi-render", "learning_rate", _HUGE),
    *(("fmi-reallocate", flag, _HUGE)
      for flag in ("concentration", "learning_rate", "tv_weight")),
    *(("fmi-stylize", flag, _HUGE)
      for flag in ("content_weight", "style_weight", "tv_weight",
                   "learning_rate")),
    *((tool, "C", value) for tool in (
        "fmi-texture-train", "fmi-texture-eval", "fmi-texture-encode-beam")
      for value in ("1e308", _HUGE)),
}
# The tools that need the [beam] extra, walked apart (marked `beam`).
_BEAM_TOOLS = {"fmi_tf.tools.atlas_beam", "fmi_tf.tools.texture_encode_beam"}
# Values that no parser takes, or that are not finite: named in the line.
_UNPARSED = {"inf", "-inf", "nan", "", "abc", "1.5"}


def _console_modules() -> set[str]:
  config = configparser.ConfigParser()
  config.read(os.path.join(_ROOT, "setup.cfg"))
  scripts = config["options.entry_points"]["console_scripts"]
  return {line.split("=")[1].strip().split(":")[0]
          for line in scripts.strip().splitlines()}


def _walk(tmp_path_factory, beam: bool) -> dict:
  """{tool: [case result]} of the walk of the Beam tools or the others."""
  directory = tmp_path_factory.mktemp("walk")
  plan, results = directory / "plan.json", directory / "results.json"
  plan.write_text(json.dumps({module: line for module, line in _PLAN.items()
                              if (module in _BEAM_TOOLS) == beam}))
  process = subprocess.run(
      [sys.executable, "-m", "tests.flag_fuzz_runner", str(plan),
       str(results)], cwd=_ROOT, capture_output=True, text=True,
      timeout=600, check=False)
  assert process.returncode == 0, process.stderr[-3000:]
  by_tool = {}
  for case in json.loads(results.read_text()):
    by_tool.setdefault(case["tool"], []).append(case)
  return by_tool


@pytest.fixture(scope="module")
def walk(tmp_path_factory):
  """The walk of every tool but the Beam tools, run once."""
  return _walk(tmp_path_factory, beam=False)


@pytest.fixture(scope="module")
def beam_walk(tmp_path_factory):
  """The walk of the Beam tools, run once."""
  return _walk(tmp_path_factory, beam=True)


def _problem(case: dict) -> str:
  """What is wrong with one case's outcome; "" if nothing."""
  tool, flag, value = case["tool"], case["flag"], case["value"]
  if case["escaped"] or any("Traceback" in line for line in case["stderr"]):
    return "traceback: " + (case["escaped"] or "").strip().splitlines()[-1]
  if (tool, flag, value) in _ACCEPTED:
    if case["code"] != 0 or not case["left"]:
      return f"exit {case['code']}, wrote {case['left']}: expected success"
    return ""
  errors = [line for line in case["stderr"] if line.startswith(
      f"{tool}: error:")]
  if case["code"] != 2 or len(errors) != 1:
    return f"exit {case['code']} with {errors or case['stderr'][-1:]}"
  if case["left"]:
    return f"left {case['left']} after: {errors[0]}"
  if value in _UNPARSED and f"--{flag}" not in errors[0]:
    return f"the line does not name --{flag}: {errors[0]}"
  return ""


def test_every_tool_is_walked():
  assert set(_PLAN) == _console_modules()


@pytest.mark.slow
def test_the_walk_finds_each_tools_own_flags(walk):
  walked = {tool: {case["flag"] for case in cases}
            for tool, cases in walk.items()}
  assert {"alpha", "seed", "size", "steps", "batch_size"} <= walked[
      "fmi-invert"]
  assert {"concentration", "batch_size", "size"} <= walked["fmi-reallocate"]
  assert "style_weight" in walked["fmi-stylize"]
  assert "verbosity" not in walked["fmi-invert"]  # absl's own flags
  values = {case["value"] for case in walk["fmi-invert"]}
  assert set(flag_fuzz_runner.FLOAT_VALUES) <= values


@pytest.mark.slow
@pytest.mark.parametrize("module", [
    pytest.param(module, marks=pytest.mark.beam) if module in _BEAM_TOOLS
    else module for module in sorted(_PLAN)])
def test_bad_values_end_in_one_line_and_write_nothing(request, module):
  walk = request.getfixturevalue(
      "beam_walk" if module in _BEAM_TOOLS else "walk")
  tool = "fmi-" + module.rsplit(".", 1)[1].replace("_", "-")
  cases = walk.get(tool, [])
  assert bool(cases) != (tool in _NO_NUMERIC_FLAGS)
  problems = [f"--{case['flag']}={case['value']}: {problem}"
              for case in cases if (problem := _problem(case))]
  assert not problems, "\n".join(problems)

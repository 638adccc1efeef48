"""Ctrl-C on the Beam tools: one line, exit 130, no traceback of any worker;
the files left are whole and a rerun resumes."""

import glob
import os
import signal
import subprocess
import time

import numpy as np
from PIL import Image
import pytest

from tests import beam_runs
from tests import tool_runs

pytestmark = [pytest.mark.slow, pytest.mark.beam]


def _interrupt(command, written: str) -> subprocess.CompletedProcess:
  """Runs the tool, sends Ctrl-C to it and its workers (its process group,
  as a terminal does) once a file matches `written`."""
  process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)
  deadline = time.time() + 240
  while (not glob.glob(written, recursive=True)
         and process.poll() is None and time.time() < deadline):
    time.sleep(0.2)
  os.killpg(process.pid, signal.SIGINT)
  _, stderr = process.communicate(timeout=120)
  return subprocess.CompletedProcess(command, process.returncode, "", stderr)


def _assert_interrupted(process, tool: str) -> None:
  assert process.returncode == 130, process.stderr[-3000:]
  assert "Traceback" not in process.stderr, process.stderr[-3000:]
  assert "KeyboardInterrupt" not in process.stderr
  last = process.stderr.strip().splitlines()[-1]
  assert last == (f"{tool}: error: interrupted; finished outputs are kept, "
                  "a rerun resumes")


def test_ctrl_c_on_the_beam_atlas(tiny_keras, tmp_path):
  out = tmp_path / "atlas"
  command = ["fmi-atlas-beam", f"--model={tiny_keras}",
             "--layers=block1_conv1,block2_conv1", "--size=24",
             "--steps=200", "--tolerance=0", "--batch_size=2",
             f"--out={out}", *beam_runs.TWO_PROCESSES]
  _assert_interrupted(_interrupt(command, f"{out}/*.json"), "fmi-atlas-beam")
  done = {p: os.path.getmtime(p) for p in glob.glob(f"{out}/*_*.json")}
  assert 0 < len(done) < 10
  assert not glob.glob(f"{out}/.*part")
  finished = tool_runs.run_tool(*command)
  assert finished.returncode == 0, finished.stderr[-3000:]
  assert len(glob.glob(f"{out}/*_*.json")) == 10
  assert all(os.path.getmtime(p) == t for p, t in done.items())


def test_ctrl_c_on_the_beam_encoding(tiny_keras, tmp_path):
  rng = np.random.default_rng(0)
  for name in ("dots", "stripes"):
    (tmp_path / "data" / name).mkdir(parents=True)
    for i in range(150):
      Image.fromarray(rng.integers(0, 255, (48, 48, 3), np.uint8)).save(
          tmp_path / "data" / name / f"{i}.png")
  cache = tmp_path / "cache"
  command = ["fmi-texture-encode-beam", f"--model={tiny_keras}",
             f"--dataset=folder:{tmp_path / 'data'}", f"--cache_dir={cache}",
             "--image_size=48", "--images_per_item=4", *beam_runs.TWO_PROCESSES]
  _assert_interrupted(_interrupt(command, f"{cache}/**/*.npz"),
                      "fmi-texture-encode-beam")

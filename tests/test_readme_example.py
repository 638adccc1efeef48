"""The README's Python example runs as pasted, with the real weights.

Keras's download of the ImageNet weights is the one line replaced: the
example's `fmi_tf.network("vgg19")` is given the local file instead, so the
rest (the embedded photo, the inversion, the printed records, the grid) runs
exactly as a reader pastes it.
"""

import os
import pathlib
import re
import subprocess
import sys

from PIL import Image
import pytest

_README = pathlib.Path(__file__).resolve().parent.parent / "README.md"
_DOWNLOADING_CALL = 'fmi_tf.network("vgg19")'


def _python_block() -> str:
  blocks = re.findall(r"^```python\n(.*?)^```$", _README.read_text(),
                      re.MULTILINE | re.DOTALL)
  assert len(blocks) == 1, "the README has one Python example"
  return blocks[0]


@pytest.mark.slow
@pytest.mark.real_weights
def test_the_readme_python_example_runs_and_draws_its_grid(
    real_weights_path, tmp_path):
  block = _python_block()
  assert block.count(_DOWNLOADING_CALL) == 1
  script = block.replace(_DOWNLOADING_CALL,
                         f"fmi_tf.network('vgg19', weights={real_weights_path!r})")
  process = subprocess.run(
      [sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
      text=True, timeout=900, check=False,
      env={**os.environ, "MPLBACKEND": "Agg"})
  assert process.returncode == 0, process.stderr[-3000:]
  saved = re.findall(r'\.save\("([^"]+)"\)', block)
  assert saved, "the example saves its grid"
  with Image.open(tmp_path / saved[0]) as grid:
    assert min(grid.size) >= 96
  printed = [line.split() for line in process.stdout.splitlines()]
  rows = [row for row in printed if len(row) == 3]
  filters = re.search(r"filters=range\((\d+)\)", block)
  assert filters and len(rows) == int(filters[1])
  # Each row: filter, gain (None for a silent filter), activated; an
  # inversion raises its filter's share.
  gains = [float(row[1]) if row[1] != "None" else 0.0 for row in rows]
  assert sorted(int(row[0]) for row in rows) == list(range(len(rows)))
  assert sum(gain > 1 for gain in gains) >= len(gains) // 2

"""What every tool shares: an OSError (a full disk) is one line, no leftovers;
TensorFlow's objects frozen, the garbage collector still on.

The tool runs in a fresh interpreter outside the work tree, so it is the
installed fmi_tf.tools that is tested.
"""

import os
import subprocess
import sys

import pytest

DISK_FULL = """
import errno, os, sys
from fmi_tf.io import outputs
from fmi_tf.tools import cli

_fdopen = os.fdopen

class FullDisk:
  def __init__(self, fd, mode):
    self.file = _fdopen(fd, mode)
  def __enter__(self):
    return self
  def __exit__(self, *args):
    self.file.close()
  def write(self, data):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

def main(argv):
  outputs.write_png(os.path.join(sys.argv[1], "first.png"),
                    outputs.np.zeros((4, 4, 3)))
  outputs.os.fdopen = FullDisk
  outputs.write_png(os.path.join(sys.argv[1], "second.png"),
                    outputs.np.zeros((4, 4, 3)))

out = sys.argv[1]
sys.argv = ["fmi-disk", "--"]
cli.run(lambda argv: main([out]))
"""

NOT_A_DIRECTORY = """
import sys
from fmi_tf.tools import cli

def main(argv):
  with open(sys.argv[1] + "/record.json", "w") as f:
    f.write("{}")

path = sys.argv[1]
sys.argv = ["fmi-write"]
cli.run(lambda argv: main([path]))
"""

COLLECTOR = """
import gc
import weakref
import fmi_tf.tools

class Node:
  pass

node = Node()
node.itself = node
alive = weakref.ref(node)
del node
gc.collect()
print(gc.isenabled(), gc.get_freeze_count(), alive() is None)
"""


def _run(script, *args, cwd):
  return subprocess.run([sys.executable, "-c", script, *args], cwd=cwd,
                        capture_output=True, text=True, timeout=120)


def _assert_one_line(process, line):
  assert process.returncode == 2, process.stderr
  lines = [l for l in process.stderr.splitlines() if l.strip()]
  assert lines == [line], process.stderr


@pytest.mark.slow
def test_a_full_disk_is_one_line_and_leaves_no_partial_file(tmp_path):
  out = tmp_path / "out"
  out.mkdir()
  process = _run(DISK_FULL.replace("sys.argv[1]", repr(str(out))),
                 cwd=tmp_path)
  _assert_one_line(process, "fmi-disk: error: No space left on device")
  assert sorted(os.listdir(out)) == ["first.png"]


@pytest.mark.slow
def test_a_path_under_a_regular_file_is_one_line(tmp_path):
  (tmp_path / "a_file").write_text("")
  path = str(tmp_path / "a_file")
  process = _run(NOT_A_DIRECTORY.replace("sys.argv[1]", repr(path)),
                 cwd=tmp_path)
  _assert_one_line(process, "fmi-write: error: Not a directory: "
                   f"{path}/record.json")


@pytest.mark.slow
def test_loading_the_tools_freezes_tensorflow_and_keeps_collecting(tmp_path):
  process = _run(COLLECTOR, cwd=tmp_path)
  assert process.returncode == 0, process.stderr
  enabled, frozen, cycle_collected = process.stdout.split()
  assert enabled == "True"
  assert int(frozen) > 100_000  # TensorFlow and Keras load ~660,000.
  assert cycle_collected == "True"

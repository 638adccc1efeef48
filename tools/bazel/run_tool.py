"""Runs a command-line tool under `bazel run`: run_tool.py MODULE NAME ARGS...

The tools import one another relatively (`from . import cli`), as modules of
the `tools` package (installed: `fmi_tf.tools`), so they never run as
scripts. This launcher puts its own workspace first on the path (Bazel's
runfiles also hold @bazel_tools, whose `tools` package would shadow ours),
names the program NAME in its messages and calls the module's `run()`.
"""

import importlib
import os
import sys

if __name__ == "__main__":
  sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(
      os.path.abspath(__file__)))))
  module, name = sys.argv[1:3]
  sys.argv = [name, *sys.argv[3:]]
  importlib.import_module(module).run()

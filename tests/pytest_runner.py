"""Runs pytest files as a Bazel py_test: `pytest_runner.py tests/test_x.py`."""

import sys

import pytest

if __name__ == "__main__":
  sys.exit(pytest.main(["-p", "no:cacheprovider", *sys.argv[1:]]))

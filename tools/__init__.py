"""Command-line tools of fmi_tf: thin absl binaries over the library.

TensorFlow's native start-up notices (oneDNN, CUDA probing) are written to
file descriptor 2 before any Python logging is set up; they would bury the
tools' one-line messages, so they are silenced while TensorFlow loads and
finds its devices. Everything after that reaches stderr as usual.
"""

import contextlib
import os
import sys


@contextlib.contextmanager
def _native_stderr_silenced():
  sys.stderr.flush()
  saved = os.dup(2)
  devnull = os.open(os.devnull, os.O_WRONLY)
  os.dup2(devnull, 2)
  try:
    yield
  finally:
    os.dup2(saved, 2)
    os.close(saved)
    os.close(devnull)


with _native_stderr_silenced():
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  tf.config.list_logical_devices()

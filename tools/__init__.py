"""Command-line tools of fmi_tf: thin absl binaries over the library.

TensorFlow's native start-up notices (oneDNN, CUDA probing) are written to
file descriptor 2 before any Python logging is set up; they would bury the
tools' one-line messages, so they are silenced while TensorFlow loads and
finds its devices. Everything after that reaches stderr as usual.

Loading TensorFlow and Keras creates some 660,000 Python objects that live as
long as the process. The garbage collector is paused while they load, and
they are then frozen (`gc.freeze`): neither the loading, nor a full
collection, nor the final one at exit walks them again. Starting and ending
a tool takes 1.5 s less (benchmarks/startup.py); objects made later are
collected as usual.
"""

import contextlib
import gc
import os
import sys


@contextlib.contextmanager
def _collector_paused_then_frozen():
  gc.disable()
  try:
    yield
  finally:
    gc.freeze()
    gc.enable()


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


with _collector_paused_then_frozen(), _native_stderr_silenced():
  # pylint: disable=g-import-not-at-top
  import keras  # pylint: disable=unused-import
  import tensorflow as tf
  # pylint: enable=g-import-not-at-top
  tf.config.list_logical_devices()

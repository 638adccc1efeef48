"""Whole processes timed from launch to exit, for benchmarks."""

import subprocess
import sys
import time

# Starting and ending alone: a plain TensorFlow script's, and fmi_tf's tools'
# (whose package freezes what TensorFlow and Keras load).
STARTUPS = {
    "plain": [sys.executable, "-c", "import keras, tensorflow as tf; "
              "tf.config.list_logical_devices()"],
    "fmi_tf.tools": [sys.executable, "-c", "import fmi_tf.tools"],
}


def seconds(argv: list[str]) -> float:
  """Runs `argv` to its end (stderr discarded); returns its wall seconds."""
  began = time.perf_counter()
  subprocess.run(argv, check=True, stderr=subprocess.DEVNULL)
  return time.perf_counter() - began

"""FLOP counts and rates of the inversion loop and a matmul reference."""

import dataclasses
import time

import numpy as np

from fmi_tf.inversion import defaults
from fmi_tf.inversion import filters
from fmi_tf.nets import feature_model
from fmi_tf.nets import vgg19_names

# Output channels of VGG19's convolutions, per block.
VGG19_WIDTHS = {1: 64, 2: 128, 3: 256, 4: 512, 5: 512}


def conv_flops_per_step(layer: str, height: int, width: int) -> float:
  """Convolution FLOPs of one image's step up to `layer`.

  The forward pass (2 * H * W * 9 * C_in * C_out per convolution) is doubled
  for the gradient with respect to the input; no weight gradients are taken.
  """
  channels, total = 3, 0.0
  for name in vgg19_names.FEATURE_LAYERS[:vgg19_names.FEATURE_LAYERS.index(layer) + 1]:
    if name.endswith("pool"):
      height, width = height // 2, width // 2
      continue
    out = VGG19_WIDTHS[int(name[5])]
    total += 2.0 * height * width * 9 * channels * out
    channels = out
  return 2.0 * total


def matmul_flops_per_second(n: int = 2048, repeats: int = 10,
                            dtype: str = "float32") -> float:
  """Measures the FLOP/s of a compiled [n, n] x [n, n] matmul in `dtype`."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  a = tf.cast(tf.random.normal([n, n]), dtype)
  matmul = tf.function(lambda a: tf.linalg.matmul(a, a))
  matmul(a).numpy()
  began = time.perf_counter()
  for _ in range(repeats):
    matmul(a).numpy()
  return repeats * 2.0 * n**3 / (time.perf_counter() - began)


def loop_seconds_per_step(weights: str, layer: str, precision: str,
                          size: int, num_filters: int = 16,
                          steps: int = 25) -> float:
  """Seconds of one compiled step of `num_filters` filters at size x size.

  The loop runs `steps` steps per compiled call, with no early stop; the
  second call is timed, after the first has compiled.
  """
  backbone = feature_model.vgg19(weights)
  base = defaults.resolve(backbone).config
  config = dataclasses.replace(
      base, precision=precision, batch_size=num_filters,
      optimizer=dataclasses.replace(base.optimizer, steps=2 * steps,
                                    steps_per_call=steps, tolerance=0.0))
  inverter = filters.FilterInverter(backbone, layer, config)
  image = np.random.default_rng(0).uniform(size=(size, size, 3)).astype(
      np.float32)
  times = []
  list(inverter.invert(image, list(range(num_filters)),
                       on_step=lambda status, steps: times.append(
                           time.perf_counter())))
  return (times[1] - times[0]) / steps

"""FLOP counts of the inversion loop and a matmul reference, for benchmarks."""

import time

from fmi_tf.nets import layers

# Output channels of VGG19's convolutions, per block.
VGG19_WIDTHS = {1: 64, 2: 128, 3: 256, 4: 512, 5: 512}


def conv_flops_per_step(layer: str, height: int, width: int) -> float:
  """Convolution FLOPs of one image's step up to `layer`.

  The forward pass (2 * H * W * 9 * C_in * C_out per convolution) is doubled
  for the gradient with respect to the input; no weight gradients are taken.
  """
  channels, total = 3, 0.0
  for name in layers.FEATURE_LAYERS[:layers.FEATURE_LAYERS.index(layer) + 1]:
    if name.endswith("pool"):
      height, width = height // 2, width // 2
      continue
    out = VGG19_WIDTHS[int(name[5])]
    total += 2.0 * height * width * 9 * channels * out
    channels = out
  return 2.0 * total


def matmul_flops_per_second(n: int = 2048, repeats: int = 10) -> float:
  """Measures the FLOP/s of a compiled [n, n] x [n, n] float32 matmul."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  a = tf.random.normal([n, n])
  matmul = tf.function(lambda a: tf.linalg.matmul(a, a))
  matmul(a).numpy()
  began = time.perf_counter()
  for _ in range(repeats):
    matmul(a).numpy()
  return repeats * 2.0 * n**3 / (time.perf_counter() - began)

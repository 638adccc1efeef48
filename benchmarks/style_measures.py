"""How well a style transfer carries the style and keeps the content.

The style benchmark prints these per image pair, and the real-weight test of
style transfer asserts them.
"""

import numpy as np
import tensorflow as tf

from fmi_tf import texture
from fmi_tf.style import stylization


def carried(stylizer: stylization.Stylizer, content: np.ndarray,
             style: np.ndarray, result: np.ndarray) -> tuple[float, float]:
  """How well a transfer result carries the style and keeps the content.

  Args:
    stylizer: the stylizer that made `result`.
    content: the content image, [H, W, 3] RGB.
    style: the style image, [H, W, 3] RGB, of the content's shape.
    result: the transfer result, [H, W, 3] RGB, of the content's shape.

  Returns:
    (style moved, content ratio). Style moved: over the style layers, the
    mean of 1 - ||e(x) - e(s)|| / ||e(c) - e(s)||, e the first-order
    energies of result x, style s and content c (1: the style's
    energies). Content ratio: ||phi(x) - phi(c)|| / ||phi(s) - phi(c)||
    at the content layer (0: the content's code).
  """
  codes = [stylizer.features(tf.constant(image[None]))
           for image in (content, style, result)]

  def distance(a, b):
    return max(float(tf.norm(tf.reshape(a - b, [-1]))), 1e-12)

  moved = [1.0 - distance(x, s) / distance(c, s)
           for c, s, x in ([texture.energies(code[layer]) for code in codes]
                           for layer in stylizer.style_layers)]
  c, s, x = (code[stylizer.content_layer] for code in codes)
  return float(np.mean(moved)), distance(x, c) / distance(s, c)

"""Style and content losses: energy matching, Gram matching, code distance.

Every term is a loss to minimise, one value per batch element, normalised by
its target's squared norm so that layers of different widths and the two
style methods weigh alike:

* `energy` style: ||e(x) - e(s)||^2 / ||e(s)||^2, with e the per-filter
  energies of `texture.energies` (the authors' purposeful optimisation). Its
  cost is one spatial mean per map: linear in the pixels, no C x C work per
  position.
* `gram` style: ||G(x) - G(s)||^2 / ||G(s)||^2 (Gatys et al.).
* content: ||phi(x) - phi(c)||^2 / ||phi(c)||^2 at one layer.

The style statistics and the content code are read from the loop's `targets`
dict under `style_key(layer)` and `content_key(layer)`, so that a new style or
content image does not retrace the compiled loop.
"""

import tensorflow as tf

from fmi_tf import errors
from fmi_tf import texture
from fmi_tf.optim import objectives

METHODS = ("energy", "gram")


def style_key(layer: str) -> str:
  """Returns the `targets` key of a layer's style statistic."""
  return f"style/{layer}"


def content_key(layer: str) -> str:
  """Returns the `targets` key of a layer's content code."""
  return f"content/{layer}"


def check_method(method: str) -> None:
  """Raises ArgumentError unless `method` is one of `METHODS`."""
  errors.check_choice("style method", method, METHODS)


def statistic(method: str, code: tf.Tensor, order: int = 1) -> tf.Tensor:
  """Returns a code's style statistic: energies [B, C] or Gram [B, C, C].

  Raises:
    ArgumentError: for an unknown method.
  """
  check_method(method)
  if method == "energy":
    return texture.energies(code, order)
  return texture.gram(code)


def style(layer: str, method: str, order: int = 1) -> objectives.Objective:
  """Distance of a layer's statistic to the style's, `targets[style_key]`.

  Args:
    layer: canonical layer name.
    method: `"energy"` or `"gram"`.
    order: energy order (1 or 2); ignored by `"gram"`.

  Returns:
    The objective, named `loss/style/<layer>`.

  Raises:
    ArgumentError: for an unknown method.
  """
  check_method(method)

  def distance(activations, images, targets):
    del images
    return objectives.relative_squared_distance(
        statistic(method, activations[layer], order),
        targets[style_key(layer)])

  return objectives.Objective.of(distance, f"loss/style/{layer}", [layer])


def content(layer: str) -> objectives.Objective:
  """Distance of a layer's code to the content's, `targets[content_key]`."""

  def distance(activations, images, targets):
    del images
    return objectives.relative_squared_distance(activations[layer],
                                     targets[content_key(layer)])

  return objectives.Objective.of(distance, f"loss/content/{layer}",
                                 [layer])

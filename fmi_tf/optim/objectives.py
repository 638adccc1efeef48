"""Objectives: immutable values mapping (activations, images, targets) to [B].

Sign convention: every objective is a loss to minimise. An objective returns
one value per batch element (elements are independent: batch normalisation
runs in inference mode), and is reduced to a scalar only where the gradient is taken.

Objectives combine without mutating their operands: `a + b`, `a - b`,
`k * a` and `-a` build new objectives. Each keeps its named terms, so that
`terms()` gives a `{name: Tensor[B]}` dict for TensorBoard.

Each term declares the layers it reads, and an objective reads the union of
its terms' (`layers`), so that whoever optimises it builds the one feature
model it needs. A user's own term is a function of (activations, images,
targets) with its name and layers:

  >>> from fmi_tf.optim import objectives
  >>> def brightness(activations, images, targets):
  ...   return -tf.reduce_mean(images, axis=[1, 2, 3])
  >>> bright = objectives.Objective.of(brightness, "loss/brightness")
  >>> prior = 0.1 * bright + 0.5 * objectives.total_variation()

`activations` is a feature model's output dict; `images` the [B, H, W, 3] RGB
images being optimised; `targets` a dict of per-layer targets that vary from
call to call (passed as arguments so that compiled loops are not retraced).
"""

import dataclasses
from typing import Callable, Mapping, Sequence

import tensorflow as tf

TermFn = Callable[[Mapping[str, tf.Tensor], tf.Tensor, Mapping], tf.Tensor]


@dataclasses.dataclass(frozen=True)
class Term:
  """One named loss term, its weight and the layers it reads."""
  weight: float
  name: str
  fn: TermFn
  layers: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Objective:
  """A weighted sum of named per-example loss terms."""
  parts: tuple[Term, ...]

  @classmethod
  def of(cls, fn: TermFn, name: str,
         layers: Sequence[str] = ()) -> "Objective":
    """Returns the objective made of one term of weight 1.

    Args:
      fn: (activations, images, targets) -> [B] losses.
      name: the term's name, e.g. `loss/style/block1_conv1`.
      layers: the layers whose activations `fn` reads.
    """
    return cls((Term(1.0, name, fn, tuple(layers)),))

  @property
  def layers(self) -> tuple[str, ...]:
    """The layers the terms read, each once, in order of first use."""
    return tuple(dict.fromkeys(
        layer for term in self.parts for layer in term.layers))

  def terms(self, activations, images, targets) -> dict[str, tf.Tensor]:
    """Returns each weighted term, [B] per name."""
    return {term.name: term.weight * term.fn(activations, images, targets)
            for term in self.parts}

  def __call__(self, activations, images, targets) -> tf.Tensor:
    return tf.add_n(list(self.terms(activations, images, targets).values()))

  def __add__(self, other: "Objective") -> "Objective":
    return Objective(self.parts + other.parts)

  def __mul__(self, factor: float) -> "Objective":
    return Objective(tuple(
        dataclasses.replace(term, weight=factor * term.weight)
        for term in self.parts))

  __rmul__ = __mul__

  def __neg__(self) -> "Objective":
    return -1.0 * self

  def __sub__(self, other: "Objective") -> "Objective":
    return self + (-other)

  def __repr__(self) -> str:
    return " + ".join(f"{term.weight:g}*{term.name}" for term in self.parts)


def relative_squared_distance(value: tf.Tensor,
                              target: tf.Tensor) -> tf.Tensor:
  """Returns ||value - target||^2 / ||target||^2 per batch element: [B]."""
  axes = list(range(1, len(target.shape)))
  numerator = tf.reduce_sum(tf.square(value - target), axis=axes)
  return numerator / tf.maximum(tf.reduce_sum(tf.square(target), axis=axes),
                                1e-12)


def code_distance(layer: str) -> Objective:
  """Normalised squared distance to a dense target code `targets[layer]`.

  ||phi(x) - T||^2 / ||T||^2 per batch element, T of shape [B, H, W, C].
  """

  def distance(activations, images, targets):
    del images
    return relative_squared_distance(activations[layer], targets[layer])

  return Objective.of(distance, f"loss/code/{layer}", [layer])


def total_variation() -> Objective:
  """Mean squared difference between neighbouring pixels, per image."""

  def variation(activations, images, targets):
    del activations, targets
    dy = images[:, 1:, :-1, :] - images[:, :-1, :-1, :]
    dx = images[:, :-1, 1:, :] - images[:, :-1, :-1, :]
    return tf.reduce_mean(tf.square(dx) + tf.square(dy), axis=[1, 2, 3])

  return Objective.of(variation, "loss/tv")


def l2() -> Objective:
  """Mean squared distance of the pixels from mid-grey, per image."""

  def norm(activations, images, targets):
    del activations, targets
    return tf.reduce_mean(tf.square(images - 0.5), axis=[1, 2, 3])

  return Objective.of(norm, "loss/l2")

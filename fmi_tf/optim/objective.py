"""The objective value: a weighted sum of named per-example loss terms.

Sign convention: every objective is a loss to minimise. An objective returns
one value per batch element, and is reduced to a scalar only where the
gradient is taken. Objectives combine without mutating their operands:
`a + b`, `a - b`, `k * a`, `a / k`, `-a` and `sum([a, b, c])` build new
objectives whose value is the weighted sum of their parts, so `a + a` is
`2 * a` and `a - a` is zero. `terms()` gives a `{name: Tensor[B]}` dict for
TensorBoard, the parts that share a name summed into one entry.

Each term declares the layers it reads, and an objective reads the union of
its terms' (`layers`), so that whoever optimises it builds the one feature
model it needs. A term may also declare:

* `elements`: the number of batch elements it is defined for, when it has
  one target per element (`channel(layer, [3, 7, 9])`); it reads its own
  element's target through `element_index`, so that a loop that narrows its
  batch to the elements still running keeps each element's target;
* `couples_batch`: its value for one element depends on the other elements
  (diversity, alignment), so the batch must run as a whole;
* `check`: a function of the network, the layers' map shapes and the batch
  size that raises an `FmiError` when the term cannot be evaluated on them
  (a channel out of range, a direction of the wrong length);
* `references`: images whose codes the renderer computes and passes in
  `targets[reference.key]`.

`activations` is a feature model's output dict; `images` the [B, H, W, 3] RGB
images being optimised; `targets` a dict of per-call values (passed as
arguments so that compiled loops are not retraced).
"""

import dataclasses
import hashlib
import numbers
from typing import Any, Callable, Mapping, Optional, Sequence

import numpy as np
import tensorflow as tf

from fmi_tf import errors

TermFn = Callable[[Mapping[str, tf.Tensor], tf.Tensor, Mapping], tf.Tensor]
# (network, {layer: (height, width, channels)}, batch size) -> None, or
# raises FmiError.
CheckFn = Callable[[Any, Mapping[str, tuple[int, int, int]], int], None]

# The targets entry holding each batch element's index in the whole batch.
ELEMENT = "element"


@dataclasses.dataclass(frozen=True, eq=False)
class Reference:
  """An image whose code at `layer` a term compares against.

  Attributes:
    layer: the layer whose code is compared.
    image: a path, an [H, W, 3] array in [0, 1], a Pillow image, or None
      for the embedded photo; the renderer reads it at the render size.
  """
  layer: str
  image: Any

  @property
  def key(self) -> str:
    """The targets entry that holds the reference code."""
    if isinstance(self.image, np.ndarray):
      data = np.ascontiguousarray(self.image).tobytes()
    elif hasattr(self.image, "tobytes"):
      data = self.image.tobytes()
    else:
      data = repr(self.image).encode("utf-8")
    digest = hashlib.sha256(data).hexdigest()[:16]
    return f"reference/{self.layer}/{digest}"


@dataclasses.dataclass(frozen=True)
class Term:
  """One named loss term, its weight and what it needs (module docstring)."""
  weight: float
  name: str
  fn: TermFn
  layers: tuple[str, ...] = ()
  elements: Optional[int] = None
  couples_batch: bool = False
  check: Optional[CheckFn] = None
  references: tuple[Reference, ...] = ()


@dataclasses.dataclass(frozen=True)
class Objective:
  """A weighted sum of named per-example loss terms."""
  parts: tuple[Term, ...]

  @classmethod
  def of(cls, fn: TermFn, name: str, layers: Sequence[str] = (),
         **needs) -> "Objective":
    """Returns the objective made of one term of weight 1.

    Examples:
      >>> def brightness(activations, images, targets):
      ...   return -tf.reduce_mean(images, axis=[1, 2, 3])
      >>> bright = Objective.of(brightness, "loss/brightness")

    Args:
      fn: (activations, images, targets) -> [B] losses.
      name: the term's name, e.g. `loss/style/block1_conv1`.
      layers: the layers whose activations `fn` reads.
      **needs: `elements`, `couples_batch`, `check`, `references` of
        `Term`.
    """
    return cls((Term(1.0, name, fn, tuple(layers), **needs),))

  @property
  def layers(self) -> tuple[str, ...]:
    """The layers the terms read, each once, in order of first use."""
    return tuple(dict.fromkeys(
        layer for term in self.parts for layer in term.layers))

  @property
  def elements(self) -> Optional[int]:
    """The batch size the terms' per-element targets fix, or None."""
    sizes = {term.elements for term in self.parts} - {None}
    return sizes.pop() if sizes else None

  @property
  def couples_batch(self) -> bool:
    """Whether an element's value depends on the other elements."""
    return any(term.couples_batch for term in self.parts)

  @property
  def references(self) -> tuple[Reference, ...]:
    """The reference images whose codes the terms read."""
    return tuple(reference for term in self.parts
                 for reference in term.references)

  def check(self, network, shapes: Mapping[str, tuple[int, int, int]],
            batch: int) -> None:
    """Raises FmiError if a term cannot be evaluated on `network`.

    Args:
      network: the backbone the objective is optimised on.
      shapes: (height, width, channels) of each layer of `layers`.
      batch: the number of images optimised together.
    """
    for term in self.parts:
      if term.check is not None:
        term.check(network, shapes, batch)

  def terms(self, activations, images, targets) -> dict[str, tf.Tensor]:
    """Returns each weighted term, [B] per name (equal names summed)."""
    values = {}
    for term in self.parts:
      value = term.weight * term.fn(activations, images, targets)
      values[term.name] = (values[term.name] + value if term.name in values
                           else value)
    return values

  def __call__(self, activations, images, targets) -> tf.Tensor:
    if not self.parts:
      return tf.zeros(tf.shape(images)[:1])
    return tf.add_n([term.weight * term.fn(activations, images, targets)
                     for term in self.parts])

  def __add__(self, other) -> "Objective":
    if not isinstance(other, Objective):
      return NotImplemented
    sizes = {self.elements, other.elements} - {None}
    if len(sizes) > 1:
      raise errors.ArgumentError(
          "cannot add objectives defined for "
          f"{' and '.join(map(str, sorted(sizes)))} images: give every "
          "per-image term one target per image")
    return Objective(self.parts + other.parts)

  def __radd__(self, other) -> "Objective":
    # sum() starts from 0.
    if isinstance(other, numbers.Number) and other == 0:
      return self
    return NotImplemented

  def __mul__(self, factor) -> "Objective":
    if not isinstance(factor, numbers.Real) or isinstance(factor, bool):
      return NotImplemented
    return Objective(tuple(
        dataclasses.replace(term, weight=float(factor) * term.weight)
        for term in self.parts))

  __rmul__ = __mul__

  def __truediv__(self, divisor) -> "Objective":
    if not isinstance(divisor, numbers.Real) or isinstance(divisor, bool):
      return NotImplemented
    return self * (1.0 / divisor)

  def __neg__(self) -> "Objective":
    return -1.0 * self

  def __sub__(self, other) -> "Objective":
    if not isinstance(other, Objective):
      return NotImplemented
    return self + (-other)

  def __repr__(self) -> str:
    if not self.parts:
      return "0"
    return " + ".join(f"{term.weight:g}*{term.name}" for term in self.parts)


def element_index(targets: Mapping, batch: tf.Tensor) -> tf.Tensor:
  """Each element's index in the whole batch: [B] int32.

  The loop passes it in `targets[ELEMENT]` (narrowed with its batch); a
  direct call without it gets `0 .. B - 1`.

  Args:
    targets: the targets of the call.
    batch: the current batch size.
  """
  if ELEMENT in targets:
    return tf.cast(targets[ELEMENT], tf.int32)
  return tf.range(batch)


def per_element(values: np.ndarray, targets: Mapping,
                batch: tf.Tensor) -> tf.Tensor:
  """`values[i]` for each element i of the batch (one value: for all).

  Args:
    values: [N, ...] one row per element of the whole batch, or [1, ...].
    targets: the targets of the call (for `element_index`).
    batch: the current batch size.
  """
  constant = tf.constant(values)
  if values.shape[0] == 1:
    return tf.repeat(constant, batch, axis=0)
  return tf.gather(constant, element_index(targets, batch))

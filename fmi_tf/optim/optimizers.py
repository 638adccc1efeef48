"""Per-image gradient steps: Adam (the default), SGD, or a user's own.

The loop keeps one step count per image, so an image that stops leaves the
batch while the others go on and its result never depends on its batch: an
optimiser here is written in tensor operations over [B, ...] parameters,
with [B] step counts and rates, rather than taken from `keras.optimizers`
(whose step count is one per variable). A user's own is any object with the
two methods of `Optimizer`.

Examples:
  >>> from fmi_tf.optim import optimizers
  >>> fmi_tf.render(net, "block4_conv1:7",
  ...               optimizer=optimizers.SGD(momentum=0.9),
  ...               learning_rate=0.5)
"""

import dataclasses
from typing import Protocol

import tensorflow as tf

from fmi_tf import errors


class Optimizer(Protocol):
  """How a gradient becomes a step, per image."""

  def slots(self, parameters: tf.Tensor) -> tuple[tf.Tensor, ...]:
    """Returns the optimiser's starting state, tensors shaped as `parameters`
    (or with the same leading batch dimension)."""

  def update(self, gradient: tf.Tensor, slots: tuple[tf.Tensor, ...],
             steps: tf.Tensor, rate: tf.Tensor
             ) -> tuple[tf.Tensor, tuple[tf.Tensor, ...]]:
    """Returns the step to subtract from the parameters, and the new state.

    Args:
      gradient: the loss's gradient, [B, ...] as the parameters.
      slots: the state `slots` (or the last `update`) returned.
      steps: [B] float32, each image's step number (1 for its first).
      rate: [B] float32, each image's learning rate at this step.
    """


def per_image(values: tf.Tensor, like: tf.Tensor) -> tf.Tensor:
  """Reshapes [B] values to broadcast against `like` [B, ...]."""
  return tf.reshape(values, [-1] + [1] * (len(like.shape) - 1))


@dataclasses.dataclass(frozen=True)
class Adam:
  """Adam (Kingma & Ba) with bias correction per image.

  Attributes:
    beta_1: decay of the gradient's running mean.
    beta_2: decay of the squared gradient's running mean.
    epsilon: floor of the gradient's running RMS.
  """
  beta_1: float = 0.9
  beta_2: float = 0.999
  epsilon: float = 1e-8

  def __post_init__(self):
    for what, beta in (("beta_1", self.beta_1), ("beta_2", self.beta_2)):
      if not 0 <= beta < 1:
        raise errors.ArgumentError(f"{what} must be in [0, 1), not {beta}")
    errors.check_non_negative("epsilon", self.epsilon)
    if not self.epsilon > 0:
      raise errors.ArgumentError(
          f"epsilon must be positive, not {self.epsilon}")

  def slots(self, parameters):
    return tf.zeros_like(parameters), tf.zeros_like(parameters)

  def update(self, gradient, slots, steps, rate):
    m, v = slots
    m = self.beta_1 * m + (1.0 - self.beta_1) * gradient
    v = self.beta_2 * v + (1.0 - self.beta_2) * tf.square(gradient)
    m_hat = m / per_image(1.0 - tf.pow(self.beta_1, steps), m)
    v_hat = v / per_image(1.0 - tf.pow(self.beta_2, steps), v)
    return per_image(rate, m) * m_hat / (tf.sqrt(v_hat) + self.epsilon), (m, v)


@dataclasses.dataclass(frozen=True)
class SGD:
  """Gradient descent, with optional (heavy-ball) momentum.

  Attributes:
    momentum: the fraction of the last step carried into the next.
  """
  momentum: float = 0.0

  def __post_init__(self):
    if not 0 <= self.momentum < 1:
      raise errors.ArgumentError(
          f"momentum must be in [0, 1), not {self.momentum}")

  def slots(self, parameters):
    return (tf.zeros_like(parameters),)

  def update(self, gradient, slots, steps, rate):
    del steps
    velocity = self.momentum * slots[0] + per_image(rate, gradient) * gradient
    return velocity, (velocity,)


def check(optimizer) -> None:
  """Raises ArgumentError unless `optimizer` has `slots` and `update`."""
  if not (callable(getattr(optimizer, "slots", None))
          and callable(getattr(optimizer, "update", None))):
    raise errors.ArgumentError(
        "an optimizer must have slots(parameters) and update(gradient, "
        f"slots, steps, rate) (see fmi_tf.optim.optimizers), not "
        f"{optimizer!r}")

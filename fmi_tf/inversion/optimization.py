"""The compiled gradient loop that inverts codes back to images.

`Minimizer` runs many optimisation steps per `tf.function` call (`tf.range`),
on a batch of independent images in [0, 1]. Adam is written out in tensor
operations rather than taken from `keras.optimizers`: every batch element has
its own step count and moments, so an element that has converged leaves the
batch while the others go on, and an element's result never depends on which
other elements share its batch. After each update the image is clipped to [0, 1]
(projected gradient descent), which keeps the pixel values' meaning plain.

Early stopping: after every call of `steps_per_call` steps, an element whose
loss fell by less than `tolerance` (relative) since the previous call stops.
"""

import dataclasses
import math
from typing import Callable, Mapping, NamedTuple, Optional, Sequence

import keras
import numpy as np
import tensorflow as tf

from fmi_tf import errors
from fmi_tf.inversion import objectives

SCHEDULES = ("cosine", "constant")
_BETA_1 = 0.9
_BETA_2 = 0.999
_EPSILON = 1e-8


@dataclasses.dataclass(frozen=True)
class OptimizerConfig:
  """How the loop optimises; defaults chosen in benchmarks/optimizers.py.

  Attributes:
    steps: the most steps any image takes.
    learning_rate: Adam's peak step size, in pixel units of [0, 1].
    schedule: `"cosine"` decay to zero at `steps`, or `"constant"`.
    steps_per_call: steps per compiled call; progress, summaries and the
      early-stop test happen between calls.
    tolerance: an image stops once its loss falls by less than this fraction
      over one call; 0 never stops early.
  """
  steps: int = 100
  learning_rate: float = 0.1
  schedule: str = "cosine"
  steps_per_call: int = 25
  tolerance: float = 0.003

  def __post_init__(self):
    if self.steps < 1:
      raise errors.ArgumentError(f"steps must be at least 1, not {self.steps}")
    if not self.learning_rate > 0 or not math.isfinite(self.learning_rate):
      raise errors.ArgumentError(
          f"learning rate must be positive, not {self.learning_rate}")
    if self.schedule not in SCHEDULES:
      raise errors.ArgumentError(
          f"schedule must be one of {', '.join(SCHEDULES)}, "
          f"not {self.schedule!r}")
    if self.steps_per_call < 1:
      raise errors.ArgumentError(
          f"steps per call must be at least 1, not {self.steps_per_call}")
    if not 0 <= self.tolerance < 1:
      raise errors.ArgumentError(
          f"tolerance must be in [0, 1), not {self.tolerance}")


class MinimizeResult(NamedTuple):
  """Outcome of `Minimizer.minimize`.

  Attributes:
    images: [B, H, W, 3] float32 in [0, 1].
    losses: [B] final loss of each image.
    steps: [B] steps each image took.
  """
  images: np.ndarray
  losses: np.ndarray
  steps: np.ndarray


class _State(NamedTuple):
  images: tf.Tensor
  first_moment: tf.Tensor
  second_moment: tf.Tensor
  steps: tf.Tensor


# Called between compiled calls with (steps taken, images, per-image losses).
ProgressFn = Callable[[int, np.ndarray, np.ndarray], None]


class Minimizer:
  """Minimises an objective over a batch of images with a compiled loop."""

  def __init__(self, features: keras.Model, objective: objectives.Objective,
               config: OptimizerConfig = OptimizerConfig()):
    """Builds the loop.

    Args:
      features: feature model, RGB [0, 1] images -> {layer: activations}.
      objective: the per-image loss to minimise.
      config: optimisation settings.
    """
    self._features = features
    self._objective = objective
    self._config = config
    self._run_steps = tf.function(self._steps, reduce_retracing=True)
    self._evaluate = tf.function(self._loss, reduce_retracing=True)

  def _loss(self, images, targets):
    return self._objective(self._features(images), images, targets)

  def _learning_rate(self, steps):
    config = self._config
    if config.schedule == "constant":
      return tf.fill(tf.shape(steps), config.learning_rate)
    progress = tf.minimum(steps / config.steps, 1.0)
    return config.learning_rate * 0.5 * (1.0 + tf.cos(math.pi * progress))

  def _steps(self, state: _State, targets, num_steps):
    images, m, v, steps = state
    for _ in tf.range(num_steps):
      with tf.GradientTape() as tape:
        tape.watch(images)
        step_loss = self._loss(images, targets)
      gradient = tape.gradient(step_loss, images)
      steps = steps + 1.0
      m = _BETA_1 * m + (1.0 - _BETA_1) * gradient
      v = _BETA_2 * v + (1.0 - _BETA_2) * tf.square(gradient)
      m_hat = m / (1.0 - tf.pow(_BETA_1, steps))[:, None, None, None]
      v_hat = v / (1.0 - tf.pow(_BETA_2, steps))[:, None, None, None]
      rate = self._learning_rate(steps)[:, None, None, None]
      images = tf.clip_by_value(
          images - rate * m_hat / (tf.sqrt(v_hat) + _EPSILON), 0.0, 1.0)
    return _State(images, m, v, steps)

  def minimize(self, initial_images, targets: Mapping,
               on_progress: Optional[ProgressFn] = None) -> MinimizeResult:
    """Runs the loop until every image has converged or taken `steps` steps.

    Only the images still running are computed: after each call, the batch is
    narrowed to them (a gather), so stopped images cost nothing.

    Args:
      initial_images: [B, H, W, 3] float32 in [0, 1].
      targets: per-layer targets for the objective (see `objectives`). Each
        tensor whose leading dimension is B is narrowed with the batch; others
        (such as a [1, H, W, C] code shared by all images) are kept whole.
      on_progress: called between compiled calls.

    Returns:
      The optimised images, their final losses and step counts.
    """
    config = self._config
    images = tf.clip_by_value(tf.convert_to_tensor(initial_images, tf.float32),
                              0.0, 1.0)
    batch = images.shape[0]
    state = _State(images, tf.zeros_like(images), tf.zeros_like(images),
                   tf.zeros([batch]))
    losses = self._evaluate(images, targets).numpy()
    running = np.arange(batch)
    done = 0
    while done < config.steps and running.size:
      count = min(config.steps_per_call, config.steps - done)
      narrowed = _narrow(targets, running, batch)
      advanced = self._run_steps(_gather(state, running), narrowed,
                                 tf.constant(count))
      state = _scatter(state, running, advanced)
      done += count
      previous = losses[running]
      losses[running] = self._evaluate(advanced.images, narrowed).numpy()
      if config.tolerance > 0:
        improvement = ((previous - losses[running])
                       / np.maximum(np.abs(previous), 1e-12))
        running = running[improvement >= config.tolerance]
      if on_progress is not None:
        on_progress(done, state.images.numpy(), losses.copy())
    return MinimizeResult(state.images.numpy(), losses,
                          state.steps.numpy().astype(np.int64))


def grey_noise_images(shape, seeds: Sequence[tuple[int, int]],
                      noise_std: float) -> tf.Tensor:
  """Mid-grey images plus seeded Gaussian noise, clipped to [0, 1].

  Args:
    shape: [H, W, 3] of each image.
    seeds: one stateless seed pair per image; an image depends on its pair
      only, never on the other images.
    noise_std: standard deviation of the noise.

  Returns:
    [len(seeds), H, W, 3] float32 images.
  """
  noise = tf.stack([tf.random.stateless_normal(shape, seed=list(seed))
                    for seed in seeds])
  return tf.clip_by_value(0.5 + noise_std * noise, 0.0, 1.0)


def _gather(state: _State, indices) -> _State:
  return _State(*(tf.gather(t, indices) for t in state))


def _scatter(state: _State, indices, part: _State) -> _State:
  rows = tf.constant(indices[:, None])
  return _State(*(tf.tensor_scatter_nd_update(whole, rows, new)
                  for whole, new in zip(state, part)))


def _narrow(targets, indices, batch: int):
  """Keeps the rows `indices` of every target tensor batched like the images."""
  if len(indices) == batch:
    return targets
  return tf.nest.map_structure(
      lambda t: tf.gather(t, indices) if t.shape[0] == batch else t, targets)

"""The compiled gradient loop that inverts codes back to images.

`Minimizer` runs many optimisation steps per `tf.function` call (a
`tf.while_loop`), then evaluates the loss and the progress measure of the
result in the same call, on a batch of images in [0, 1], expressed through a
`parameterization` (the pixels, clipped to [0, 1] after each step, or a
coloured spectrum seen through small random transforms). The step is Adam by
default, or any per-image optimiser of `optimizers`: every batch element has
its own step count and optimiser state, so an element that has converged
leaves the batch while the others go on, and an element's result never
depends on which other elements share its batch. An objective that couples
the batch (`Objective.couples_batch`: diversity, alignment) runs and stops
as a whole instead: every element goes on until all of them have stopped.
The loop also sums the magnitude of each image's gradient over its steps
(`MinimizeResult.attribution`): where the objective kept pulling.

When an image stops early, and what a non-finite value does: `stopping`.
"""

import functools
import math
from typing import Callable, Mapping, NamedTuple, Optional, Sequence

import keras
import numpy as np
import tensorflow as tf

from fmi_tf.nets import feature_model
from fmi_tf.optim import batch_rows
from fmi_tf.optim import objective as objective_lib
from fmi_tf.optim import optimization
from fmi_tf.optim import parameterization
from fmi_tf.optim import stopping


class MinimizeResult(NamedTuple):
  """Outcome of `Minimizer.minimize`.

  Attributes:
    images: [B, H, W, 3] float32 in [0, 1].
    losses: [B] final loss of each image.
    steps: [B] steps each image took.
    measures: [B] final progress measure of each image (zeros without one).
    attribution: [B, H, W] the magnitude of the loss's gradient with respect
      to each pixel of the image, summed over its steps and colours.
  """
  images: np.ndarray
  losses: np.ndarray
  steps: np.ndarray
  measures: np.ndarray
  attribution: np.ndarray


class _State(NamedTuple):
  parameters: tf.Tensor
  slots: tuple
  steps: tf.Tensor
  seeds: tf.Tensor
  attribution: tf.Tensor


class _Loop(NamedTuple):
  param: parameterization.Parameterization
  advance: Callable


# Called between compiled calls with (steps taken, images, per-image losses).
ProgressFn = Callable[[int, np.ndarray, np.ndarray], None]

# A per-image measure of progress that rises as the image improves, from
# (activations, targets): [B].
MeasureFn = Callable[[Mapping[str, tf.Tensor], Mapping], tf.Tensor]


class Minimizer:
  """Minimises an objective over a batch of images with a compiled loop.

  The engine under `fmi_tf.render`, `fmi_tf.invert` and style transfer, for
  a user who drives the loop directly: targets that change from call to call
  without retracing, a progress measure for early stopping, their own
  feature model.

  Examples:
    >>> minimizer = fmi_tf.Minimizer.for_objective(
    ...     net, objectives.code_distance("block2_conv1"))
    >>> code = minimizer.features(photo[None])["block2_conv1"]
    >>> result = minimizer.minimize(noise, {"block2_conv1": code})
    >>> result.images.shape, result.losses
  """

  def __init__(self, features: keras.Model,
               objective: objective_lib.Objective,
               config: optimization.OptimizerConfig = (
                   optimization.OptimizerConfig()),
               measure: Optional[MeasureFn] = None):
    """Builds the loop.

    Args:
      features: feature model, RGB [0, 1] images -> {layer: activations},
        with every layer the objective (and the measure) reads.
      objective: the per-image loss to minimise.
      config: optimisation settings.
      measure: a per-image progress measure that early stopping also
        judges (see `stopping`); None judges the loss only.
    """
    self.features = features
    self._objective = objective
    self._config = config
    self._measure = measure
    self._loops = {}

  @classmethod
  def for_objective(cls, backbone: feature_model.Backbone,
                    objective: objective_lib.Objective,
                    config: optimization.OptimizerConfig = (
                        optimization.OptimizerConfig()),
                    measure: Optional[MeasureFn] = None,
                    **feature_options) -> "Minimizer":
    """Builds the feature model of the layers `objective` reads, and the loop.

    Args:
      backbone: the network.
      objective: the per-image loss; its `layers` are the feature model's.
      config: optimisation settings.
      measure: as for the constructor; it may read only the objective's
        layers.
      **feature_options: `pooling`, `relu_gradient`, `precision` of
        `feature_model.feature_model`.

    Raises:
      ArgumentError: if the objective reads no layer.
    """
    return cls(feature_model.feature_model(backbone, objective.layers,
                                           **feature_options),
               objective, config, measure)

  def prepare(self, height: int, width: int) -> None:
    """Builds the parameterisation and loop of [height, width] images now,
    so that a bad parameterisation is refused before a long run starts.

    Raises:
      FmiError: as the parameterisation's factory raises it.
    """
    self._loop(height, width)

  def _loop(self, height: int, width: int) -> "_Loop":
    """The parameterisation and compiled function of one image size."""
    if (height, width) not in self._loops:
      param = parameterization.make(self._config.param, height, width)
      # Written without Python control flow on tensors, so tracing skips
      # AutoGraph's conversion, which would double the time to compile.
      self._loops[height, width] = _Loop(
          param, tf.function(functools.partial(self._advance, param),
                             autograph=False))
    return self._loops[height, width]

  def _advance(self, param: parameterization.Parameterization,
               state: _State, targets, num_steps):
    """Takes `num_steps` steps; returns the new state, losses and measures."""
    state = self._steps(param, state, targets, num_steps)
    return (state, *self._loss_and_measure(param, state.parameters, targets))

  def _loss(self, images, targets):
    return self._objective(self.features(images), images, targets)

  def _loss_and_measure(self, param: parameterization.Parameterization,
                        parameters, targets):
    images = param.to_images(parameters)
    activations = self.features(images)
    loss = self._objective(activations, images, targets)
    if self._measure is None:
      return loss, tf.zeros_like(loss)
    return loss, self._measure(activations, targets)

  def _learning_rate(self, steps):
    """The rate of each element's step number `steps` (1 for the first)."""
    config = self._config
    warmup = float(config.warmup_steps)
    rising = tf.minimum(steps / max(warmup, 1.0), 1.0)
    if config.schedule == "constant":
      return config.learning_rate * rising
    progress = tf.clip_by_value(
        (steps - warmup) / (config.steps - warmup), 0.0, 1.0)
    return (config.learning_rate * rising * 0.5
            * (1.0 + tf.cos(math.pi * progress)))

  def _steps(self, param: parameterization.Parameterization, state: _State,
             targets, num_steps):
    rule = self._config.step_rule

    def step(parameters, slots, steps, seeds, attribution):
      with tf.GradientTape() as tape:
        tape.watch(parameters)
        images = param.to_images(parameters)
        step_loss = self._loss(param.transform(images, seeds, steps), targets)
      gradient, image_gradient = tape.gradient(step_loss,
                                               [parameters, images])
      steps = steps + 1.0
      delta, slots = rule.update(gradient, slots, steps,
                                 self._learning_rate(steps))
      attribution += tf.reduce_sum(tf.abs(image_gradient), axis=-1)
      return _State(param.project(parameters - delta), tuple(slots), steps,
                    seeds, attribution)

    return _State(*tf.while_loop(lambda *_: True, step, tuple(state),
                                 maximum_iterations=num_steps))

  def minimize(self, initial_images, targets: Mapping,
               on_progress: Optional[ProgressFn] = None,
               seeds: Optional[Sequence[tuple[int, int]]] = None,
               measure_floors: Optional[Sequence[float]] = None
               ) -> MinimizeResult:
    """Runs the loop until every image has converged or taken `steps` steps.

    Only the images still running are computed: after each call, the batch is
    narrowed to them (a gather), padded to a power of two with stopped images
    whose results are discarded, so that the loop compiles for few shapes.

    Args:
      initial_images: [B, H, W, 3] float32 in [0, 1].
      targets: per-layer targets for the objective (see `objectives`). Each
        tensor whose leading dimension is B is narrowed with the batch; others
        (such as a [1, H, W, C] code shared by all images) are kept whole.
        Each image's index in the batch is added as
        `targets[objective.ELEMENT]` unless given (a chunk of a longer run
        gives its images' indices in the run).
      on_progress: called between compiled calls.
      seeds: one stateless seed pair per image for the random transforms of
        the parameterisation; default (0, 0), (0, 1), ..., (0, B - 1). An
        image's result depends on its own pair only.
      measure_floors: [B] the measure each image must pass before it may
        stop early; default zeros.

    Returns:
      The optimised images, their final losses, step counts and measures.
    """
    config = self._config
    images = tf.convert_to_tensor(initial_images, tf.float32)
    batch, height, width = images.shape[:3]
    loop = self._loop(height, width)
    parameters = loop.param.to_parameters(images)
    if seeds is None:
      seeds = [(0, b) for b in range(batch)]
    state = _State(parameters, tuple(config.step_rule.slots(parameters)),
                   tf.zeros([batch]), tf.constant(seeds, tf.int32),
                   tf.zeros([batch, height, width]))
    targets = tf.nest.map_structure(
        tf.convert_to_tensor,
        {objective_lib.ELEMENT: np.arange(batch, dtype=np.int32), **targets})
    _, losses, measures = loop.advance(state, targets, tf.constant(0))
    losses, measures = losses.numpy(), measures.numpy()
    stopping.check_finite(losses, "the starting images' loss")
    floors = (np.zeros(batch) if measure_floors is None
              else np.asarray(measure_floors, np.float64))
    running = np.arange(batch)
    stalls = np.zeros(batch, np.int64)
    done = 0
    coupled = self._objective.couples_batch
    while done < config.steps and running.size:
      count = min(config.steps_per_call, config.steps - done)
      rows = batch_rows.rows_to_compute(running, batch)
      advanced, new_losses, new_measures = loop.advance(
          batch_rows.gather(state, rows),
          batch_rows.narrow(targets, rows, batch), tf.constant(count))
      kept = np.flatnonzero(np.isin(rows, running))
      stopping.check_finite(advanced.parameters.numpy(),
                    f"the images after {done + count} steps")
      state = batch_rows.scatter(state, running,
                                 batch_rows.gather(advanced, kept))
      done += count
      previous, previous_measures = losses[running], measures[running]
      losses[running] = new_losses.numpy()[kept]
      measures[running] = new_measures.numpy()[kept]
      stopping.check_finite(losses, f"the loss after {done} steps")
      if config.tolerance > 0:
        stalled = stopping.stalled(
            previous, losses[running], config.tolerance,
            None if self._measure is None else previous_measures,
            measures[running], floors[running])
        stalls[running] = np.where(stalled, stalls[running] + 1, 0)
        still = stalls[running] < config.patience
        # A coupled batch goes on whole while any of its images does.
        running = running[np.full_like(still, still.any()) if coupled
                          else still]
      if on_progress is not None:
        on_progress(done, _images(loop, state), losses.copy())
    result = _images(loop, state)
    stopping.check_finite(result, "the resulting images")
    return MinimizeResult(result, losses,
                          state.steps.numpy().astype(np.int64), measures,
                          state.attribution.numpy())


def _images(loop: _Loop, state: _State) -> np.ndarray:
  return loop.param.to_images(state.parameters).numpy()
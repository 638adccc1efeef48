"""How the compiled loop optimises: the settings of `minimizer.Minimizer`.

`OptimizerConfig` holds the step rule (Adam, SGD or a user's optimiser), its
learning-rate schedule, the early-stopping tolerance and patience, and the
parameterisation of the images; `check_seed` bounds the seeds of the
stateless random ops.
"""

import dataclasses

from fmi_tf import errors
from fmi_tf import limits
from fmi_tf.optim import optimizers
from fmi_tf.optim import parameterization

SCHEDULES = ("cosine", "constant")
METHODS = ("adam", "sgd")
# Seeds are int32 in the stateless random ops.
MAX_SEED = limits.MAX_SEED


def check_seed(seed) -> None:
  """Raises ArgumentError unless `seed` is an integer in [0, MAX_SEED]."""
  limits.check_count("seed", seed, 0, MAX_SEED)


@dataclasses.dataclass(frozen=True)
class OptimizerConfig:
  """How the loop optimises; defaults chosen in benchmarks/optimizers.py.

  Attributes:
    steps: the most steps any image takes.
    learning_rate: Adam's peak step size, in pixel units of [0, 1].
    schedule: `"cosine"` decay to zero at `steps`, or `"constant"`.
    warmup_steps: steps over which the rate rises linearly to its peak
      before the schedule starts (the cosine then decays over the rest).
    method: `"adam"` (with `beta_1`, `beta_2`, `epsilon`), `"sgd"`, or a
      user's `optimizers.Optimizer`.
    beta_1: Adam's decay of the gradient's running mean.
    beta_2: Adam's decay of the squared gradient's running mean.
    epsilon: Adam's floor of the gradient's running RMS.
    steps_per_call: steps per compiled call; progress, summaries and the
      early-stop test happen between calls.
    tolerance: an image stalls in a call when its loss falls, and its
      progress measure (if any) rises, by less than this fraction over the
      call; 0 never stops early.
    patience: the calls in a row an image must stall before it stops.
    param: the parameterisation of the images: `"pixel"`, `"fourier"`, or a
      user's `parameterization.ParamFactory` (see `parameterization`).
  """
  steps: int = 100
  learning_rate: float = 0.1
  schedule: str = "cosine"
  warmup_steps: int = 0
  method: "str | optimizers.Optimizer" = "adam"
  beta_1: float = 0.9
  beta_2: float = 0.999
  epsilon: float = 1e-8
  steps_per_call: int = 5
  tolerance: float = 0.015
  patience: int = 3
  param: "str | parameterization.ParamFactory" = "pixel"

  def __post_init__(self):
    for field, low in (("steps", 1), ("warmup_steps", 0),
                       ("steps_per_call", 1), ("patience", 1)):
      object.__setattr__(self, field, limits.check_count(
          field, getattr(self, field), low, limits.MAX_STEPS))
    errors.check_non_negative("learning_rate", self.learning_rate)
    if not self.learning_rate > 0:
      raise errors.ArgumentError(
          f"learning_rate must be positive, not {self.learning_rate}")
    errors.check_choice("schedule", self.schedule, SCHEDULES)
    if not 0 <= self.warmup_steps < self.steps:
      raise errors.ArgumentError(
          f"warmup_steps must be in [0, steps), not {self.warmup_steps}")
    if isinstance(self.method, str):
      errors.check_choice("method", self.method, METHODS)
    else:
      optimizers.check(self.method)
    for what, beta in (("beta_1", self.beta_1), ("beta_2", self.beta_2)):
      errors.check_non_negative(what, beta)
      if not 0 <= beta < 1:
        raise errors.ArgumentError(f"{what} must be in [0, 1), not {beta}")
    errors.check_non_negative("epsilon", self.epsilon)
    errors.check_non_negative("tolerance", self.tolerance)
    if not self.epsilon > 0:
      raise errors.ArgumentError(
          f"epsilon must be positive, not {self.epsilon}")
    if not 0 <= self.tolerance < 1:
      raise errors.ArgumentError(
          f"tolerance must be in [0, 1), not {self.tolerance}")
    parameterization.check(self.param)

  @property
  def step_rule(self) -> optimizers.Optimizer:
    """The per-image optimiser `method` names."""
    if self.method == "adam":
      return optimizers.Adam(self.beta_1, self.beta_2, self.epsilon)
    if self.method == "sgd":
      return optimizers.SGD()
    return self.method

  @property
  def method_name(self) -> str:
    """The method for records: its name, or its class's name."""
    if isinstance(self.method, str):
      return self.method
    return f"custom:{type(self.method).__name__}"

"""When the compiled loop stops an image: early stopping and non-finite values.

Early stopping: after every call of `steps_per_call` steps, an element
stalls when its loss fell by less than `tolerance` (relative) since the
previous call and, if the loop was given a progress measure (such as the
enhanced filter's share of the layer's energy), that measure is positive and
rose by less than `tolerance` too; it stops once it has stalled in `patience`
calls in a row, so that one flat call of a noisy measure does not end it. An
element whose measure has not passed its floor never stops early: by
default the floor is zero (a map that has not fired yet); filter inversion
sets it to the filter's share in the photo's code, so that no filter stops
below the share it started from.

Non-finite values: a loss or an image that went NaN or infinite ends the
run with an `ArgumentError`; such a result is never returned as one.
"""

from typing import Optional

import numpy as np

from fmi_tf import errors


def stalled(previous: np.ndarray, losses: np.ndarray, tolerance: float,
            previous_measures: Optional[np.ndarray] = None,
            measures: Optional[np.ndarray] = None,
            floors: Optional[np.ndarray] = None) -> np.ndarray:
  """Which running elements stalled in the last call (module docstring).

  Args:
    previous: [N] each element's loss before the call.
    losses: [N] its loss after the call.
    tolerance: the relative change below which an element stalls.
    previous_measures: [N] its progress measure before the call, or None
      when the loop judges the loss only.
    measures: [N] its progress measure after the call.
    floors: [N] the measure each element must pass before it may stall.

  Returns:
    [N] booleans.
  """
  flat = ((previous - losses) / np.maximum(np.abs(previous), 1e-12)
          < tolerance)
  if previous_measures is None:
    return flat
  rise = ((measures - previous_measures)
          / np.maximum(np.abs(previous_measures), 1e-12))
  return flat & (measures > floors) & (rise < tolerance)


def check_finite(values: np.ndarray, what: str) -> None:
  """Raises ArgumentError if any value is NaN or infinite.

  Args:
    values: the losses or images to check.
    what: what they are, for the message (`"the loss after 10 steps"`).
  """
  if not np.all(np.isfinite(values)):
    raise errors.ArgumentError(
        f"{what} went non-finite (NaN or infinity): a weight, gain or "
        "learning rate is too large to compute with; lower it")

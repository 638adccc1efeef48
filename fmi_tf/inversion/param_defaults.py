"""The inversion settings each parameterisation brings unless told otherwise.

`pixel` brings none: its defaults are `InversionConfig()`'s own. `fourier`
brings a total-variation prior of weight 2 (`FOURIER`): without one, its
images keep much of their power above half the Nyquist frequency, a fine
grain over the texture; with it they are smooth structured textures at
nearly the same energy-share gains (on block2_conv1's filters 0-15 at
128 px, a high-frequency share of 0.028 instead of 0.395, where the photo
has 0.050, at a median gain of 3.34 instead of 3.42:
docs/results/pixel_fourier.md). A user's own parameterisation brings none.

`fmi_tf.invert`, `fmi_tf.draw_atlas`, `draw_atlas_beam`, `fmi-invert`,
`fmi-atlas` and `fmi-atlas-beam` fill these in for the settings the caller does not give, after choosing the
parameterisation (the caller's, else the network's: `network_defaults`).
A setting the caller gives always wins, a whole `InversionConfig` given
stands as it is, and every record carries the values used (`parameters`).

Examples:
  >>> param_defaults.fill({"param": "fourier"}, config_given=False)
  {'tv_weight': 2.0, 'param': 'fourier'}
  >>> param_defaults.fill({"param": "fourier", "tv_weight": 0.0},
  ...                     config_given=False)
  {'tv_weight': 0.0, 'param': 'fourier'}
"""

from typing import Any, Mapping

from fmi_tf.inversion import filters
from fmi_tf.optim import parameterization

FOURIER = {"tv_weight": 2.0}
_BY_PARAM = {"pixel": {}, "fourier": FOURIER}


def of(param: "str | parameterization.ParamFactory") -> dict[str, Any]:
  """The settings `param` brings: `InversionConfig` or `OptimizerConfig`
  field names, and their values; none for a user's own parameterisation."""
  if not isinstance(param, str):
    return {}
  return dict(_BY_PARAM.get(param, {}))


def fill(settings: Mapping[str, Any], config_given: bool) -> dict[str, Any]:
  """The keyword settings of a run, its parameterisation's where not given.

  Args:
    settings: the caller's keyword settings, with `param` already filled
      in by the network's defaults if the caller gave none (without
      `param`, `InversionConfig()`'s).
    config_given: whether the caller gave a whole config, which then stands
      with only the settings given.

  Returns:
    The settings to apply.
  """
  if config_given:
    return dict(settings)
  param = settings.get("param", filters.InversionConfig().optimizer.param)
  return {**of(param), **settings}

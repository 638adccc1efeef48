"""Keyword settings into frozen configs, as the Python API takes them.

`fmi_tf.invert(net, layer, steps=50, mode="gain")` names fields of
`InversionConfig` and of its `OptimizerConfig` alike; `apply` sorts them
into the right one and refuses a name that neither has.

Examples:
  >>> config = settings.apply(None, {"steps": 50, "alpha": 5.0},
  ...                         filters.InversionConfig())
  >>> config.optimizer.steps, config.alpha
  (50, 5.0)
"""

import dataclasses
from typing import Any, Mapping, Optional, TypeVar

from fmi_tf import errors

Config = TypeVar("Config")
_NESTED = "optimizer"


def apply(config: Optional[Config], settings: Mapping[str, Any],
          default: Config) -> Config:
  """Returns `config` with `settings` replaced, in it or in its optimizer.

  Args:
    config: the API's `config` argument: None, or a config of `default`'s
      class (a frozen dataclass, possibly with an `optimizer` config field).
    settings: field names and values.
    default: the config that None stands for.

  Raises:
    ArgumentError: for a config of another class, a name of no field, or a
      value the config refuses.
  """
  if config is None:
    config = default
  elif not isinstance(config, type(default)):
    raise errors.ArgumentError(
        f"config must be a {type(default).__name__} or None, not "
        f"{errors.shown(config)}")
  own = {field.name for field in dataclasses.fields(config)} - {_NESTED}
  nested = getattr(config, _NESTED, None)
  inner = ({field.name for field in dataclasses.fields(nested)}
           if nested is not None else set())
  unknown = sorted(set(settings) - own - inner)
  if unknown:
    raise errors.ArgumentError(
        f"unknown setting {unknown[0]!r}; valid settings: "
        f"{', '.join(sorted(own | inner))}")
  outer = {k: v for k, v in settings.items() if k in own}
  if nested is not None:
    nested_settings = {k: v for k, v in settings.items()
                       if k in inner and k not in own}
    if nested_settings:
      outer[_NESTED] = dataclasses.replace(nested, **nested_settings)
  return dataclasses.replace(config, **outer)

"""The settings of an inversion that the caller leaves unset, resolved here.

The rule, the same for `fmi_tf.invert`, `fmi_tf.draw_atlas`,
`draw_atlas_beam`, `fmi-invert`, `fmi-atlas` and `fmi-atlas-beam`, all of
which call `resolve`:

1. A setting is unset when it is None: the image's `size` and `square`, and
   the fields of `InversionConfig` whose default depends on the network or
   the parameterisation, `optimizer` (which holds the parameterisation) and
   `tv_weight`. A tool's flag not given is unset.
2. Keyword settings replace the config's fields (no config:
   `InversionConfig()`).
3. Every setting still unset is filled in from the network's defaults
   (`NETWORKS`: the parameterisation, size and shape), then from the
   parameterisation's (`PARAMS`: its total-variation prior).

So no config and `InversionConfig()` resolve alike, a value given (in a
keyword, a config or a flag: `tv_weight=0`, `param="pixel"`) always stands,
and every record carries the values used (`parameters`). A default changes
in `NETWORKS` or `PARAMS`, nowhere else.

The network's defaults: VGG, the paper's network, inverts well in pixel
space at 128 px. Every network's photo is cut to a central square: the
faithfulness measure judges square pictures, and the site shows them side by
side with square dataset examples (docs/faithfulness.md, "Defaults chosen by
the evidence"). The other keras.applications networks are deep stacks of
batch-normalised, often depthwise, convolutions that downsample 32 times; in
pixel space their deep layers give saturated noise (MobileNet's
`conv_pw_13_relu` at 128 px, with or without a total-variation prior). The
Fourier parameterisation (a 1/f spectrum of decorrelated colour, seen
through small random shifts and scalings) at 224 px, the input size they
were trained at, gives a picture at every layer with nothing else tuned
(docs/networks.md shows conv_pw_1 to conv_pw_13). A `.keras` model of the
user's takes VGG's defaults.

The parameterisation's defaults: `fourier` brings a total-variation prior of
weight 2: without one, its images keep much of their power above half the
Nyquist frequency, a fine grain over the texture; with it they are smooth
structured textures at nearly the same energy-share gains (on
block2_conv1's filters 0-15 at 128 px, a high-frequency share of 0.028
instead of 0.395, where the photo has 0.050, at a median gain of 3.34
instead of 3.42: docs/results/pixel_fourier.md). `pixel`, and a
user's own parameterisation, bring none.

Examples:
  >>> net = fmi_tf.network("mobilenet",
  ...                      weights="mobilenet_2_5_224_tf_no_top.h5")
  >>> config, size, square = defaults.resolve(net)
  >>> config.optimizer.param, config.tv_weight, size, square
  ('fourier', 2.0, 224, True)
  >>> defaults.resolve(net, tv_weight=0.0).config.tv_weight
  0.0
"""

import dataclasses
from typing import Any, NamedTuple, Optional

from fmi_tf import errors
from fmi_tf import limits
from fmi_tf.inversion import filters
from fmi_tf.nets import applications
from fmi_tf.nets import feature_model
from fmi_tf.optim import optimization
from fmi_tf.optim import parameterization
from fmi_tf.optim import settings as settings_lib


@dataclasses.dataclass(frozen=True)
class NetworkDefaults:
  """What an inversion of a network uses unless told otherwise.

  Attributes:
    param: the parameterisation's name (`"pixel"` or `"fourier"`).
    size: the side of the image, pixels (its longer side if not square).
    square: whether the photo is cut to a central square.
  """
  param: str
  size: int
  square: bool = True


GENERAL = NetworkDefaults(param="pixel", size=128)
APPLICATION = NetworkDefaults(param="fourier", size=224)
# The networks with defaults of their own; every other network takes GENERAL.
NETWORKS = {name: APPLICATION
            for name, application in applications.APPLICATIONS.items()
            if not application.inverts_in_pixels}
# The `InversionConfig` fields each parameterisation fills in; a user's own
# `ParamFactory` takes pixel's.
PARAMS = {"pixel": {"tv_weight": 0.0}, "fourier": {"tv_weight": 2.0}}


class Resolved(NamedTuple):
  """The settings of a run, none of them unset.

  Attributes:
    config: the inversion settings.
    size: the side of the image, pixels (its longer side if not square).
    square: whether the photo is cut to a central square.
  """
  config: filters.InversionConfig
  size: int
  square: bool


def for_network(network: "feature_model.Backbone | str") -> NetworkDefaults:
  """The defaults of a network, or of a network's name (`--model`: `vgg19`,
  a keras.applications name or a .keras path)."""
  if isinstance(network, feature_model.Backbone):
    network = network.network
  return NETWORKS.get(network, GENERAL)


def for_param(param: "str | parameterization.ParamFactory"
              ) -> dict[str, Any]:
  """The `InversionConfig` fields a parameterisation fills in."""
  return dict(PARAMS.get(param if isinstance(param, str) else "pixel",
                         PARAMS["pixel"]))


def resolve(network: "feature_model.Backbone | str",
            size: Optional[int] = None,
            square: Optional[bool] = None,
            config: Optional[filters.InversionConfig] = None,
            **settings) -> Resolved:
  """The settings of a run on `network`, by the rule of this module.

  Args:
    network: the network, or its name (`--model`).
    size: the side of the image, pixels, or None.
    square: whether the photo is cut to a square, or None.
    config: the settings to start from, or None for `InversionConfig()`.
    **settings: fields of `InversionConfig` or of its `OptimizerConfig`,
      which replace the config's; None leaves one unset.

  Returns:
    The config, size and shape, with every unset setting filled in.

  Raises:
    ArgumentError: for a config of another class, an unknown setting or a
      value out of range.
  """
  chosen = for_network(network)
  if config is None:
    config = filters.InversionConfig()
  elif not isinstance(config, filters.InversionConfig):
    raise errors.ArgumentError(
        "config must be an InversionConfig or None, not "
        f"{errors.shown(config)}")
  optimizer = (config.optimizer if config.optimizer is not None
               else optimization.OptimizerConfig(param=chosen.param))
  config = dataclasses.replace(config, optimizer=optimizer)
  config = settings_lib.apply(
      config, {k: v for k, v in settings.items() if v is not None}, config)
  config = dataclasses.replace(config, **{
      field: value
      for field, value in for_param(config.optimizer.param).items()
      if getattr(config, field) is None})
  return Resolved(
      config,
      (chosen.size if size is None
       else limits.check_count("size", size, 1, limits.MAX_SIZE)),
      (chosen.square if square is None
       else errors.check_flag("square", square)))

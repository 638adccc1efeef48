"""What a texture encoder computes: its kind, layers, scales and maps.

`EncoderConfig` is the one value that names an encoder (`energy`, `gram`,
`gap`; see `encoder`); `resolve` turns a kind or a configuration into the
configuration on a network. Each kind has its own default layers
(`default_layers_of_kind`), taken from the network's style layers
(`fmi_tf.nets.default_layers`): `energy` all of them, `gram` the two
deepest, `gap` the network's deepest invertible layer. On VGG19 (relu1_1
... relu5_1; relu4_1 and relu5_1; relu5_4) these were chosen by 10-fold
accuracy on dtd10 (docs/results/recognition.md).
"""

import dataclasses
import math
import numbers
from typing import Sequence, Union

from fmi_tf import errors
from fmi_tf import texture
from fmi_tf.nets import default_layers
from fmi_tf.nets import feature_model

KINDS = ("energy", "gram", "gap")
DEFAULT_GRAM_DIM = 64


@dataclasses.dataclass(frozen=True)
class EncoderConfig:
  """What a texture encoder computes.

  Attributes:
    kind: `energy`, `gram` or `gap`.
    layers: layers (VGG19's names in either spelling); `gap` uses the
      deepest only; empty for the kind's `default_layers_of_kind` on the
      network, filled in by `for_network`.
    order: energy order, 1 (mean) or 2 (root mean square).
    scales: image resize factors whose statistics are averaged.
    signed_sqrt: apply sign(x) sqrt(|x|) to each statistic.
    l2: L2-normalise each layer's part.
    gram_dim: `gram` reduces wider layers to this many channels (0: never).
  """
  kind: str = "energy"
  layers: tuple[str, ...] = ()
  order: int = 1
  scales: tuple[float, ...] = (1.0,)
  signed_sqrt: bool = True
  l2: bool = True
  gram_dim: int = DEFAULT_GRAM_DIM

  def __post_init__(self):
    errors.check_choice("encoder", self.kind, KINDS)
    if self.gram_dim < 0:
      raise errors.ArgumentError(
          f"gram_dim must be 0 or positive, not {self.gram_dim}")
    if not self.scales or not all(
        isinstance(s, numbers.Real) and math.isfinite(s) and s > 0
        for s in self.scales):
      raise errors.ArgumentError(
          f"scales must be finite positive factors, not {self.scales}")
    object.__setattr__(self, "layers", layer_names(self.layers))
    object.__setattr__(self, "scales", tuple(float(s) for s in self.scales))
    errors.check_choice("energy order", self.order, texture.ORDERS)

  def for_network(self, backbone: feature_model.Backbone) -> "EncoderConfig":
    """This config with the kind's `default_layers_of_kind` if no layers
    are given, and every layer under the network's own name, in network
    order.

    Raises:
      LayerError: for a layer the network does not have.
    """
    layers = self.layers or default_layers_of_kind(backbone, self.kind)
    return dataclasses.replace(self, layers=tuple(
        backbone.network_order(backbone.canonical_names(layers))))

  @property
  def statistic_layers(self) -> tuple[str, ...]:
    """The layers whose statistics form the descriptor, once `for_network`
    gave the config its layers."""
    if not self.layers:
      raise errors.LayerError(
          f"the {self.kind} encoder's layers are its network's defaults: "
          "call for_network(backbone) first")
    return self.layers[-1:] if self.kind == "gap" else self.layers

  def to_dict(self) -> dict:
    return dataclasses.asdict(self)

  @classmethod
  def from_dict(cls, record: dict) -> "EncoderConfig":
    return cls(**{k: tuple(v) if isinstance(v, list) else v
                  for k, v in record.items()})


# An encoder by kind (`energy`, `gram`, `gap`) or by its configuration.
Encoder = Union[str, EncoderConfig]


def resolve(encoder: Encoder, backbone: feature_model.Backbone
            ) -> EncoderConfig:
  """The configuration of an encoder kind, or the configuration itself,
  with the network's default layers where it names none
  (`EncoderConfig.for_network`).

  Raises:
    ArgumentError: for an unknown kind.
    LayerError: for a layer the network does not have.
  """
  if not isinstance(encoder, EncoderConfig):
    encoder = EncoderConfig(kind=encoder)
  return encoder.for_network(backbone)


def default_layers_of_kind(backbone: feature_model.Backbone,
                           kind: str) -> tuple[str, ...]:
  """The layers an encoder of `kind` reads on the network unless told.

  Examples:
    >>> encoder_config.default_layers_of_kind(fmi_tf.network("vgg19"), "gram")
    ('block4_conv1', 'block5_conv1')

  Raises:
    ArgumentError: for an unknown kind.
  """
  errors.check_choice("encoder", kind, KINDS)
  if kind == "gap":
    return (default_layers.deepest(backbone),)
  style = default_layers.style_layers(backbone)
  return style[-2:] if kind == "gram" else style


def layer_names(names: Sequence[str]) -> tuple[str, ...]:
  """The layer names as given, stripped, without duplicates; the network
  checks them (`EncoderConfig.for_network`).

  Raises:
    LayerError: if `names` is not a list of texts.
  """
  if (isinstance(names, (str, bytes)) or not isinstance(names, (list, tuple))):
    raise errors.LayerError(
        f"layers must be a list of layer names, not {errors.shown(names)}")
  return tuple(dict.fromkeys(
      errors.check_text("layer", name, errors.LayerError).strip()
      for name in names))

"""The layers that style transfer, energy reallocation and texture encoders
read unless told otherwise, for each network.

VGG19's style layers are those of Gatys et al.: relu1_1, relu2_1, relu3_1,
relu4_1 and relu5_1 (the first convolution of each block). Another
network's are derived from its invertible layers in depth order
(`Backbone.invertible_layers`): five spread evenly from the first to the
deepest. Every network's content layer is the invertible
layer three fifths of the way down, which on VGG19 is relu4_2. The stages
derive their own defaults from `style_layers`, `content_layer`, `deepest`
and `shallowest`.
"""

from fmi_tf import errors
from fmi_tf.nets import feature_model

# VGG19's style layers of Gatys et al.: relu1_1 ... relu5_1.
_VGG19_STYLE = ("block1_conv1", "block2_conv1", "block3_conv1",
                "block4_conv1", "block5_conv1")
_STYLE_COUNT = 5
_CONTENT_DEPTH = 0.6


def style_layers(backbone: feature_model.Backbone) -> tuple[str, ...]:
  """The network's default style layers, in network order.

  Examples:
    >>> default_layers.style_layers(fmi_tf.network("mobilenet"))
    ('conv1_relu', 'conv_pw_3_relu', 'conv_dw_7_relu', 'conv_dw_10_relu',
     'conv_pw_13_relu')

  Args:
    backbone: the network.
  """
  if backbone.network == feature_model.VGG19:
    return _VGG19_STYLE
  layers = _invertible(backbone)
  last = len(layers) - 1
  return tuple(dict.fromkeys(
      layers[i * last // (_STYLE_COUNT - 1)] for i in range(_STYLE_COUNT)))


def content_layer(backbone: feature_model.Backbone) -> str:
  """The network's default content layer (VGG19: relu4_2).

  Args:
    backbone: the network.
  """
  layers = _invertible(backbone)
  return layers[round(_CONTENT_DEPTH * (len(layers) - 1))]


def shallowest(backbone: feature_model.Backbone,
               count: int) -> tuple[str, ...]:
  """The network's `count` shallowest layers to describe a picture with:
  VGG19's first style layers (relu1_1, relu2_1, ...: one per scale),
  another network's first `count` invertible layers."""
  if backbone.network == feature_model.VGG19:
    return _VGG19_STYLE[:count]
  return _invertible(backbone)[:count]


def deepest(backbone: feature_model.Backbone) -> str:
  """The network's deepest invertible layer (VGG19: relu5_4)."""
  return _invertible(backbone)[-1]


def _invertible(backbone: feature_model.Backbone) -> tuple[str, ...]:
  """The network's invertible layers; LayerError if it has none."""
  if not backbone.invertible_layers:
    raise errors.LayerError(
        f"{backbone.network} has no invertible layer to default to: name "
        "the layers")
  return backbone.invertible_layers

"""The default layers of style, reallocation and encoders, per network."""

import keras
import pytest

from fmi_tf import errors
from fmi_tf.nets import default_layers
from fmi_tf.nets import feature_model
from fmi_tf.nets import networks


def _chain(depth: int) -> feature_model.Backbone:
  """A user's model of `depth` ReLU convolutions c0, c1, ... in a row."""
  inputs = keras.Input((None, None, 3))
  x = inputs
  for i in range(depth):
    x = keras.layers.Conv2D(2, 3, padding="same", activation="relu",
                            name=f"c{i}")(x)
  return networks.network(keras.Model(inputs, x, name="chain"))


def test_vgg19_keeps_the_layers_of_gatys_et_al(tiny_backbone):
  assert default_layers.style_layers(tiny_backbone) == (
      "block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1",
      "block5_conv1")
  assert default_layers.content_layer(tiny_backbone) == "block4_conv2"
  assert default_layers.deepest(tiny_backbone) == "block5_conv4"
  assert default_layers.shallowest(tiny_backbone, 3) == (
      "block1_conv1", "block2_conv1", "block3_conv1")


def test_another_network_spreads_its_style_layers_over_its_depth():
  chain = _chain(9)
  assert chain.network == "chain (in memory)"
  assert default_layers.style_layers(chain) == ("c0", "c2", "c4", "c6", "c8")
  assert default_layers.content_layer(chain) == "c5"
  assert default_layers.deepest(chain) == "c8"
  assert default_layers.shallowest(chain, 3) == ("c0", "c1", "c2")


def test_a_shallow_network_gives_each_layer_once():
  chain = _chain(3)
  assert default_layers.style_layers(chain) == ("c0", "c1", "c2")
  assert default_layers.content_layer(chain) == "c1"


def test_a_network_without_invertible_layers_asks_for_names():
  inputs = keras.Input((None, None, 3))
  linear = keras.Model(inputs, keras.layers.Conv2D(2, 3, name="linear")(inputs),
                       name="linear_only")
  with pytest.raises(errors.LayerError, match="no invertible layer"):
    default_layers.style_layers(networks.network(linear))

"""A tiny MobileNet-like network: batch norm, ReLU6, a residual, pooling.

Convolution -> batch norm -> ReLU6, a depthwise block, a pointwise block
with `Activation("relu")`, a residual sum, max pooling and a swish
convolution: the kinds of layers keras.applications' networks are made of,
with a few channels, so that tests of any-network paths run in seconds.
"""

import keras
import numpy as np

from fmi_tf.nets import feature_model

# The invertible layers and their filter counts, in network order.
INVERTIBLE = {"conv1_relu": 4, "dw_relu": 4, "pw_relu": 6, "sum_relu": 6,
              "swish_conv": 8}
PREPROCESSING = "tf"


def tiny_mobilenet_model(seed: int = 0) -> keras.Model:
  """Returns the tiny network with seeded random weights and statistics."""
  inputs = keras.Input((None, None, 3), name="input_layer")
  x = keras.layers.Conv2D(4, 3, strides=2, padding="same", use_bias=False,
                          name="conv1")(inputs)
  x = keras.layers.BatchNormalization(name="conv1_bn")(x)
  x = keras.layers.ReLU(6.0, name="conv1_relu")(x)
  x = keras.layers.DepthwiseConv2D(3, padding="same", use_bias=False,
                                   name="dw")(x)
  x = keras.layers.BatchNormalization(name="dw_bn")(x)
  x = keras.layers.ReLU(6.0, name="dw_relu")(x)
  x = keras.layers.Conv2D(6, 1, use_bias=False, name="pw")(x)
  x = keras.layers.BatchNormalization(name="pw_bn")(x)
  shortcut = keras.layers.Activation("relu", name="pw_relu")(x)
  x = keras.layers.Conv2D(6, 3, padding="same", name="res")(shortcut)
  x = keras.layers.Add(name="sum")([shortcut, x])
  x = keras.layers.Activation("relu", name="sum_relu")(x)
  x = keras.layers.MaxPooling2D(2, name="pool")(x)
  x = keras.layers.Conv2D(8, 3, padding="same", activation="swish",
                          name="swish_conv")(x)
  model = keras.Model(inputs, x, name="tiny_mobilenet")
  rng = np.random.default_rng(seed)
  for layer in model.layers:
    if isinstance(layer, keras.layers.BatchNormalization):
      gamma, beta, mean, variance = layer.get_weights()
      layer.set_weights([
          rng.uniform(0.5, 1.5, gamma.shape), rng.uniform(0, 1, beta.shape),
          rng.normal(0, 0.5, mean.shape), rng.uniform(0.5, 2, variance.shape)])
    elif layer.weights:
      layer.set_weights([rng.normal(0, 0.5, w.shape) for w in layer.weights])
  return model


def tiny_backbone(seed: int = 0) -> feature_model.Backbone:
  """Returns the tiny network as a backbone whose every layer is covered."""
  model = tiny_mobilenet_model(seed)
  return feature_model.Backbone(
      model, frozenset(layer.name for layer in model.layers if layer.weights),
      "tiny", "tiny_mobilenet", PREPROCESSING)

"""VGG19 sliced into multi-output feature models.

A `Backbone` is VGG19 without its top (or any model with VGG19's layer names,
such as the tiny one the tests build) together with the set of convolutions its
weights file covered. `feature_model` slices it: RGB images in [0, 1] go in, a
dict of the requested layers' activations comes out, and nothing deeper than
the deepest requested layer is built.
"""

import dataclasses
from typing import Sequence

import keras
import tensorflow as tf

from fmi_tf import errors
from fmi_tf.nets import layers as vgg_layers
from fmi_tf.nets import preprocessing
from fmi_tf.nets import weights as vgg_weights

POOLING_MODES = ("max", "avg")
RELU_GRADIENTS = ("exact", "redirected")
PRECISIONS = ("float32", "bfloat16")


@dataclasses.dataclass(frozen=True)
class Backbone:
  """A VGG19-shaped network and the convolutions that hold trained weights.

  Attributes:
    model: a Keras model whose layers carry VGG19's names, in network order.
    covered_layers: convolutions whose weights were loaded from `source`.
    source: where the weights came from, for messages.
  """
  model: keras.Model
  covered_layers: frozenset[str]
  source: str

  def num_filters(self, layer: str) -> int:
    """Returns the number of channels of a canonical layer's output."""
    name = vgg_layers.canonical_name(layer)
    if name in vgg_layers.POOL_LAYERS:
      name = vgg_layers.conv_layers_up_to(name)[-1]
    return self.model.get_layer(name).filters


def vgg19(weights: str = vgg_weights.IMAGENET) -> Backbone:
  """Builds keras.applications' VGG19 without its top and loads weights.

  Args:
    weights: an HDF5 path in keras.applications' layout (possibly covering
      only some layers), or `"imagenet"` for Keras's cached or downloaded
      file.

  Returns:
    The backbone, recording which convolutions the weights covered.

  Raises:
    WeightsError: if no weights can be had or the file covers no layer.
  """
  path = vgg_weights.resolve_weights(weights)
  loaded = vgg_weights.read_weights(path)
  covered = loaded.covered_layers & frozenset(vgg_layers.CONV_LAYERS)
  if not covered:
    raise errors.WeightsError(f"{path} holds no VGG19 convolution weights")
  model = keras.applications.VGG19(include_top=False, weights=None)
  vgg_weights.assign(model, loaded)
  return Backbone(model, covered, path)


def check_covered(backbone: Backbone, layer_names: Sequence[str]) -> None:
  """Raises WeightsError unless every convolution the layers need is covered."""
  for name in layer_names:
    missing = [conv for conv in vgg_layers.conv_layers_up_to(name)
               if conv not in backbone.covered_layers]
    if missing:
      covered = vgg_layers.network_order(backbone.covered_layers)
      raise errors.WeightsError(
          f"layer {name} needs weights for {', '.join(missing)}, which "
          f"{backbone.source} does not hold; it covers {', '.join(covered)}. "
          f"Use the full {vgg_weights.IMAGENET_FILENAME} for deeper layers")


@tf.custom_gradient
def redirected_relu(x):
  """ReLU whose gradient revives maps that are dead everywhere.

  Where a map's ordinary ReLU gradient is zero at every position (the map
  never fires for that image), the gradient passes through the ReLU wherever
  it would raise the pre-activation, as in lucid's redirected ReLU. Other maps
  get the exact gradient. The test is per image and per map, so batch
  elements stay independent.

  Args:
    x: [B, H, W, C] pre-activations.

  Returns:
    relu(x), with the redirected gradient.
  """
  def gradient(upstream):
    exact = upstream * tf.cast(x > 0, upstream.dtype)
    dead = tf.reduce_all(tf.equal(exact, 0), axis=[1, 2], keepdims=True)
    redirected = tf.where((x < 0) & (upstream > 0), tf.zeros_like(upstream),
                          upstream)
    return tf.where(dead, redirected, exact)

  return tf.nn.relu(x), gradient


class _SharedConv(keras.layers.Layer):
  """A VGG convolution sharing its float32 weights, in `dtype` compute.

  Its ReLU is `redirected_relu` when `redirected`, else the plain one.
  """

  def __init__(self, conv: keras.layers.Conv2D, redirected: bool,
               dtype: str):
    super().__init__(name=conv.name, dtype=dtype)
    self._conv = conv
    self._redirected = redirected

  def call(self, inputs):
    conv = self._conv
    kernel = tf.cast(conv.kernel, self.compute_dtype)
    bias = tf.cast(conv.bias, self.compute_dtype)
    x = conv.convolution_op(inputs, kernel) + bias
    return redirected_relu(x) if self._redirected else tf.nn.relu(x)


def _policy(precision: str) -> str:
  """The Keras dtype policy of the network's layers for a precision."""
  return "mixed_bfloat16" if precision == "bfloat16" else "float32"


def feature_model(backbone: Backbone,
                  layer_names: Sequence[str],
                  pooling: str = "max",
                  relu_gradient: str = "exact",
                  precision: str = "float32") -> keras.Model:
  """Slices the backbone into a model RGB [0, 1] -> {layer: activations}.

  Args:
    backbone: the VGG19 network and its weight coverage.
    layer_names: layers in Keras or paper spelling (`block3_conv1`,
      `conv3_1`, `relu3_1`).
    pooling: `"max"` as trained, or `"avg"` to replace every max pooling by
      average pooling (the choice of the paper and of Gatys et al.).
    relu_gradient: `"exact"`, or `"redirected"` to give the requested
      convolutions `redirected_relu`, so that inverting a code can revive a
      map that never fires (same outputs, different gradient).
    precision: `"float32"`, or `"bfloat16"` to compute the convolutions and
      poolings in bfloat16 (mixed precision: the weights stay float32, the
      input and the outputs are float32).

  Returns:
    A Keras model taking [B, H, W, 3] RGB images in [0, 1] and returning a
    dict keyed by the canonical layer names.

  Raises:
    LayerError: for an unknown layer name.
    WeightsError: if the weights do not cover a layer the outputs need.
    ArgumentError: for an unknown pooling mode or precision.
  """
  if pooling not in POOLING_MODES:
    raise errors.ArgumentError(
        f"pooling must be one of {', '.join(POOLING_MODES)}, not {pooling!r}")
  if relu_gradient not in RELU_GRADIENTS:
    raise errors.ArgumentError(
        f"relu gradient must be one of {', '.join(RELU_GRADIENTS)}, "
        f"not {relu_gradient!r}")
  if precision not in PRECISIONS:
    raise errors.ArgumentError(
        f"precision must be one of {', '.join(PRECISIONS)}, "
        f"not {precision!r}")
  wanted = vgg_layers.canonical_names(layer_names)
  if not wanted:
    raise errors.ArgumentError("a feature model needs at least one layer")
  check_covered(backbone, wanted)
  deepest = vgg_layers.network_order(wanted)[-1]

  inputs = keras.Input((None, None, 3), name="rgb")
  x = preprocessing.rgb_to_vgg_input(inputs)
  outputs = {}
  for layer in backbone.model.layers:
    if isinstance(layer, keras.layers.InputLayer):
      continue
    redirected = relu_gradient == "redirected" and layer.name in wanted
    if isinstance(layer, keras.layers.MaxPooling2D):
      pool = (keras.layers.AveragePooling2D if pooling == "avg"
              else keras.layers.MaxPooling2D)
      layer = pool(layer.pool_size, layer.strides, padding=layer.padding,
                   name=layer.name, dtype=_policy(precision))
    elif isinstance(layer, keras.layers.Conv2D) and (
        redirected or precision != "float32"):
      layer = _SharedConv(layer, redirected, _policy(precision))
    x = layer(x)
    if layer.name in wanted:
      outputs[layer.name] = keras.ops.cast(x, "float32")
    if layer.name == deepest:
      break
  return keras.Model(inputs, outputs, name=f"vgg19_to_{deepest}")

"""Redirected rectifiers, and the layer swaps a feature model is cloned with.

A rectifier (ReLU, or ReLU6 and other clipped ReLUs) has a zero gradient
wherever it is off. When a map is off at every position, inversion can never
revive it; the redirected rectifier passes the gradient there wherever it
would move the pre-activation towards the active range (lucid's redirected
ReLU). `layer_swapper` makes the clone function that gives a network's
requested layers redirected rectifiers and, optionally, average pooling.
Other activations (swish, GELU) have gradients everywhere and are kept.
"""

from typing import Callable, Collection, Optional

import keras
import tensorflow as tf

_NOT_A_RECTIFIER = "not a rectifier"


def redirected_clipped_relu(max_value: Optional[float] = None) -> Callable:
  """Returns min(relu(x), max_value) with the redirected gradient.

  Where a map's exact gradient is zero at every position (the map is never
  in the active range for that image), the gradient passes wherever it would
  move the pre-activation into that range: up from below zero, down from
  above `max_value`. Other maps get the exact gradient. The test is per image
  and per map, so batch elements stay independent.

  Args:
    max_value: the upper clip (6 for ReLU6), or None for the plain ReLU.

  Returns:
    A function of [B, H, W, C] pre-activations.
  """

  @tf.custom_gradient
  def activation(x):
    live = x > 0
    if max_value is not None:
      live &= x < max_value

    def gradient(upstream):
      exact = upstream * tf.cast(live, upstream.dtype)
      dead = tf.reduce_all(tf.equal(exact, 0), axis=[1, 2], keepdims=True)
      away = (x < 0) & (upstream > 0)
      if max_value is not None:
        away |= (x > max_value) & (upstream < 0)
      redirected = tf.where(away, tf.zeros_like(upstream), upstream)
      return tf.where(dead, redirected, exact)

    y = tf.nn.relu(x)
    if max_value is not None:
      y = tf.minimum(y, tf.cast(max_value, y.dtype))
    return y, gradient

  return activation


def _rectifier_max(function_or_layer):
  """The clip of a rectifier (None: unclipped), else `_NOT_A_RECTIFIER`."""
  if isinstance(function_or_layer, keras.layers.ReLU):
    layer = function_or_layer
    if layer.negative_slope or layer.threshold:
      return _NOT_A_RECTIFIER
    return None if layer.max_value is None else float(layer.max_value)
  if function_or_layer is keras.activations.relu:
    return None
  if function_or_layer is keras.activations.relu6:
    return 6.0
  return _NOT_A_RECTIFIER


class RedirectedRectifier(keras.layers.Layer):
  """A rectifier layer's redirected version, under the same name."""

  def __init__(self, name: str, max_value: Optional[float],
               dtype: Optional[str] = None):
    super().__init__(name=name, dtype=dtype)
    self._activation = redirected_clipped_relu(max_value)

  def call(self, inputs):
    return self._activation(inputs)


class RedirectedConv(keras.layers.Layer):
  """A convolution (sharing its weights) with its rectifier redirected.

  It computes in its own dtype policy's compute dtype (the shared float32
  weights are cast), so it also serves mixed precision.
  """

  def __init__(self, conv: keras.layers.Conv2D, max_value: Optional[float],
               dtype: Optional[str] = None):
    super().__init__(name=conv.name, dtype=dtype)
    self._conv = conv
    self._activation = redirected_clipped_relu(max_value)

  def call(self, inputs):
    conv = self._conv
    x = conv.convolution_op(
        inputs, keras.ops.cast(conv.kernel, self.compute_dtype))
    if conv.use_bias:
      x = x + keras.ops.cast(conv.bias, self.compute_dtype)
    return self._activation(x)


def redirected(layer: keras.layers.Layer,
               dtype: Optional[str] = None) -> Optional[keras.layers.Layer]:
  """Returns the layer with its rectifier redirected, else None.

  Applies to ReLU layers (clipped or not, as MobileNet's ReLU6),
  `Activation("relu")` and `Activation("relu6")` layers, and Conv2D layers
  with such an activation (VGG's).

  Args:
    layer: a layer of the network.
    dtype: the redirected layer's dtype policy (None: the default).
  """
  if isinstance(layer, keras.layers.Conv2D):
    clip = _rectifier_max(layer.activation)
    if clip == _NOT_A_RECTIFIER:
      return None
    return RedirectedConv(layer, clip, dtype)
  if isinstance(layer, keras.layers.Activation):
    clip = _rectifier_max(layer.activation)
  else:
    clip = _rectifier_max(layer)
  if clip == _NOT_A_RECTIFIER:
    return None
  return RedirectedRectifier(layer.name, clip, dtype)


def layer_swapper(redirect: Collection[str], average_pooling: bool,
                  dtype: Optional[str] = None,
                  linear: Collection[str] = ()) -> Callable:
  """Returns a `keras.models.clone_model` clone function.

  Args:
    redirect: names of the layers whose rectifiers are redirected.
    average_pooling: replace every max pooling by average pooling.
    dtype: None to reuse the network's layers, sharing their weights; or a
      Keras dtype policy (`"mixed_bfloat16"`) for fresh copies that compute
      in it, which `copy_weights` then fills (redirected convolutions share
      and cast the original weights).
    linear: names of layers copied without their activation (a head's
      softmax), which `copy_weights` then fills too.
  """

  def swap(layer: keras.layers.Layer) -> keras.layers.Layer:
    if layer.name in linear:
      config = {**layer.get_config(), "activation": "linear"}
      if dtype is not None:
        config["dtype"] = dtype
      return layer.__class__.from_config(config)
    if average_pooling and isinstance(layer, keras.layers.MaxPooling2D):
      return keras.layers.AveragePooling2D(
          layer.pool_size, layer.strides, padding=layer.padding,
          name=layer.name, dtype=dtype)
    if layer.name in redirect:
      swapped = redirected(layer, dtype)
      if swapped is not None:
        return swapped
    if dtype is None or isinstance(layer, keras.layers.InputLayer):
      return layer
    return layer.__class__.from_config({**layer.get_config(), "dtype": dtype})

  return swap


def copy_weights(original: keras.Model, clone: keras.Model) -> None:
  """Gives the clone's copied layers the weight values of the original's."""
  for layer in clone.layers:
    if not layer.weights:
      continue
    source = original.get_layer(layer.name)
    if layer.weights[0] is not source.weights[0]:
      layer.set_weights(source.get_weights())

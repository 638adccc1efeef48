"""Receptive fields from the graph: known answers, and the gradient's reach."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from fmi_tf import errors
from fmi_tf.nets import receptive_field
from tests import tiny_mobilenet

# Published fields of VGG19's layers (sizes) and their jumps.
_VGG19 = {"block1_conv1": (3, 1), "block1_conv2": (5, 1),
          "block2_conv1": (10, 2), "block3_conv1": (24, 4),
          "block4_conv1": (68, 8), "block5_conv4": (252, 16)}


def test_vgg19_fields_are_the_published_ones():
  vgg = keras.applications.VGG19(include_top=False, weights=None)
  fields = receptive_field.receptive_fields(vgg)
  assert {n: (fields[n].size, fields[n].jump) for n in _VGG19} == _VGG19


def test_mobilenet_last_field_is_the_published_one():
  # Araujo et al., "Computing receptive fields of convolutional neural
  # networks" (Distill 2019): 315 pixels for MobileNet v1's last layer.
  mobilenet = keras.applications.MobileNet(
      alpha=0.25, include_top=False, weights=None, input_shape=(224, 224, 3))
  field = receptive_field.receptive_field(mobilenet, "conv_pw_13_relu")
  assert (field.size, field.jump) == (315, 32)


def _linear_net() -> keras.Model:
  """Strides, valid and same padding, dilation, zero padding and a join."""
  inputs = keras.Input((None, None, 1))
  x = keras.layers.Conv2D(2, 3, strides=2, padding="same")(inputs)
  x = keras.layers.ZeroPadding2D(1)(x)
  x = keras.layers.Conv2D(2, 3, dilation_rate=2, name="dilated")(x)
  y = keras.layers.DepthwiseConv2D(5, padding="same")(x)
  x = keras.layers.Add()([x, y])
  x = keras.layers.AveragePooling2D(2, name="pool")(x)
  x = keras.layers.Conv2D(2, 3, padding="same", name="last")(x)
  return keras.Model(inputs, x)


def _gradient_box(model: keras.Model, layer: str, y: int, x: int,
                  side: int) -> tuple[int, int, int, int]:
  """(top, left, bottom, right) of the input pixels unit (y, x) depends on."""
  sliced = keras.Model(model.inputs, model.get_layer(layer).output)
  image = tf.random.normal([1, side, side, 1], seed=0)
  with tf.GradientTape() as tape:
    tape.watch(image)
    total = tf.reduce_sum(sliced(image)[0, y, x])
  support = np.abs(tape.gradient(total, image)[0, :, :, 0].numpy()) > 0
  rows, cols = np.flatnonzero(support.any(1)), np.flatnonzero(support.any(0))
  return rows[0], cols[0], rows[-1], cols[-1]


@pytest.mark.parametrize("layer,unit", [("dilated", (5, 6)), ("pool", (4, 5)),
                                        ("last", (4, 3))])
def test_the_field_is_where_the_gradient_reaches(layer, unit):
  model = _linear_net()
  field = receptive_field.receptive_field(model, layer)
  top, left, side = field.box(*unit)
  assert _gradient_box(model, layer, *unit, side=96) == (
      top, left, top + side - 1, left + side - 1)


def test_tiny_mobilenet_fields_grow_through_its_blocks():
  fields = receptive_field.receptive_fields(
      tiny_mobilenet.tiny_mobilenet_model())
  sizes = [fields[n].size for n in tiny_mobilenet.INVERTIBLE]
  assert sizes == [3, 7, 7, 11, 21]
  assert fields["swish_conv"].jump == 4


def test_upsampling_has_no_field():
  inputs = keras.Input((None, None, 1))
  x = keras.layers.UpSampling2D(name="up")(keras.layers.Conv2D(1, 3)(inputs))
  with pytest.raises(errors.LayerError, match="upsamples"):
    receptive_field.receptive_field(keras.Model(inputs, x), "up")

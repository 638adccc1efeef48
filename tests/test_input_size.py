"""The smallest image a layer admits, from any network's own layers."""

import keras
import numpy as np
import pytest

import fmi_tf
from fmi_tf import errors
from fmi_tf.nets import input_size
from tests import tiny_mobilenet
from tests import tiny_vgg


def _runs(model: keras.Model, layer: str, height: int, width: int) -> bool:
  """Whether the layer's output at this input size has a pixel."""
  sliced = keras.Model(model.inputs[0], model.get_layer(layer).output)
  try:
    shape = sliced(np.zeros((1, height, width, 3), np.float32)).shape
  except Exception:  # pylint: disable=broad-except
    return False
  return shape[1] >= 1 and shape[2] >= 1


@pytest.mark.parametrize("layer,least", [
    ("block1_conv1", (1, 1)), ("block2_conv1", (2, 2)),
    ("block3_conv1", (4, 4)), ("block4_conv4", (8, 8)),
    ("block5_conv1", (16, 16)), ("block5_pool", (32, 32))])
def test_each_pooling_of_vgg_doubles_the_least_size(layer, least):
  assert input_size.smallest_input(tiny_vgg.tiny_vgg19_model(), layer) == least


def _strided_network() -> keras.Model:
  """Valid windows, zero padding, dilation and a nested Sequential block."""
  inputs = keras.Input((None, None, 3))
  x = keras.layers.ZeroPadding2D(((0, 1), (0, 1)))(inputs)
  x = keras.layers.Conv2D(2, 3, strides=2, name="valid")(x)
  x = keras.Sequential([keras.layers.Conv2D(2, (3, 1), strides=(2, 1)),
                        keras.layers.ReLU()], name="block")(x)
  x = keras.layers.Conv2D(2, 3, dilation_rate=2, name="dilated")(x)
  x = keras.layers.Add(name="sum")([x, x])
  return keras.Model(inputs, keras.layers.ReLU(name="last")(x))


@pytest.mark.parametrize("model_fn,layer", [
    (_strided_network, "valid"), (_strided_network, "block"),
    (_strided_network, "last"), (tiny_mobilenet.tiny_mobilenet_model, "pw"),
    (tiny_vgg.tiny_vgg19_model, "block3_conv2")])
def test_the_least_size_runs_and_one_pixel_less_does_not_reach(model_fn,
                                                               layer):
  model = model_fn()
  height, width = input_size.smallest_input(model, layer)
  assert _runs(model, layer, height, width)
  # One pixel less leaves a layer on the way without a pixel or a window.
  for smaller in ((height - 1, width), (height, width - 1)):
    if min(smaller) >= 1:
      with pytest.raises(errors.ImageError):
        input_size.check_fits(model, [layer], (*smaller, 3))


def test_the_strided_network_needs_more_height_than_width():
  # (3, 1) kernel with stride (2, 1) in the nested block: rows only.
  height, width = input_size.smallest_input(_strided_network(), "last")
  assert height > width


def test_the_message_names_the_layer_and_its_least_size():
  with pytest.raises(errors.ImageError,
                     match=r"style image is 64x1 pixels \(width x height\), "
                     "too small for block3_conv1, which needs at least 4x4"):
    input_size.check_fits(tiny_vgg.tiny_vgg19_model(), ["block3_conv1"],
                          (1, 64, 3), "style image")


def test_the_api_refuses_a_strip_before_any_work(tiny_backbone, tmp_path):
  strip = np.full((1, 64, 3), 0.5, np.float32)
  with pytest.raises(errors.ImageError, match="too small for block3_conv1"):
    fmi_tf.invert(tiny_backbone, "block3_conv1", filters=[0], image=strip,
                  size=64, square=False, steps=1, progress=False)
  with pytest.raises(errors.ImageError, match="needs at least 16x16"):
    fmi_tf.draw_atlas(tiny_backbone, ["block5_conv1"], str(tmp_path / "a"),
                      size=8, steps=1, progress=False)
  assert not (tmp_path / "a").exists()
  with pytest.raises(errors.ImageError, match="content image"):
    fmi_tf.stylize(tiny_backbone, style=np.full((32, 32, 3), 0.5, "f4"),
                   content=strip, steps=1, progress=False)
  with pytest.raises(errors.ImageError, match="too small for block2_conv1"):
    fmi_tf.reallocate(tiny_backbone, strip, seeds=[0], size=64, steps=1,
                      progress=False)

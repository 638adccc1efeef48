"""Each network's inversion defaults, and who wins when the caller sets one."""

import pytest

import fmi_tf
from fmi_tf.inversion import filters
from fmi_tf.inversion import network_defaults
from fmi_tf.nets import feature_model
from tests import tiny_mobilenet


def _labelled(backbone: feature_model.Backbone,
              network: str) -> feature_model.Backbone:
  return feature_model.Backbone(backbone.model, backbone.covered_layers,
                                backbone.source, network,
                                backbone.preprocessing)


@pytest.fixture(scope="module")
def tiny_as_mobilenet():
  """The tiny network, named as keras.applications' MobileNet."""
  return _labelled(tiny_mobilenet.tiny_backbone(), "mobilenet")


@pytest.mark.parametrize("network, expected", [
    ("vgg19", network_defaults.GENERAL),
    ("vgg16", network_defaults.GENERAL),
    ("mine.keras", network_defaults.GENERAL),
    ("tiny_mobilenet", network_defaults.GENERAL),
    ("mobilenet", network_defaults.APPLICATION),
    ("resnet50", network_defaults.APPLICATION),
    ("efficientnet_b0", network_defaults.APPLICATION),
])
def test_defaults_by_network(tiny_as_mobilenet, network, expected):
  assert network_defaults.of(_labelled(tiny_as_mobilenet, network)) == expected


def test_general_defaults_are_the_configs_own():
  assert network_defaults.GENERAL.param == (
      filters.InversionConfig().optimizer.param)
  assert network_defaults.GENERAL.general
  assert not network_defaults.APPLICATION.general


def test_fill_keeps_what_the_caller_gave(tiny_as_mobilenet):
  fill = network_defaults.fill
  assert fill(tiny_as_mobilenet, None, None, {}, config_given=False) == (
      224, True, {"param": "fourier"})
  assert fill(tiny_as_mobilenet, 40, False, {"param": "pixel", "steps": 3},
              config_given=False) == (40, False,
                                      {"param": "pixel", "steps": 3})
  assert fill(tiny_as_mobilenet, None, None, {"steps": 3},
              config_given=True) == (224, True, {"steps": 3})


def test_the_photo_is_square_unless_told_otherwise(tiny_backbone):
  def shape(**kwargs):
    result = fmi_tf.invert(tiny_backbone, "block1_conv1", [0], size=48, steps=1,
                           progress=False, **kwargs)
    assert result.records[0].run.square == (kwargs.get("square") is not False)
    return result.images.shape[1:3]

  assert shape() == (48, 48)
  assert shape(square=True) == (48, 48)
  height, width = shape(square=False)  # The embedded photo is landscape.
  assert width == 48 and height < width


def test_invert_uses_the_networks_defaults_unless_given(tiny_as_mobilenet):
  def record(**kwargs):
    result = fmi_tf.invert(tiny_as_mobilenet, "pw_relu", [0], steps=1,
                           progress=False, **kwargs)
    return (max(result.images.shape[1:3]), result.records[0].run.size,
            result.records[0].run.param)

  assert record() == (224, 224, "fourier")
  assert record(size=32, param="pixel") == (32, 32, "pixel")
  assert record(size=32, config=filters.InversionConfig()) == (
      32, 32, "pixel")

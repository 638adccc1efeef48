"""Texture encoders: a Keras model mapping images to one descriptor each.

Three descriptors are built from per-layer statistics (`layer_statistics`),
as an `encoder_config.EncoderConfig` says:

* `energy`: the energies (first or second order) of every filter of the
  chosen layers, concatenated;
* `gram`: the Gram (bilinear) baseline, each layer reduced to at most
  `gram_dim` channels: d (d + 1) / 2 values per layer (2,080 for d = 64
  instead of 131,328 at relu5_x);
* `gap`: the global-average-pooling baseline, the spatial mean of the
  *deepest* chosen layer's activations (VGG's Keras convolutions include
  the ReLU, so these are post-ReLU). It equals the first-order energy of
  that one layer; `energy` differs by concatenating several layers.

Multi-scale (as FV-CNN): the statistics are averaged over copies of the
image resized by each factor in `scales`. Then each layer's part is
optionally mapped by the signed square root and L2-normalised, and the
whole divided by the square root of the number of layers, so every layer
weighs the same and the descriptor has unit norm (`layer_statistics.pool`).
"""

from typing import Sequence

import keras

from fmi_tf import errors
from fmi_tf.nets import feature_model
from fmi_tf.nets import input_size
from fmi_tf.recognition import encoder_config
from fmi_tf.recognition import layer_statistics

DESCRIPTOR = "descriptor"


class TextureDescriptor(keras.layers.Layer):
  """Images RGB in [0, 1], [B, H, W, 3] -> descriptors [B, D]."""

  def __init__(self, features: keras.Model,
               config: encoder_config.EncoderConfig, **kwargs):
    super().__init__(**kwargs)
    self.features = features
    self.config = config
    self.keys = layer_statistics.statistic_keys(config)
    self.statistics = [
        layer_statistics.LayerStatistics(features, self.keys, scale)
        for scale in config.scales]

  def call(self, images):
    return layer_statistics.pool(
        self.config, [statistics(images) for statistics in self.statistics])


def descriptor_size(backbone: feature_model.Backbone,
                    config: encoder_config.EncoderConfig) -> int:
  """The length of the descriptors `build(backbone, config)` computes."""
  config = config.for_network(backbone)
  sizes = [backbone.num_filters(layer) for layer in config.statistic_layers]
  if config.kind == "gram":
    if config.gram_dim:
      sizes = [min(c, config.gram_dim) for c in sizes]
    return sum(c * (c + 1) // 2 for c in sizes)
  return sum(sizes)


def build(backbone: feature_model.Backbone,
          config: encoder_config.EncoderConfig) -> keras.Model:
  """Builds the encoder: images [B, H, W, 3] RGB [0, 1] -> [B, D].

  Its `TextureDescriptor` holds `config.for_network(backbone)`.

  Raises:
    LayerError, WeightsError: for layers unknown or not covered by weights.
  """
  config = config.for_network(backbone)
  features = feature_model.feature_model(backbone, config.statistic_layers)
  inputs = keras.Input((None, None, 3), name="images")
  outputs = TextureDescriptor(features, config, name=DESCRIPTOR)(inputs)
  return keras.Model(inputs, outputs, name=f"{config.kind}_encoder")


def smallest_image_size(backbone: feature_model.Backbone,
                        layers: Sequence[str]) -> int:
  """The smallest side of square images the network admits up to `layers`
  (`input_size.smallest_input`: each pooling halves the maps, which must
  keep one pixel).

  Raises:
    LayerError: for unknown layers.
  """
  return max(max(input_size.smallest_input(backbone.model,
                                           backbone.canonical_name(layer)))
             for layer in layers)


def check_image_sizes(backbone: feature_model.Backbone,
                      configs: Sequence[encoder_config.EncoderConfig],
                      image_size: int) -> None:
  """Raises ArgumentError if a scale makes the images too small for the
  encoder's layers (`smallest_image_size`)."""
  for config in configs:
    config = config.for_network(backbone)
    needed = smallest_image_size(backbone, config.statistic_layers)
    for scale in config.scales:
      side = round(image_size * scale)
      if side < needed:
        raise errors.ArgumentError(
            f"scale {scale:g} makes {image_size} px images {side} px a "
            f"side; the {config.kind} encoder's layers "
            f"({', '.join(config.statistic_layers)}) need at least {needed} "
            "px: use larger scales or image size")


def descriptor_layer(encoder: keras.Model) -> TextureDescriptor:
  """The `TextureDescriptor` layer of a model `build` made."""
  return encoder.get_layer(DESCRIPTOR)

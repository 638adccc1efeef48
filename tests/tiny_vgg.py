"""A tiny network with VGG19's layer names, and its weights in VGG19's layout.

Same topology as keras.applications' VGG19 without top (3x3 ReLU
convolutions, 2x2 max pooling), with a few channels per layer, so that tests
of the whole pipeline run in seconds.
"""

import h5py
import keras
import numpy as np

from fmi_tf.nets import feature_model
from fmi_tf.nets import vgg19_names

WIDTHS = {1: 4, 2: 6, 3: 8, 4: 8, 5: 8}


def tiny_vgg19_model(seed: int = 0) -> keras.Model:
  """Returns the tiny network with seeded random weights."""
  inputs = keras.Input((None, None, 3), name="input_layer")
  x = inputs
  rng = np.random.default_rng(seed)
  for name in vgg19_names.FEATURE_LAYERS:
    block = int(name[5])
    if name.endswith("pool"):
      x = keras.layers.MaxPooling2D(2, 2, name=name)(x)
      continue
    layer = keras.layers.Conv2D(WIDTHS[block], 3, padding="same",
                                activation="relu", name=name)
    x = layer(x)
    fan_in = layer.kernel.shape[2] * 9
    layer.set_weights([
        rng.normal(0, np.sqrt(2 / fan_in), layer.kernel.shape).astype("f4"),
        rng.uniform(0, 0.1, layer.bias.shape).astype("f4")])
  return keras.Model(inputs, x, name="tiny_vgg19")


def tiny_backbone(seed: int = 0) -> feature_model.Backbone:
  """Returns the tiny network as a backbone covering every convolution,
  known as vgg19 (so VGG19's names, paper spellings and defaults apply)."""
  return feature_model.Backbone(tiny_vgg19_model(seed),
                                frozenset(vgg19_names.CONV_LAYERS), "tiny",
                                feature_model.VGG19)


def save_legacy_h5(model: keras.Model, path: str, layer_names) -> None:
  """Writes the named layers' weights in keras.applications' HDF5 layout."""
  with h5py.File(path, "w") as f:
    f.attrs["layer_names"] = [n.encode() for n in layer_names]
    for name in layer_names:
      layer = model.get_layer(name)
      group = f.create_group(name)
      weight_names = [f"{name}/{w.name}:0".encode() for w in layer.weights]
      group.attrs["weight_names"] = weight_names
      for weight_name, value in zip(weight_names, layer.get_weights()):
        group.create_dataset(weight_name.decode(), data=value)

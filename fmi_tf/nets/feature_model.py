"""Networks sliced into multi-output feature models.

A `Backbone` is a Keras CNN without its top (VGG19, any keras.applications
network, a user's model, or the tiny networks the tests build), the name it
goes by, together with the layers whose weights were loaded and the
preprocessing its input needs. `feature_model` slices it: RGB images in
[0, 1] go in, a dict of the requested layers' activations comes out, and
nothing deeper than the requested layers is built. Batch normalisation runs
in inference mode.
"""

import collections.abc
import dataclasses
import functools
from typing import Sequence

import keras

from fmi_tf import errors
from fmi_tf.nets import activations
from fmi_tf.nets import graph
from fmi_tf.nets import precision as precision_lib
from fmi_tf.nets import preprocessing
from fmi_tf.nets import vgg19_names
from fmi_tf.nets import weights as vgg_weights

POOLING_MODES = ("max", "avg")
RELU_GRADIENTS = ("exact", "redirected")
VGG19 = "vgg19"
# Names listed in full in a message before it says "and N more".
_LISTED = 12


@dataclasses.dataclass(frozen=True)
class Backbone:
  """A network and the layers that hold trained weights.

  Attributes:
    model: a functional Keras model with one image input, in network order.
    covered_layers: layers whose weights were loaded from `source`.
    source: where the weights came from, for messages.
    network: what the network is: `vgg19` (layer names also in the paper's
      spelling), a keras.applications name, the path of a .keras file, or
      a user's model's name (`networks.network`).
    preprocessing: how RGB [0, 1] becomes the model's input (a mode of
      `preprocessing.MODES`).
    options: the network's construction options, e.g. (("alpha", 0.25),).
  """
  model: keras.Model
  covered_layers: frozenset[str]
  source: str
  network: str
  preprocessing: str = preprocessing.CAFFE
  options: tuple[tuple[str, float], ...] = ()

  @functools.cached_property
  def invertible_layers(self) -> tuple[str, ...]:
    """The layers whose filters can be inverted, in network order."""
    return graph.invertible_layers(self.model)

  @functools.cached_property
  def logits(self) -> "tuple[str, bool] | None":
    """(layer, drop its softmax) of a network with a classification head
    (`graph.logits_layer`); None without one."""
    return graph.logits_layer(self.model)

  @functools.cached_property
  def _order(self) -> dict[str, int]:
    names = graph.feature_map_layers(self.model)
    if self.logits is not None:
      names += (self.logits[0],)
    return {name: i for i, name in enumerate(names)}

  def canonical_name(self, layer: str) -> str:
    """Returns the network's own name of a layer.

    VGG19 layers may also be named the paper's way (`conv3_1`, `relu3_1`,
    `pool3`); any layer with feature maps may be named (the invertible ones
    are those `--list_layers` prints).

    Raises:
      LayerError: if the network has no such layer.
    """
    name = errors.check_text("layer", layer, errors.LayerError).strip()
    if self.network == VGG19 and (self.logits is None
                                  or layer != self.logits[0]):
      return vgg19_names.canonical_name(layer)
    if name not in self._order:
      raise errors.LayerError(
          f"unknown layer {name!r} for {self.network}; valid layers: "
          f"{_listed(self.invertible_layers)} (--list_layers prints them "
          "with their filter counts)")
    return name

  def canonical_names(self, layers: Sequence[str]) -> list[str]:
    """Canonical names of `layers`, without duplicates, in given order.

    Raises:
      LayerError: if `layers` is not a collection of names (a list, tuple
        or set; not text, a mapping, an array or a generator), or one is
        unknown.
    """
    if (isinstance(layers, (str, bytes, collections.abc.Mapping))
        or not isinstance(layers, collections.abc.Collection)
        or hasattr(layers, "shape")):
      raise errors.LayerError(
          f"layers must be a list of layer names, not {errors.shown(layers)}")
    result = []
    for layer in layers:
      name = self.canonical_name(layer)
      if name not in result:
        result.append(name)
    return result

  def depth(self, layer: str) -> int:
    """Returns the layer's position among the network's feature-map layers.

    Raises:
      LayerError: if the network has no such layer.
    """
    return self._order[self.canonical_name(layer)]

  def network_order(self, names: Sequence[str]) -> list[str]:
    """Sorts canonical layer names by their depth in the network."""
    return sorted(names, key=self._order.__getitem__)

  def num_filters(self, layer: str) -> int:
    """Returns the number of channels of a layer's output."""
    return graph.channels(self.model, self.canonical_name(layer))


def _listed(names: Sequence[str]) -> str:
  if len(names) <= _LISTED:
    return ", ".join(names)
  return f"{', '.join(names[:_LISTED])} and {len(names) - _LISTED} more"


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
  if not loaded.covered_layers & frozenset(vgg19_names.CONV_LAYERS):
    raise errors.WeightsError(f"{path} holds no VGG19 convolution weights")
  model = keras.applications.VGG19(include_top=False, weights=None)
  return Backbone(model, vgg_weights.assign(model, loaded), path, VGG19)


def check_covered(backbone: Backbone, layer_names: Sequence[str]) -> None:
  """Raises WeightsError unless every weight the layers need was loaded."""
  for name in layer_names:
    missing = [layer for layer in graph.weighted_ancestors(backbone.model, name)
               if layer not in backbone.covered_layers]
    if missing:
      covered = [layer.name for layer in backbone.model.layers
                 if layer.name in backbone.covered_layers]
      hint = (f". Use the full {vgg_weights.IMAGENET_FILENAME} for deeper "
              "layers" if backbone.network == VGG19 else "")
      raise errors.WeightsError(
          f"layer {name} needs weights for {_listed(missing)}, which "
          f"{backbone.source} does not hold; it covers "
          f"{_listed(covered) or 'no layer of this network'}{hint}")


def feature_model(backbone: Backbone,
                  layer_names: Sequence[str],
                  pooling: str = "max",
                  relu_gradient: str = "exact",
                  precision: str = "float32") -> keras.Model:
  """Slices the backbone into a model RGB [0, 1] -> {layer: activations}.

  Args:
    backbone: the network and its weight coverage.
    layer_names: layers by the network's names (for VGG19 also the paper's:
      `block3_conv1`, `conv3_1`, `relu3_1`); a network with a
      classification head also its logits layer (`Backbone.logits`), whose
      output is then the scores before the softmax.
    pooling: `"max"` as trained, or `"avg"` to replace every max pooling by
      average pooling (the choice of the paper and of Gatys et al.).
    relu_gradient: `"exact"`, or `"redirected"` to give the requested
      layers' rectifiers (ReLU, ReLU6) the redirected gradient of
      `activations.redirected_clipped_relu`, so that inverting a code can
      revive a map that never fires (same outputs, different gradient).
    precision: `"float32"`; `"bfloat16"` to compute the convolutions and
      poolings in bfloat16 (mixed precision: the weights stay float32, the
      input and the outputs are float32); or `"auto"`, bfloat16 where the
      device has bfloat16 arithmetic (see `precision`).

  Returns:
    A Keras model taking [B, H, W, 3] RGB images in [0, 1] and returning a
    dict keyed by the canonical layer names.

  Raises:
    LayerError: for an unknown layer name.
    WeightsError: if the weights do not cover a layer the outputs need.
    ArgumentError: for an unknown pooling mode or precision.
  """
  errors.check_choice("pooling", pooling, POOLING_MODES)
  errors.check_choice("relu gradient", relu_gradient, RELU_GRADIENTS)
  compute = precision_lib.resolve(precision).name
  wanted = backbone.canonical_names(layer_names)
  if not wanted:
    raise errors.ArgumentError("a feature model needs at least one layer")
  check_covered(backbone, wanted)
  deepest = backbone.network_order(wanted)[-1]

  inputs = keras.Input((None, None, 3), name="rgb")
  network_input = keras.Input((None, None, 3), name="network_input")
  redirect = wanted if relu_gradient == "redirected" else ()
  policy = "mixed_bfloat16" if compute == precision_lib.BFLOAT16 else None
  # A requested head computes logits: its softmax, if any, is dropped.
  linear = ([backbone.logits[0]] if backbone.logits and backbone.logits[1]
            and backbone.logits[0] in wanted else [])
  truncated = graph.truncated(backbone.model, wanted)
  sliced = keras.models.clone_model(
      truncated, input_tensors=network_input,
      clone_function=activations.layer_swapper(redirect, pooling == "avg",
                                               policy, linear))
  if policy or linear:
    activations.copy_weights(truncated, sliced)
  sliced.trainable = False  # Batch normalisation in inference mode.
  outputs = sliced(preprocessing.from_rgb(inputs, backbone.preprocessing),
                   training=False)
  outputs = {name: keras.ops.cast(value, "float32")
             for name, value in outputs.items()}
  return keras.Model(inputs, outputs,
                     name=f"{backbone.model.name}_to_{deepest}")

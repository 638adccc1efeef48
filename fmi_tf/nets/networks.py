"""Any network: VGG19, a keras.applications CNN, a .keras file, or a model.

`network` is the Python API's way in (also `fmi_tf.network`); `load` is
what the tools call with their `--model` and `--weights`; `record` and
`architecture` let a saved encoder be rebuilt without the original weights
file.
"""

from typing import Optional

import keras

from fmi_tf import errors
from fmi_tf.nets import applications
from fmi_tf.nets import feature_model
from fmi_tf.nets import keras_file
from fmi_tf.nets import vgg19_names
from fmi_tf.nets import weights as weights_files

DEFAULT = feature_model.VGG19
IN_MEMORY_SUFFIX = " (in memory)"
# The network of a record written before records named their network: the
# default network, the only one fmi_tf then knew.
UNNAMED_RECORD = {"network": DEFAULT, "preprocessing": "caffe", "options": {}}


def names() -> tuple[str, ...]:
  """The networks known by name."""
  return (feature_model.VGG19, *applications.APPLICATIONS)


def network(model: "str | keras.Model | feature_model.Backbone" = DEFAULT,
            weights: Optional[str] = None, *, alpha: Optional[float] = None,
            preprocessing: Optional[str] = None) -> feature_model.Backbone:
  """The network whose filters fmi_tf inverts, measures and encodes.

  Examples:
    >>> net = fmi_tf.network("vgg19", weights="vgg19_imagenet_notop.h5")
    >>> mine = keras.applications.MobileNet(alpha=0.25, include_top=False)
    >>> net = fmi_tf.network(mine, preprocessing="tf")

  Args:
    model: `vgg19`, a keras.applications name (`mobilenet`, `resnet50`, ...),
      the path of a .keras file, a functional `keras.Model` with one image
      input (used as it is, with its own weights), or a backbone (returned
      as it is).
    weights: an HDF5 file in keras.applications' layout, or `imagenet`
      (Keras's cache or download); None means `imagenet` for a named
      network and the model's own weights for a file or a `keras.Model`.
    alpha: the width multiplier of networks that take one (MobileNet).
    preprocessing: the input a .keras file or a `keras.Model` expects, a
      mode of `fmi_tf.nets.preprocessing.MODES` (default `unit`: RGB in
      [0, 1]); named networks know their own.

  Returns:
    The backbone: the model, the layers its weights cover and its input.

  Raises:
    ArgumentError: for an unknown model or options it does not take.
    WeightsError: if the weights cannot be had or do not fit.
  """
  if isinstance(model, feature_model.Backbone):
    return model
  if weights is not None:
    weights = errors.check_path("weights", weights)
  if preprocessing is not None:
    errors.check_text("preprocessing", preprocessing)
  if isinstance(model, keras.Model):
    if alpha is not None:
      raise errors.ArgumentError("alpha applies to keras.applications models")
    name = model.name + IN_MEMORY_SUFFIX
    return keras_file.backbone(
        model, name, name, weights,
        preprocessing or keras_file.DEFAULT_PREPROCESSING)
  return load(str(model), weights, alpha, preprocessing)


def load(model: str = DEFAULT, weights: Optional[str] = None,
         alpha: Optional[float] = None,
         preprocessing: Optional[str] = None) -> feature_model.Backbone:
  """Builds a network and loads its weights.

  Args:
    model: `vgg19`, a keras.applications name (`mobilenet`, `resnet50`, ...)
      or the path of a .keras file.
    weights: an HDF5 file in keras.applications' layout, or `imagenet`
      (Keras's cache or download); None means `imagenet`, except for a
      .keras file, which keeps its own weights.
    alpha: the width multiplier of networks that take one (MobileNet);
      default: what Keras's weights file name says.
    preprocessing: a .keras model's input mode (`preprocessing.MODES`);
      named networks know their own.

  Returns:
    The backbone.

  Raises:
    ArgumentError: for an unknown model or options it does not take.
    WeightsError: if the weights cannot be had or do not fit.
  """
  if model.endswith(keras_file.SUFFIX):
    if alpha is not None:
      raise errors.ArgumentError("alpha applies to keras.applications models")
    return keras_file.load(model, weights,
                           preprocessing or keras_file.DEFAULT_PREPROCESSING)
  if preprocessing is not None:
    raise errors.ArgumentError(
        f"{model} knows its own preprocessing; it is set only for .keras "
        "files")
  weights = weights or weights_files.IMAGENET
  if model == feature_model.VGG19:
    if alpha is not None:
      raise errors.ArgumentError("vgg19 takes no alpha")
    return feature_model.vgg19(weights)
  return applications.build(model, weights, alpha)


def record(backbone: feature_model.Backbone) -> dict:
  """What `architecture` needs to rebuild the backbone's network (JSON)."""
  return {"network": backbone.network,
          "preprocessing": backbone.preprocessing,
          "options": dict(backbone.options)}


def architecture(network_record: dict, source: str) -> feature_model.Backbone:
  """Rebuilds a recorded network with untrained weights, all deemed covered.

  The caller loads the weights (e.g. a saved encoder's).

  Args:
    network_record: what `record` returned.
    source: where the weights will come from, for messages.

  Raises:
    ArgumentError: for a record naming no known network.
  """
  network = network_record["network"]
  options = network_record.get("options", {})
  if network.endswith(keras_file.SUFFIX):
    model = keras_file.read_model(network)
  elif network == feature_model.VGG19:
    model = keras.applications.VGG19(include_top=False, weights=None)
  elif network in applications.APPLICATIONS:
    constructor = getattr(keras.applications,
                          applications.APPLICATIONS[network].constructor)
    model = constructor(include_top=False, weights=None, **options)
  else:
    raise errors.ArgumentError(
        f"unknown network {network!r} in {source}; known: "
        f"{', '.join(names())}, or the path of a .keras file")
  covered = frozenset(layer.name for layer in model.layers if layer.weights)
  return feature_model.Backbone(
      model, covered, source, network, network_record["preprocessing"],
      tuple(sorted(options.items())))


def unloaded(model: str = DEFAULT, weights: Optional[str] = None,
             alpha: Optional[float] = None) -> feature_model.Backbone:
  """Builds a network's architecture only, to list its layers offline.

  Args:
    model: as for `load`.
    weights: a weights file whose Keras name sets `alpha`, or None.
    alpha: the width multiplier, for networks that take one.

  Raises:
    ArgumentError: for an unknown model.
  """
  options = {}
  application = applications.APPLICATIONS.get(model)
  if application and application.has_alpha:
    options["alpha"] = (alpha or (weights and applications.alpha_from_filename(
        weights)) or 1.0)
  preprocessing = (application.preprocessing if application
                   else "caffe" if model == feature_model.VGG19
                   else keras_file.DEFAULT_PREPROCESSING)
  return architecture({"network": model, "preprocessing": preprocessing,
                       "options": options}, "--model")


def layer_table(backbone: feature_model.Backbone) -> list[str]:
  """One line per invertible layer: its name (VGG19: and the paper's) and
  number of filters."""
  invertible = backbone.invertible_layers
  width = max(len(name) for name in invertible)
  lines = []
  for name in invertible:
    alias = (f"  {vgg19_names.paper_name(name)}"
             if backbone.network == feature_model.VGG19 else "")
    lines.append(f"{name:<{width}}{alias}  {backbone.num_filters(name)}")
  return lines

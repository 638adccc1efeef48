"""SavedModels for TF Serving: encoder, classifier, end-to-end classifier.

`export` builds the three serving modules of a trained model (`modules`;
their signatures, inputs and outputs are `tf_modules`', their image inputs
`adapters`') and writes each to TF Serving's layout,
`<base>/<name>/<version>/`, the version one more than the highest already
there, all of them or none (`versions.write_all`), with its warmup requests
(`warmup`); then the server's configuration (`server_config`).
Before anything is built, the model's image size and `max_pixels` are
checked, and the encoder is traced once on images of that size.
"""

import os
from typing import Union

from absl import logging
import keras
import tensorflow as tf

from fmi_tf import errors
from fmi_tf import limits
from fmi_tf.io import paths
from fmi_tf.recognition import trained_model
from fmi_tf.recognition import training
from fmi_tf.serving import adapters
from fmi_tf.serving import explain_signature
from fmi_tf.serving import image_headers
from fmi_tf.serving import tf_modules
from fmi_tf.serving import server_config
from fmi_tf.serving import versions
from fmi_tf.serving import warmup


def _check_sizes(image_size, max_pixels) -> None:
  """Raises ArgumentError unless both are counts within their limits."""
  limits.check_count("image size", image_size, 1, limits.MAX_SIZE)
  limits.check_count("max_pixels", max_pixels, 1, limits.MAX_PIXELS)


def _check_encoder_takes(encoder: keras.Model, image_size: int) -> None:
  """Raises ArgumentError if the encoder's layers leave nothing of images
  of side image_size (traced, not run)."""
  try:
    tf.function(encoder).get_concrete_function(
        tf.TensorSpec([1, image_size, image_size, 3], tf.float32))
  except ValueError as e:
    if "Negative dimension size" not in str(e):
      raise
    raise errors.ArgumentError(
        f"image size {image_size} is too small for the encoder: its pooling "
        "leaves no pixels") from None


def _writer(module: tf.Module, name: str, warmup_inputs: dict):
  def write(path):
    named = tf_modules.signatures(module)
    tf.saved_model.save(module, path, signatures=named)
    warmup.write(path, warmup.requests(name, named, warmup_inputs))
  return write


def _warmup_inputs(model: trained_model.TrainedModel) -> dict:
  """The warmup requests' photos, and their descriptors."""
  inputs = warmup.sample_inputs()
  images = adapters.fit_batch(tf.constant(inputs["images"]),
                              model.image_size)
  return {**inputs, "descriptors": model.encoder(images).numpy()}


def modules(model: trained_model.TrainedModel,
            max_pixels: int = image_headers.MAX_PIXELS
            ) -> dict[str, tf.Module]:
  """The three serving modules of a trained model, by name suffix
  (`tf_modules`).

  Raises:
    ArgumentError: if the model's image size or max_pixels is no positive
      integer, or images of that size are too small for the encoder.
  """
  _check_sizes(model.image_size, max_pixels)
  _check_encoder_takes(model.encoder, model.image_size)
  classifier = model.classifier.to_keras()
  temperature = model.classifier.temperature
  return {
      "_encoder": tf_modules.EncoderModule(
          model.encoder, model.image_size, max_pixels),
      "_classifier": tf_modules.ClassifierModule(
          classifier, model.class_names, temperature),
      "": tf_modules.EndToEndModule(
          model.encoder, classifier, model.class_names, model.image_size,
          temperature, max_pixels, explain_signature.explainer(model)),
  }


def export(model: Union[training.TextureClassifier,
                        trained_model.TrainedModel, str, os.PathLike],
           export_base: str, name: str = "texture",
           max_pixels: int = image_headers.MAX_PIXELS) -> dict[str, str]:
  """Exports the encoder, classifier and end-to-end SavedModels.

  What `fmi-texture-export` writes: `<export_base>/<name>_encoder/<v>/`
  (image -> descriptor), `<export_base>/<name>_classifier/<v>/`
  (descriptor -> classes) and `<export_base>/<name>/<v>/` (image -> classes,
  and `explain` where the model can be explained: `explain_signature`),
  each at its next free version v: all three or, on any error, nothing.
  Each holds its TF Serving warmup requests (`warmup`); then
  `<export_base>/models.config` and `batching_parameters.txt`
  (`server_config`) are written, naming every model of the base. An
  in-memory model is exported as it is, with no network rebuilt, so the
  encoder of any Keras model works.

  Args:
    model: a `training.TextureClassifier`, a `trained_model.TrainedModel`,
      or a directory `trained_model.save` (or `fmi-texture-train`) wrote.
    export_base: the base directory (created if needed).
    name: the model's name, a directory of the base (`io.paths`' rule:
      letters, digits, `_` and `-`).
    max_pixels: the image models refuse a request with an image declaring
      more pixels (height × width) than this, before decoding it.

  Returns:
    {model name: the version directory written}.

  Raises:
    ArgumentError: for a directory that holds no trained model, a model
      of no positive image size, or a name that cannot name a directory.
    OutputError: if a file is in the way of a model directory.

  Examples:
    >>> clf = fmi_tf.train_texture_classifier(net, "folder:photos/")
    >>> fmi_tf.export(clf, "exports")
    {'texture_encoder': 'exports/texture_encoder/1',
     'texture_classifier': 'exports/texture_classifier/1',
     'texture': 'exports/texture/1'}
  """
  paths.check_name("model", name)
  errors.check_path("export_base", export_base)
  limits.check_count("max_pixels", max_pixels, 1, limits.MAX_PIXELS)
  if isinstance(model, (str, os.PathLike)):
    model = trained_model.load(os.fspath(model))
  elif isinstance(model, training.TextureClassifier):
    model = model.model
  elif not isinstance(model, trained_model.TrainedModel):
    raise errors.ArgumentError(
        "model must be a TextureClassifier, a TrainedModel or a trained "
        f"model directory, not {errors.shown(model)}")
  built = modules(model, max_pixels)
  unexplained = explain_signature.unexplained_because(model)
  if unexplained:
    logging.warning("%s gets no explain signature: %s", name, unexplained)
  inputs = _warmup_inputs(model)
  written = versions.write_all(export_base, {
      name + suffix: _writer(module, name + suffix, inputs)
      for suffix, module in built.items()})
  server_config.write(export_base, server_config.served_models(export_base))
  return written

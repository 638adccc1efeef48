"""SavedModels for TF Serving: encoder, classifier, end-to-end classifier.

Each model is a `tf.Module` whose signatures do everything in the graph:

* `serving_default` takes `image_bytes`, a [B] batch of encoded images
  (JPEG, PNG or BMP; TF Serving's REST API takes them as `{"b64": ...}`),
  checks the size each one declares in its header (`image_headers`), then
  decodes them, turns JPEGs upright by their EXIF orientation (`exif`) and
  applies the resize/crop policy of
  `datasets.pipeline.fit_image`;
* `serving_uint8` takes `images`, uint8 [B, H, W, 3], and applies the same
  policy.

The encoder returns `descriptors` [B, D]. The classifier takes `descriptors`
(its `serving_default`) and, like the end-to-end model, returns, ranked by
decreasing probability and aligned (the i-th name, id and score belong to
one class, as in TF Serving's classification outputs):

* `class_names` [B, K] (stored in the SavedModel),
* `class_ids` [B, K],
* `scores` [B, K], the calibrated probabilities softmax(margins / T) (see
  `recognition.classifier`),

and, in class order, `probabilities` [B, K] (the same values unranked). The
end-to-end model also has `explain` (`explain_signature`): image bytes in,
the predicted class and its filters ranked by contribution out. A
batch with an image that is no JPEG, PNG or BMP, or that declares more than
`max_pixels` pixels, fails with InvalidArgumentError naming its index, before
anything is decoded; so does a batch of more than `MAX_BATCH` images or
descriptors, and descriptors that give NaN or infinite margins. The fitting
bounds the work per image whatever its aspect ratio
(`pipeline.fit_image`).

The modules hold the Keras models' own tf.Variables and call the models
through closures: a tracked Keras 3 model would save each weight twice, and
the copy that TF Serving's loader (the v1 SavedModel loader, restoring by
name) fills is not the one the signatures read.

Models are written to TF Serving's layout, `<base>/<name>/<version>/`, the
version one more than the highest already there, all of them or none
(`versions.write_all`).
"""

import os
from typing import Optional, Union

from absl import logging
import keras
import tensorflow as tf

from fmi_tf import errors
from fmi_tf import limits
from fmi_tf.datasets import pipeline
from fmi_tf.io import paths
from fmi_tf.recognition import trained_model
from fmi_tf.recognition import training
from fmi_tf.serving import exif
from fmi_tf.serving import explain_signature
from fmi_tf.serving import image_headers
from fmi_tf.serving import server_config
from fmi_tf.serving import versions
from fmi_tf.serving import warmup

BYTES_SPEC = tf.TensorSpec([None], tf.string, name="image_bytes")
UINT8_SPEC = tf.TensorSpec([None, None, None, 3], tf.uint8, name="images")
# The most images one request (or one batch TF Serving's batching forms) may
# hold: the work per request is bounded in the graph.
MAX_BATCH = 32


def bounded_batch(batch: tf.Tensor) -> tf.Tensor:
  """The batch, once it is checked to hold at most `MAX_BATCH` elements.

  Raises:
    tf.errors.InvalidArgumentError: when the graph runs, for a larger batch,
      naming the limit.
  """
  count = tf.shape(batch)[0]
  check = tf.debugging.Assert(count <= MAX_BATCH, [
      f"a request may hold at most {MAX_BATCH} images or descriptors "
      "(MAX_BATCH); this one holds", count])
  with tf.control_dependencies([check]):
    return tf.identity(batch)


def decode_batch(image_bytes: tf.Tensor, size: int,
                 max_pixels: int = image_headers.MAX_PIXELS) -> tf.Tensor:
  """[B] encoded images -> float [B, size, size, 3] in [0, 1], upright.

  Raises:
    tf.errors.InvalidArgumentError: when an element is not an image or
      declares more than max_pixels pixels (checked before decoding).
  """
  checked = image_headers.check(bounded_batch(image_bytes), max_pixels)
  return tf.map_fn(lambda data: pipeline.fit_image(exif.upright(data), size),
                   checked, fn_output_signature=tf.TensorSpec([size, size, 3]))


def fit_batch(images: tf.Tensor, size: int) -> tf.Tensor:
  """uint8 [B, H, W, 3] -> float [B, size, size, 3] in [0, 1]."""
  return tf.map_fn(lambda image: pipeline.fit_image(image, size),
                   bounded_batch(images),
                   fn_output_signature=tf.TensorSpec([size, size, 3]))


def _ranked(margins: tf.Tensor, temperature: float,
            class_names: tf.Variable) -> dict:
  """Calibrated probabilities, and classes with their scores, ranked.

  Raises:
    tf.errors.InvalidArgumentError: for NaN or infinite margins (from NaN,
      infinite or overflowing descriptors): an error, never a NaN score.
  """
  margins = tf.debugging.assert_all_finite(
      margins, "the classifier's margins are not finite: the descriptors "
      "hold NaN, infinite or overflowing values")
  probabilities = tf.nn.softmax(margins / temperature, axis=-1)
  class_ids = tf.argsort(probabilities, axis=-1, direction="DESCENDING",
                         stable=True)
  return {"class_names": tf.gather(class_names, class_ids),
          "class_ids": class_ids,
          "scores": tf.gather(probabilities, class_ids, batch_dims=1),
          "probabilities": probabilities}


def _untracked(model: keras.Model):
  """model's call, hidden from tracking, and its tf.Variables to track."""
  return (lambda inputs: model(inputs)), [v.value for v in model.variables]


class EncoderModule(tf.Module):
  """Images -> texture descriptors."""

  def __init__(self, encoder: keras.Model, image_size: int,
               max_pixels: int = image_headers.MAX_PIXELS):
    super().__init__(name="texture_encoder")
    self.encoder, self.encoder_variables = _untracked(encoder)
    self.image_size = image_size
    self.max_pixels = max_pixels

  @tf.function(input_signature=[BYTES_SPEC])
  def serve_bytes(self, image_bytes):
    images = decode_batch(image_bytes, self.image_size, self.max_pixels)
    return {"descriptors": self.encoder(images)}

  @tf.function(input_signature=[UINT8_SPEC])
  def serve_uint8(self, images):
    return {"descriptors": self.encoder(fit_batch(images, self.image_size))}


class ClassifierModule(tf.Module):
  """Descriptors -> ranked classes and calibrated probabilities."""

  def __init__(self, classifier: keras.Model, class_names: tuple[str, ...],
               temperature: float = 1.0):
    super().__init__(name="texture_classifier")
    self.classifier, self.classifier_variables = _untracked(classifier)
    self.temperature = float(temperature)
    self.class_names = tf.Variable(list(class_names), trainable=False,
                                   name="class_names")
    size = classifier.inputs[0].shape[-1]
    self.serve_descriptors = tf.function(
        self._serve, input_signature=[
            tf.TensorSpec([None, size], tf.float32, name="descriptors")])

  def _serve(self, descriptors):
    return _ranked(self.classifier(bounded_batch(descriptors)),
                   self.temperature,
                   self.class_names)


class EndToEndModule(tf.Module):
  """Images -> ranked classes and calibrated probabilities."""

  def __init__(self, encoder: keras.Model, classifier: keras.Model,
               class_names: tuple[str, ...], image_size: int,
               temperature: float = 1.0,
               max_pixels: int = image_headers.MAX_PIXELS,
               explainer: Optional[explain_signature.Explainer] = None):
    super().__init__(name="texture_classifier_end_to_end")
    self.encoder, self.encoder_variables = _untracked(encoder)
    self.classifier, self.classifier_variables = _untracked(classifier)
    self.temperature = float(temperature)
    self.image_size = image_size
    self.max_pixels = max_pixels
    self.class_names = tf.Variable(list(class_names), trainable=False,
                                   name="class_names")
    self.explainer = explainer
    if explainer is not None:
      self.serve_explain = tf.function(self._explain,
                                       input_signature=[BYTES_SPEC])

  def _explain(self, image_bytes):
    descriptors = self.encoder(decode_batch(image_bytes, self.image_size,
                                            self.max_pixels))
    probabilities = tf.nn.softmax(
        self.classifier(descriptors) / self.temperature, axis=-1)
    return self.explainer(descriptors, probabilities, self.class_names)

  def _classify(self, images):
    return _ranked(self.classifier(self.encoder(images)), self.temperature,
                   self.class_names)

  @tf.function(input_signature=[BYTES_SPEC])
  def serve_bytes(self, image_bytes):
    return self._classify(decode_batch(image_bytes, self.image_size,
                                       self.max_pixels))

  @tf.function(input_signature=[UINT8_SPEC])
  def serve_uint8(self, images):
    return self._classify(fit_batch(images, self.image_size))


def signatures(module: tf.Module) -> dict:
  """The module's signatures: serving_default (+ serving_uint8 for images,
  + explain for an end-to-end model that can be explained)."""
  if isinstance(module, ClassifierModule):
    return {"serving_default": module.serve_descriptors}
  named = {"serving_default": module.serve_bytes,
           "serving_uint8": module.serve_uint8}
  if getattr(module, "explainer", None) is not None:
    named[explain_signature.NAME] = module.serve_explain
  return named


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


def export_versioned(module: tf.Module, export_base: str, name: str,
                     warmup_inputs: Optional[dict] = None) -> str:
  """Saves module as `<export_base>/<name>/<next version>`; returns it.

  warmup_inputs: {input name: batch} of its warmup requests; by default
  `warmup.sample_inputs()`, which feeds the image models (a classifier
  module needs `descriptors` too).
  """
  inputs = warmup_inputs or warmup.sample_inputs()
  return versions.write_all(export_base,
                            {name: _writer(module, name, inputs)})[name]


def _writer(module: tf.Module, name: str, warmup_inputs: dict):
  def write(path):
    named = signatures(module)
    tf.saved_model.save(module, path, signatures=named)
    warmup.write(path, warmup.requests(name, named, warmup_inputs))
  return write


def _warmup_inputs(model: trained_model.TrainedModel) -> dict:
  """The warmup requests' photos, and their descriptors."""
  inputs = warmup.sample_inputs()
  images = fit_batch(tf.constant(inputs["images"]), model.image_size)
  return {**inputs, "descriptors": model.encoder(images).numpy()}


def modules(model: trained_model.TrainedModel,
            max_pixels: int = image_headers.MAX_PIXELS
            ) -> dict[str, tf.Module]:
  """The three serving modules of a trained model, by name suffix.

  Raises:
    ArgumentError: if the model's image size or max_pixels is no positive
      integer, or images of that size are too small for the encoder.
  """
  _check_sizes(model.image_size, max_pixels)
  _check_encoder_takes(model.encoder, model.image_size)
  classifier = model.classifier.to_keras()
  temperature = model.classifier.temperature
  return {
      "_encoder": EncoderModule(model.encoder, model.image_size, max_pixels),
      "_classifier": ClassifierModule(classifier, model.class_names,
                                      temperature),
      "": EndToEndModule(model.encoder, classifier, model.class_names,
                         model.image_size, temperature, max_pixels,
                         explain_signature.explainer(model)),
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

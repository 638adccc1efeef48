"""The serving models as `tf.Module`s: encoder, classifier, end to end.

The image models share one base, `ImageModule`, which writes the serving
functions once over the shared input adapters (`adapters`): `serve_bytes`
(the `serving_default` signature, `image_bytes` in) and `serve_uint8`
(`serving_uint8`, `images` in) both fit their images and hand them to
`serve`, the one thing the two image models do differently:

* `EncoderModule.serve` returns `descriptors` [B, D];
* `EndToEndModule.serve` returns the classes, as `ClassifierModule` does
  for `descriptors` in (its `serving_default`).

The classes come ranked by decreasing probability and aligned (the i-th
name, id and score belong to one class, as in TF Serving's classification
outputs):

* `class_names` [B, K] (stored in the SavedModel),
* `class_ids` [B, K],
* `scores` [B, K], the calibrated probabilities softmax(margins / T) (see
  `recognition.classifier`),

and, in class order, `probabilities` [B, K] (the same values unranked). The
end-to-end model also has `explain` (`explain_signature`): image bytes in,
the predicted class and its filters ranked by contribution out.
Descriptors that give NaN or infinite margins fail with
InvalidArgumentError.

The modules hold the Keras models' own tf.Variables and call the models
through closures: a tracked Keras 3 model would save each weight twice, and
the copy that TF Serving's loader (the v1 SavedModel loader, restoring by
name) fills is not the one the signatures read.
"""

from typing import Optional

import keras
import tensorflow as tf

from fmi_tf.serving import adapters
from fmi_tf.serving import explain_signature
from fmi_tf.serving import image_headers


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


class ImageModule(tf.Module):
  """Images -> what `serve` computes, by encoded bytes or by uint8 pixels.

  Attributes:
    encoder: the encoder's call (its variables in `encoder_variables`).
    image_size: the side of the square the images are fitted to.
    max_pixels: the most pixels an encoded image may declare.
  """

  def __init__(self, name: str, encoder: keras.Model, image_size: int,
               max_pixels: int = image_headers.MAX_PIXELS):
    super().__init__(name=name)
    self.encoder, self.encoder_variables = _untracked(encoder)
    self.image_size = image_size
    self.max_pixels = max_pixels

  def serve(self, images: tf.Tensor) -> dict:
    """The outputs of float images [B, S, S, 3] in [0, 1]."""
    raise NotImplementedError

  def decoded(self, image_bytes: tf.Tensor) -> tf.Tensor:
    """Encoded images fitted as `serve` takes them (`adapters`)."""
    return adapters.decode_batch(image_bytes, self.image_size,
                                 self.max_pixels)

  @tf.function(input_signature=[adapters.BYTES_SPEC])
  def serve_bytes(self, image_bytes):
    return self.serve(self.decoded(image_bytes))

  @tf.function(input_signature=[adapters.UINT8_SPEC])
  def serve_uint8(self, images):
    return self.serve(adapters.fit_batch(images, self.image_size))


class EncoderModule(ImageModule):
  """Images -> texture descriptors."""

  def __init__(self, encoder: keras.Model, image_size: int,
               max_pixels: int = image_headers.MAX_PIXELS):
    super().__init__("texture_encoder", encoder, image_size, max_pixels)

  def serve(self, images):
    return {"descriptors": self.encoder(images)}


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
    return _ranked(self.classifier(adapters.bounded_batch(descriptors)),
                   self.temperature, self.class_names)


class EndToEndModule(ImageModule):
  """Images -> ranked classes and calibrated probabilities."""

  def __init__(self, encoder: keras.Model, classifier: keras.Model,
               class_names: tuple[str, ...], image_size: int,
               temperature: float = 1.0,
               max_pixels: int = image_headers.MAX_PIXELS,
               explainer: Optional[explain_signature.Explainer] = None):
    super().__init__("texture_classifier_end_to_end", encoder, image_size,
                     max_pixels)
    self.classifier, self.classifier_variables = _untracked(classifier)
    self.temperature = float(temperature)
    self.class_names = tf.Variable(list(class_names), trainable=False,
                                   name="class_names")
    self.explainer = explainer
    if explainer is not None:
      self.serve_explain = tf.function(
          self._explain, input_signature=[adapters.BYTES_SPEC])

  def serve(self, images):
    return _ranked(self.classifier(self.encoder(images)), self.temperature,
                   self.class_names)

  def _explain(self, image_bytes):
    descriptors = self.encoder(self.decoded(image_bytes))
    probabilities = tf.nn.softmax(
        self.classifier(descriptors) / self.temperature, axis=-1)
    return self.explainer(descriptors, probabilities, self.class_names)


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

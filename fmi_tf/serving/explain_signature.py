"""The `explain` signature of the end-to-end export, computed in the graph.

It takes `image_bytes` as `serving_default` does and returns, per image, the
predicted class and every filter ranked by its contribution to that class's
score (`recognition.explanation`: the weight times the descriptor minus the
training mean):

* `class_names` [B], `class_ids` [B] and `scores` [B]: the predicted class
  and its calibrated probability;
* `filter_layers` [B, D], `filter_ids` [B, D] and `contributions` [B, D]:
  the D filters, largest contribution first (the i-th layer, id and
  contribution belong to one filter); a client keeps the first k.

Only descriptors whose dimensions are filters (the `energy` and `gap`
encoders) are explained so; a `gram` descriptor's dimensions are Gram
entries, pairs of (often projected) channels, and a classifier saved before
classifiers kept their training mean cannot be explained: their exports
have no `explain` signature (`unexplained_because` says why).
"""

import dataclasses
from typing import Optional

import numpy as np
import tensorflow as tf

from fmi_tf.recognition import explanation
from fmi_tf.recognition import trained_model
from fmi_tf.serving import explanations

NAME = explanations.SIGNATURE
OUTPUTS = explanations.OUTPUTS


@dataclasses.dataclass(frozen=True)
class Explainer:
  """What the graph needs to explain a class score.

  Attributes:
    weights: float32 [D, K], the classifier's weights.
    mean: float32 [D], the mean training descriptor.
    layers: the layer of each dimension, [D].
    filters: the filter of each dimension, int32 [D].
  """
  weights: np.ndarray
  mean: np.ndarray
  layers: tuple[str, ...]
  filters: np.ndarray

  def __call__(self, descriptors: tf.Tensor, probabilities: tf.Tensor,
               class_names: tf.Tensor) -> dict:
    """The signature's outputs for descriptors [B, D] and probabilities
    [B, K] (the calibrated ones of the same images)."""
    predicted = tf.argmax(probabilities, axis=-1, output_type=tf.int32)
    weights = tf.gather(tf.transpose(tf.constant(self.weights)), predicted)
    parts = weights * (descriptors - tf.constant(self.mean))
    ranked = tf.argsort(parts, axis=-1, direction="DESCENDING", stable=True)
    return {
        "class_names": tf.gather(class_names, predicted),
        "class_ids": predicted,
        "scores": tf.gather(probabilities, predicted, batch_dims=1),
        "filter_layers": tf.gather(tf.constant(self.layers), ranked),
        "filter_ids": tf.gather(tf.constant(self.filters, tf.int32), ranked),
        "contributions": tf.gather(parts, ranked, batch_dims=1),
    }


def unexplained_because(model: trained_model.TrainedModel) -> Optional[str]:
  """Why the model's export gets no `explain` signature; None if it does."""
  if model.classifier.mean is None:
    return ("its classifier was saved before classifiers kept their "
            "training mean; train it again")
  if model.config.kind == "gram":
    return ("its gram descriptor's dimensions are Gram entries, not "
            "filters")
  return None


def explainer(model: trained_model.TrainedModel) -> Optional[Explainer]:
  """The model's Explainer, or None (`unexplained_because`)."""
  if unexplained_because(model):
    return None
  units = explanation.descriptor_units(model.encoder)
  return Explainer(model.classifier.weights.astype(np.float32),
                   model.classifier.mean.astype(np.float32), units.layers,
                   units.indices.astype(np.int32))

"""One texture-recognition experiment: encode a dataset, fit, evaluate.

The encoder's statistics of each image of both parts are read from the
descriptor cache (encoded there once per scale, by the encoder's own
layers) and pooled into descriptors, a linear classifier is fitted on the
training part, and the held-out part is scored. Timings of each stage go
into the report.
"""

import dataclasses
import time
from typing import Optional

import keras
import numpy as np

from fmi_tf import datasets
from fmi_tf import errors
from fmi_tf import limits
from fmi_tf.nets import feature_model
from fmi_tf.nets import networks
from fmi_tf.recognition import classifier as linear
from fmi_tf.recognition import descriptor_cache
from fmi_tf.recognition import encoder as texture_encoder
from fmi_tf.recognition import evaluation


@dataclasses.dataclass(frozen=True)
class Setup:
  """How images are encoded and descriptors classified; checked when made.

  Attributes:
    image_size: side of the square images the encoder sees.
    method: the linear classifier, `svm` or `softmax`.
    regularization: the classifier's C (inverse L2 strength).
    batch_size: images per encoder call.

  Raises:
    ArgumentError: for sizes that are no positive integers, an unknown
      method or a C that is not finite and positive.
  """
  image_size: int = 224
  method: str = "svm"
  regularization: float = linear.DEFAULT_C
  batch_size: int = 16

  def __post_init__(self):
    limits.check_count("image_size", self.image_size, 1, limits.MAX_SIZE)
    limits.check_count("batch_size", self.batch_size, 1, limits.MAX_BATCH)
    errors.check_choice("classifier", self.method, linear.METHODS)
    linear.check_regularization(self.regularization)


@dataclasses.dataclass(frozen=True)
class Outcome:
  """A fitted classifier and its evaluation."""
  classifier: linear.LinearClassifier
  report: dict


def cache_for(dataset: datasets.Dataset, image_size: int,
              backbone: feature_model.Backbone, directory: Optional[str],
              progress: Optional[descriptor_cache.ProgressFactory] = None
              ) -> descriptor_cache.DescriptorCache:
  """The statistics cache of this dataset, image size, network and weights.

  The weights are named by their source and a digest of the covered
  layers' values (the others are random), computed only with a directory.
  `progress` shows the encoding's progress (None: nothing is shown).
  """
  if directory is not None:
    directory = errors.check_path("cache_dir", directory)
  record = {"dataset": dataset.name, "image_size": image_size,
            "weights": backbone.source, "network": networks.record(backbone)}
  if directory:
    record["weights_digest"] = descriptor_cache.weights_digest(
        [backbone.model.get_layer(name)
         for name in sorted(backbone.covered_layers)])
  return descriptor_cache.DescriptorCache(directory, record, progress)


def run(dataset: datasets.Dataset, encoder: keras.Model, setup: Setup,
        cache: descriptor_cache.DescriptorCache) -> Outcome:
  """Encodes both parts with `encoder`, fits on train, evaluates on test.

  Args:
    dataset: the images and their split.
    encoder: a model `encoder.build` made.
    setup: the image size, the classifier and the batch size.
    cache: the statistics cache of this dataset, image size and network.

  Returns:
    The classifier and a report (see `evaluation.report`) with the
    descriptor size, the skipped images and the timings in seconds.
  """
  train = cache.encode(encoder, dataset.train, setup.image_size,
                       setup.batch_size, "encode train")
  test = cache.encode(encoder, dataset.test, setup.image_size,
                      setup.batch_size, "encode test")
  start = time.perf_counter()
  fitted = linear.train(train.descriptors, train.labels, dataset.class_names,
                        setup.method, setup.regularization)
  fit_seconds = time.perf_counter() - start
  start = time.perf_counter()
  predicted = fitted.predict(test.descriptors)
  predict_seconds = time.perf_counter() - start
  report = evaluation.report(test.labels, predicted, dataset.class_names)
  config = texture_encoder.descriptor_layer(encoder).config
  encoded = len(train.names) + len(test.names)
  encode_seconds = train.seconds + test.seconds
  report.update({
      "dataset": dataset.name,
      "protocol": dataset.protocol,
      "encoder": config.to_dict(),
      "image_size": setup.image_size,
      "classifier": {"method": setup.method, "C": setup.regularization},
      "descriptor_size": int(encoder.outputs[0].shape[-1]),
      "train_images": len(train.names),
      "test_images": len(test.names),
      "skipped_images": list(train.skipped + test.skipped),
      "timings": {
          "encode_seconds": encode_seconds,
          "encode_images_per_second": (
              encoded / encode_seconds if encode_seconds else None),
          "fit_seconds": fit_seconds,
          "predict_seconds": predict_seconds,
      },
  })
  return Outcome(fitted, report)


def mean_and_std(values: list[float]) -> tuple[float, float]:
  """Mean and (population) standard deviation."""
  return float(np.mean(values)), float(np.std(values))

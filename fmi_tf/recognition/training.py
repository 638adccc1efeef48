"""Training a texture classifier on any network: the library's entry point.

`train_texture_classifier` is what `fmi-texture-train` runs: it builds the
encoder of a network once, encodes a dataset's images with it (through the
descriptor cache), fits a linear classifier on the training part and scores
the held-out part. The `TextureClassifier` it returns holds that very
encoder, so it classifies images, saves the run directory that
`fmi-texture-export` reads, and exports (`fmi_tf.serving.export.export`)
with no file and no rebuilt network: a user's in-memory Keras model works
as well as a named network.
"""

import base64
import dataclasses
import io
import os
from typing import Optional

import numpy as np

from fmi_tf import datasets
from fmi_tf import errors
from fmi_tf import limits
from fmi_tf.io import outputs
from fmi_tf.io import summaries
from fmi_tf.nets import feature_model
from fmi_tf.nets import networks
from fmi_tf.recognition import classifier as linear
from fmi_tf.recognition import descriptor_cache
from fmi_tf.recognition import encoder as texture_encoder
from fmi_tf.recognition import encoder_config
from fmi_tf.recognition import evaluation
from fmi_tf.recognition import experiment
from fmi_tf.recognition import explanation
from fmi_tf.recognition import fitting
from fmi_tf.recognition import memory
from fmi_tf.recognition import remote_cache
from fmi_tf.io import directories
from fmi_tf.recognition import trained_model

REPORT_FILE = "report.json"
CONFUSION_FILE = "confusion.png"
LOGS_SUBDIRECTORY = "logs"
_BATCH_SIZE = 16

@dataclasses.dataclass(frozen=True)
class TextureClassifier:
  """A trained texture classifier and its evaluation on held-out images.

  Attributes:
    model: the encoder, its configuration and the linear classifier.
    report: accuracy, per-class accuracy, confusion matrix, class names,
      descriptor size, image counts and timings (`experiment.run`).
  """
  model: trained_model.TrainedModel
  report: dict

  @property
  def class_names(self) -> tuple[str, ...]:
    return self.model.class_names

  @property
  def accuracy(self) -> float:
    """The share of held-out images classified right."""
    return self.report["accuracy"]

  def probabilities(self, images: fitting.Images) -> np.ndarray:
    """Calibrated class probabilities [N, K] of images, in class order.

    Args:
      images: image paths or RGB arrays in [0, 1] (see `fitting.Images`),
        resized and cropped as in training.

    Raises:
      ImageError: for a file that cannot be read or decoded.
    """
    fitted = fitting.fitted_images(images, self.model.image_size)
    descriptors = [self.model.encoder(fitted[i:i + _BATCH_SIZE]).numpy()
                   for i in range(0, len(fitted), _BATCH_SIZE)]
    if not descriptors:
      return np.zeros((0, len(self.class_names)), np.float32)
    return self.model.classifier.probabilities(np.concatenate(descriptors))

  def explain(self, images: fitting.Images, k: int = explanation.DEFAULT_K
              ) -> list[explanation.Explanation]:
    """Why each image got its class: the k filters contributing most.

    Args:
      images: image paths or RGB arrays in [0, 1] (see `fitting.Images`).
      k: how many filters (Gram entries for `gram`) each explanation lists.

    Returns:
      One `explanation.Explanation` per image; in a notebook it shows the
      image, its class and the filters' contribution bars (and pictures,
      after `fmi_tf.microscope.explanation_links.attach`).

    Raises:
      ArgumentError: for k not in 1..the descriptor size, or a classifier
        saved before classifiers kept their training mean.
      ImageError: for a file that cannot be read or decoded.

    Examples:
      >>> (why,) = clf.explain("bricks.jpg", k=3)
      >>> why.class_name, [(c.label, c.contribution) for c in why.top]
    """
    units = explanation.descriptor_units(self.model.encoder)
    explanation.check_explainable(self.model.classifier)
    explanation.check_k(k, units)
    fitted = fitting.fitted_images(images, self.model.image_size)
    descriptors = [self.model.encoder(fitted[i:i + _BATCH_SIZE]).numpy()
                   for i in range(0, len(fitted), _BATCH_SIZE)]
    if not descriptors:
      return []
    pixels = np.round(np.clip(fitted.numpy(), 0, 1) * 255).astype(np.uint8)
    return explanation.explain_descriptors(
        self.model.classifier, units, np.concatenate(descriptors), k, pixels)

  def classify(self, images: fitting.Images,
               top_k: int = 3) -> list[list[tuple[str, float]]]:
    """The `top_k` most probable (class name, probability) of each image.

    Raises:
      ImageError: for a file that cannot be read or decoded.
    """
    top_k = limits.check_count("top_k", top_k, 1, limits.MAX_CHANNELS)
    ranked = []
    for row in self.probabilities(images):
      best = np.argsort(-row, kind="stable")[:top_k]
      ranked.append([(self.class_names[i], float(row[i])) for i in best])
    return ranked

  def confusion_image(self):
    """The held-out confusion matrix drawn as a Pillow image."""
    return evaluation.confusion_image(
        np.asarray(self.report["confusion_matrix"]), self.class_names)

  def save(self, directory: str) -> None:
    """Writes what `fmi-texture-train --out` writes, whole or not at all.

    `directory/model` (the trained model, for `fmi-texture-export`),
    `report.json`, `confusion.png` and TensorBoard logs in `logs/` (the
    accuracies and the confusion matrix), written into a temporary sibling
    and renamed into place (`directories.write_whole`).

    Raises:
      OutputError: if a file cannot be written; nothing is left then.
    """
    with directories.write_whole(directory) as staging:
      self._write(staging)

  def _write(self, directory: str) -> None:
    """Writes the run's files into an existing directory."""
    confusion = self.confusion_image()
    outputs.write_png(os.path.join(directory, CONFUSION_FILE), confusion)
    writer = summaries.SummaryWriter(
        os.path.join(directory, LOGS_SUBDIRECTORY))
    writer.scalars(0, {"accuracy/test": self.accuracy, **{
        f"accuracy/class/{name}": value
        for name, value in self.report["per_class_accuracy"].items()
        if value is not None}})
    writer.images(0, {"image/confusion_matrix":
                      np.asarray(confusion, np.float32) / 255.0})
    writer.flush()
    trained_model.save(
        os.path.join(directory, trained_model.RUN_SUBDIRECTORY), self.model)
    outputs.write_json(os.path.join(directory, REPORT_FILE), self.report)

  def _repr_html_(self) -> str:
    buffer = io.BytesIO()
    self.confusion_image().save(buffer, format="PNG")
    png = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (
        f"<p><b>{self.model.config.kind} texture classifier</b>, "
        f"{len(self.class_names)} classes, descriptor size "
        f"{self.report['descriptor_size']}: accuracy "
        f"{100 * self.accuracy:.1f} % on {self.report['test_images']} "
        f"held-out images</p><img src=\"data:image/png;base64,{png}\" "
        "alt=\"confusion matrix\"/>")


def train_texture_classifier(
    net: feature_model.Backbone, dataset: datasets.Source,
    encoder: encoder_config.Encoder = "energy", *, image_size: int = 224,
    fold: int = 1,
    C: float = linear.DEFAULT_C, method: str = "svm", batch_size: int = 16,
    cache_dir: Optional[str] = None, out: Optional[str] = None,
    progress: Optional[descriptor_cache.ProgressFactory] = None
) -> TextureClassifier:
  """Encodes a dataset, fits a linear classifier, evaluates it.

  Args:
    net: the network: a Backbone from `fmi_tf.network`, or what it takes
      (a name such as `vgg19`, a `keras.Model`).
    dataset: a `datasets.DatasetSpec` (a spec with its split settings),
      a spec alone as `fmi-texture-train --dataset` takes it
      (`folder:PATH`, `dtd:PATH`, `brodatz:PATH`, `tfds:NAME` or a
      directory; the split settings then their defaults) or a
      `datasets.Dataset`.
    encoder: `energy`, `gram`, `gap` (with their default layers) or an
      `encoder_config.EncoderConfig`.
    image_size: the side of the square the images are resized and cropped
      to.
    fold: the DTD fold, 1..10.
    C: the classifier's inverse L2 regularisation strength.
    method: the linear classifier, `svm` or `softmax`.
    batch_size: images per encoder call.
    cache_dir: a directory caching the images' statistics between runs,
      or the URL of one that `fmi_tf.beam.encoding.encode_dataset_beam`
      filled (`s3://`, `gs://`, ...; the store's options given first to
      `fmi_tf.io.storage.configure`), read through a temporary local copy
      and not written to (`remote_cache`).
    out: if given, the directory `TextureClassifier.save` writes.
    progress: shows the encoding's progress, e.g.
      `fmi_tf.io.progress.Progress`; None shows nothing.

  Returns:
    The classifier, holding the encoder its descriptors came from.

  Raises:
    ArgumentError: for a bad dataset, encoder or classifier setting (every
      number finite and in range), or scales whose encoding would not fit
      in the memory available (`memory.check_encoding`), or a `cache_dir`
      URL holding no descriptors of this dataset, image size, network,
      weights and encoder.
    LayerError, WeightsError: for layers the network lacks or whose
      weights it does not hold.
    OutputError: if `out` cannot be written; it is checked before any
      work and written whole at the end, so a failed run leaves nothing.
      For a `cache_dir` URL whose store does not answer or refuses.

  Examples:
    >>> net = fmi_tf.network("vgg19", weights="vgg19_imagenet_notop.h5")
    >>> clf = fmi_tf.train_texture_classifier(net, "dtd:/data/dtd10",
    ...                                       "gram", image_size=128)
    >>> clf.accuracy
    >>> clf = fmi_tf.train_texture_classifier(
    ...     net, fmi_tf.DatasetSpec("folder:photos/", test_fraction=0.5))
    >>> clf.classify(["bricks.jpg"], top_k=2)  # [[(class, probability), ...]]
    >>> fmi_tf.io.storage.configure(["--s3_endpoint_url=http://store:9000"])
    >>> clf = fmi_tf.train_texture_classifier(
    ...     net, "dtd:/data/dtd10", "gram", cache_dir="s3://cache/dtd10")
  """
  net = networks.network(net)
  progress = errors.check_callable("progress", progress)
  if cache_dir is not None:
    cache_dir = errors.check_path("cache_dir", cache_dir)
  config = encoder_config.resolve(encoder, net)
  setup = experiment.Setup(image_size, method, C, batch_size)
  memory.check_encoding(net, config.scales, image_size, batch_size)
  data = datasets.resolve(dataset, fold)
  encoder_model = texture_encoder.build(net, config)
  texture_encoder.check_image_sizes(net, [config], image_size)
  if out is not None:
    directories.check(out)
  with remote_cache.opened(cache_dir, data, image_size, net, [config],
                           progress) as cache:
    outcome = experiment.run(data, encoder_model, setup, cache)
  classifier = TextureClassifier(
      trained_model.TrainedModel(encoder_model, config, image_size,
                                 outcome.classifier, networks.record(net)),
      outcome.report)
  if out is not None:
    classifier.save(out)
  return classifier

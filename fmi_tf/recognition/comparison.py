"""Texture encoders compared over dataset folds: what fmi-texture-eval runs.

Each image is encoded once per scale, for the statistics of all encoders
together (through the descriptor cache); the folds then only fit and score
linear classifiers on cached statistics. The result is one plain row per
encoder: its accuracy over the folds (mean and standard deviation) and the
folds' reports.
"""

import os
from typing import Mapping, Optional, Sequence, Union

from absl import logging
import numpy as np

from fmi_tf import datasets
from fmi_tf import errors
from fmi_tf import limits
from fmi_tf.io import outputs
from fmi_tf.io import paths
from fmi_tf.nets import feature_model
from fmi_tf.nets import networks
from fmi_tf.recognition import classifier as linear
from fmi_tf.recognition import descriptor_cache
from fmi_tf.recognition import encoder as texture_encoder
from fmi_tf.recognition import encoder_config
from fmi_tf.recognition import evaluation
from fmi_tf.recognition import experiment
from fmi_tf.recognition import layer_statistics
from fmi_tf.recognition import memory
from fmi_tf.io import directories

EVAL_FILE = "eval.json"
PER_CLASS_FILE = "per_class_accuracy.png"
DEFAULT_FOLDS = 10

# Encoders by kind or configuration, or by label: {label: kind or config}.
Encoders = Union[Sequence[encoder_config.Encoder],
                 Mapping[str, encoder_config.Encoder]]


def _labelled(encoders: Encoders, net: feature_model.Backbone
              ) -> dict[str, encoder_config.EncoderConfig]:
  """{label: configuration on the network}; a kind or configuration is
  labelled by kind.

  Raises:
    ArgumentError: for no encoder, an unknown kind or a label given twice.
  """
  if isinstance(encoders, (str, encoder_config.EncoderConfig)):
    encoders = [encoders]
  if not isinstance(encoders, (Mapping, list, tuple)):
    raise errors.ArgumentError(
        "encoders must be a list of encoder kinds or configurations, or "
        f"{{label: encoder}}, not {errors.shown(encoders)}")
  if isinstance(encoders, Mapping):
    labelled = {label: encoder_config.resolve(e, net)
                for label, e in encoders.items()}
  else:
    configs = [encoder_config.resolve(e, net) for e in encoders]
    labelled = {config.kind: config for config in configs}
    if len(labelled) < len(configs):
      raise errors.ArgumentError(
          "two encoders of one kind need labels: pass {label: config}")
  if not labelled:
    raise errors.ArgumentError("name at least one encoder to evaluate")
  return labelled


def _folds(dataset: Union[datasets.Source, Sequence[datasets.Dataset]],
           folds: int) -> list[datasets.Dataset]:
  """The folds of a spec (1..folds), or the datasets given."""
  if isinstance(dataset, (str, datasets.DatasetSpec)):
    return [datasets.resolve(dataset, fold) for fold in range(1, folds + 1)]
  if isinstance(dataset, datasets.Dataset):
    return [dataset]
  if not (isinstance(dataset, (list, tuple)) and dataset and all(
      isinstance(d, datasets.Dataset) for d in dataset)):
    raise errors.ArgumentError(
        "dataset must be a spec such as folder:PATH, a DatasetSpec, a Dataset "
        f"or a list of Datasets, not {errors.shown(dataset)}")
  return [datasets.resolve(fold) for fold in dataset]


def write_report(directory: str, reports: Mapping[str, list[dict]],
                 class_names: Sequence[str]) -> None:
  """Writes eval.json, per_class_accuracy.png and confusion_<label>.png.

  Args:
    directory: where the files go, written whole or not at all
      (`directories.write_whole`).
    reports: {encoder label: its folds' reports}.
    class_names: the classes, in the reports' order.
  """
  with directories.write_whole(directory) as staging:
    _write_report(staging, reports, class_names)


def _write_report(directory: str, reports: Mapping[str, list[dict]],
                  class_names: Sequence[str]) -> None:
  outputs.write_json(paths.join_under(directory, EVAL_FILE), dict(reports))
  per_class = {}
  for label, folds in reports.items():
    values = np.asarray([[r["per_class_accuracy"][n] or 0.0
                          for n in class_names] for r in folds])
    per_class[label] = (values.mean(axis=0), values.std(axis=0))
    matrix = np.sum([r["confusion_matrix"] for r in folds], axis=0)
    outputs.write_png(paths.join_under(directory, f"confusion_{label}.png"),
                      evaluation.confusion_image(matrix, class_names))
  outputs.write_png(paths.join_under(directory, PER_CLASS_FILE),
                    evaluation.per_class_image(per_class, class_names))


def evaluate_texture_encoders(
    net: feature_model.Backbone,
    dataset: Union[datasets.Source, Sequence[datasets.Dataset]],
    encoders: Encoders = encoder_config.KINDS, *,
    folds: int = DEFAULT_FOLDS, image_size: int = 224,
    C: float = linear.DEFAULT_C, method: str = "svm", batch_size: int = 16,
    cache_dir: Optional[str] = None,
    out: Optional[str] = None, report_dir: Optional[str] = None,
    progress: Optional[descriptor_cache.ProgressFactory] = None
) -> list[dict]:
  """Trains and scores each encoder on every fold.

  Args:
    net: the network: a Backbone from `fmi_tf.network`, or what it takes
      (a name such as `vgg19`, a `keras.Model`).
    dataset: a `datasets.DatasetSpec`, or a spec alone as
      `fmi-texture-eval --dataset` takes it, whose folds 1..`folds` are
      evaluated (DTD has 10; other datasets have one split, evaluated
      `folds` times); or one `datasets.Dataset`, or a sequence of them,
      evaluated as the folds (`folds` is then unused).
    encoders: kinds (`energy`, `gram`, `gap`), `encoder_config.EncoderConfig`s,
      or {label: kind or configuration}.
    folds: how many folds of a spec to evaluate (1 to 100).
    image_size: the side of the square the images are resized and cropped
      to.
    C: the classifiers' inverse L2 regularisation strength.
    method: the linear classifier, `svm` or `softmax`.
    batch_size: images per encoder call.
    cache_dir: a directory caching the images' statistics between runs.
    out: if given, a JSON file of {label: the folds' reports}.
    report_dir: if given, a directory for `write_report`'s files.
    progress: shows the encoding's progress, e.g.
      `fmi_tf.io.progress.Progress`; None shows nothing.

  Returns:
    One row per encoder, in the order given: {"encoder": label,
    "descriptor_size", "accuracy_mean", "accuracy_std", "accuracies" (per
    fold), "dataset", "folds", "image_size", "classifier": {"method", "C"},
    "reports" (per fold, as `train_texture_classifier`'s)}.

  Raises:
    ArgumentError: for a bad dataset, encoder or classifier setting.
    LayerError, WeightsError: for layers the network lacks or whose
      weights it does not hold.

  Examples:
    >>> net = fmi_tf.network("vgg19", weights="vgg19_imagenet_notop.h5")
    >>> rows = fmi_tf.evaluate_texture_encoders(
    ...     net, "dtd:/data/dtd10", ("energy", "gap"), folds=3)
    >>> [(r["encoder"], round(r["accuracy_mean"], 3)) for r in rows]
  """
  net = networks.network(net)
  progress = errors.check_callable("progress", progress)
  folds = limits.check_count("folds", folds, 1, limits.MAX_FOLDS)
  if cache_dir is not None:
    cache_dir = errors.check_path("cache_dir", cache_dir)
  configs = _labelled(encoders, net)
  setup = experiment.Setup(image_size, method, C, batch_size)
  memory.check_encoding(net, [s for c in configs.values() for s in c.scales],
                        image_size, batch_size)
  parts = _folds(dataset, folds)
  models = {label: texture_encoder.build(net, config)
            for label, config in configs.items()}
  texture_encoder.check_image_sizes(net, list(configs.values()), image_size)
  if out is not None:
    out = errors.check_path("out", out)
    if os.path.isdir(out):
      raise errors.OutputError(f"{out} is a directory: name the JSON file")
    directories.check(os.path.dirname(os.path.abspath(out)))
  if report_dir is not None:
    report_dir = errors.check_path("report_dir", report_dir)
    directories.check(report_dir)
  cache = experiment.cache_for(parts[0], image_size, net, cache_dir,
                               progress)
  for scale in sorted({s for c in configs.values() for s in c.scales},
                      reverse=True):
    keys = {key for c in configs.values() if scale in c.scales
            for key in layer_statistics.statistic_keys(c)}
    statistics = layer_statistics.statistics_layer(
        net, sorted(keys, key=lambda key: key.name), scale)
    for part, examples in (("train", parts[0].train),
                           ("test", parts[0].test)):
      cache.prefetch(statistics, examples, image_size, batch_size,
                     f"encode {part}")
  reports = {}
  for label, model in models.items():
    reports[label] = []
    for number, part in enumerate(parts, start=1):
      reports[label].append(experiment.run(part, model, setup, cache).report)
      logging.info("%s fold %d: accuracy %.4f", label, number,
                   reports[label][-1]["accuracy"])
  if out is not None:
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    outputs.write_json(out, reports)
  if report_dir is not None:
    write_report(report_dir, reports, parts[0].class_names)
  rows = []
  for label, folded in reports.items():
    accuracies = [r["accuracy"] for r in folded]
    mean, std = experiment.mean_and_std(accuracies)
    rows.append({
        "encoder": label, "descriptor_size": folded[0]["descriptor_size"],
        "accuracy_mean": mean, "accuracy_std": std, "accuracies": accuracies,
        "dataset": parts[0].name, "folds": len(parts),
        "image_size": image_size,
        "classifier": {"method": method, "C": C}, "reports": folded})
  return rows

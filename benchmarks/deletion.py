r"""Are the explanations faithful? Deletion curves of the top-k filters.

For every test image of each fold, the energy classifier's predicted class
is explained (`recognition.explanation`): its filters ranked by
contribution. Deleting a filter sets its energy, the layer's raw statistic
before the signed square root and the per-layer L2 normalisation, to its
mean over the training images; the descriptor is then pooled again, so the
deletion also moves the other filters of its layer through the
normalisation, and the linear decomposition is not simply read back. The
predicted class's score (margin) drops; a faithful explanation's top-k
filters lower it more than k random filters (the deletion curve, the
standard faithfulness test of attributions). Prints, for each k, the mean
drop and the share of predictions that change, for the top-k and for k
random filters (mean over --draws draws), over all the folds' test images.

Usage:
  python benchmarks/deletion.py --dataset=dtd:$FMI_DTD10 \
      --weights=$FMI_VGG19_WEIGHTS --image_size=64 --cache_dir=/tmp/fmi_cache
"""

from absl import app
from absl import flags
import numpy as np

from fmi_tf import datasets
from fmi_tf.io import progress
from fmi_tf.nets import feature_model
from fmi_tf.recognition import classifier as linear
from fmi_tf.recognition import encoder_config
from fmi_tf.recognition import experiment
from fmi_tf.recognition import explanation
from fmi_tf.recognition import layer_statistics
from tools import cli

import machine

_DATASET = flags.DEFINE_string("dataset", None, "Dataset spec.",
                               required=True)
_WEIGHTS = flags.DEFINE_string("weights", None, "VGG19 weights (HDF5).")
_CACHE_DIR = flags.DEFINE_string("cache_dir", None, "Statistics cache.")
_FOLDS = flags.DEFINE_integer("folds", 10, "Folds 1..N.")
_IMAGE_SIZE = flags.DEFINE_integer("image_size", 64, "Image side.")
_KS = flags.DEFINE_list("k", ["1", "2", "5", "10", "20", "50", "100"],
                        "Numbers of filters deleted.")
_DRAWS = flags.DEFINE_integer("draws", 10, "Random draws per image and k.")


def _statistics(cache, examples, keys):
  """Raw per-layer statistics [N, C_l] of the examples, and their labels."""
  tables = [cache.entries(1.0, key) for key in keys]
  names = [n for n in examples.names if all(n in t for t in tables)]
  labels = np.asarray([tables[0][n][0] for n in names])
  return [np.stack([t[n][1] for n in names]) for t in tables], labels


def _pooled(config, parts):
  return layer_statistics.pool(config, [parts]).numpy()


def _delete(parts, means, chosen):
  """The parts with the chosen dimensions [N, k] set to the means."""
  flat = np.concatenate(parts, axis=1).copy()
  rows = np.arange(len(flat))[:, None]
  flat[rows, chosen] = np.concatenate(means)[chosen]
  return np.split(flat, np.cumsum([p.shape[1] for p in parts])[:-1], axis=1)


def _fold_curves(classifier, config, train_parts, test_parts, ks, rng):
  """{k: (top drops, random drops, top changed, random changed)}, and
  "before": the predicted classes' scores."""
  means = [p.mean(axis=0) for p in train_parts]
  x = _pooled(config, test_parts)
  scores = classifier.scores(x)
  predicted = np.argmax(scores, axis=1)
  rows = np.arange(len(x))
  before = scores[rows, predicted]
  ranked = np.argsort(-explanation.contributions(classifier, x, predicted),
                      axis=1, kind="stable")

  def after(chosen):
    deleted = classifier.scores(_pooled(config, _delete(test_parts, means,
                                                        chosen)))
    return (before - deleted[rows, predicted],
            np.argmax(deleted, axis=1) != predicted)

  curves = {"before": before}
  dims = x.shape[1]
  for k in ks:
    top_drop, top_changed = after(ranked[:, :k])
    draws = [after(np.stack([rng.choice(dims, k, replace=False)
                             for _ in rows])) for _ in range(_DRAWS.value)]
    curves[k] = (top_drop, np.mean([d for d, _ in draws], axis=0),
                 top_changed, np.mean([c for _, c in draws], axis=0))
  return curves


def main(argv):
  machine.print_header()
  cli.no_stray_arguments(argv)
  ks = [int(k) for k in _KS.value]
  backbone = feature_model.vgg19(cli.weights_source(_WEIGHTS.value))
  config = encoder_config.EncoderConfig(kind="energy").for_network(backbone)
  keys = layer_statistics.statistic_keys(config)
  statistics = layer_statistics.statistics_layer(backbone, keys, 1.0)
  rng = np.random.default_rng(0)
  gathered = {k: [[], [], [], []] for k in ks}
  accuracies, before = [], []
  for fold in range(1, _FOLDS.value + 1):
    data = datasets.load(_DATASET.value, fold)
    cache = experiment.cache_for(data, _IMAGE_SIZE.value, backbone,
                                 _CACHE_DIR.value, progress.Progress)
    for part in (data.train, data.test):
      cache.prefetch(statistics, part, _IMAGE_SIZE.value)
    train_parts, train_labels = _statistics(cache, data.train, keys)
    test_parts, test_labels = _statistics(cache, data.test, keys)
    classifier = linear.train(_pooled(config, train_parts), train_labels,
                              data.class_names)
    accuracies.append(np.mean(classifier.predict(
        _pooled(config, test_parts)) == test_labels))
    curves = _fold_curves(classifier, config, train_parts, test_parts, ks,
                          rng)
    before.append(curves.pop("before"))
    for k, values in curves.items():
      for gathered_values, value in zip(gathered[k], values):
        gathered_values.append(value)
  images = sum(len(v) for v in gathered[ks[0]][0])
  print(f"\n{data.name}, {_FOLDS.value} folds ({images} test images), "
        f"{_IMAGE_SIZE.value} px, energy relu1_1..5_1 "
        f"({sum(p.shape[1] for p in train_parts)} filters), linear SVM "
        f"C=100, accuracy {100 * np.mean(accuracies):.1f} %; {_DRAWS.value} "
        "random draws per image; predicted class's score before deletion "
        f"{np.mean(np.concatenate(before)):.3f} on average")
  print(f"{'k':>4}  {'top-k drop':>10}  {'random drop':>11}  "
        f"{'top-k changed':>13}  {'random changed':>14}")
  for k in ks:
    top, random, top_changed, random_changed = (
        np.concatenate(v) for v in gathered[k])
    print(f"{k:>4}  {top.mean():10.3f}  {random.mean():11.3f}  "
          f"{100 * top_changed.mean():12.1f}%  "
          f"{100 * random_changed.mean():13.1f}%")


if __name__ == "__main__":
  app.run(main)

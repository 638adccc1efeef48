r"""fmi-texture-eval: every DTD fold for each encoder, one table of mean ± std.

Usage:
  fmi-texture-eval --dataset=dtd:/path/to/dtd10 --encoders=energy,gram,gap \
      --weights=vgg19.h5 --cache_dir=/tmp/fmi_cache [--out=eval.json] \
      [--report_dir=DIR]

Each image is encoded once per scale, for the statistics of all encoders
together (through --cache_dir); the folds then only fit and score linear
classifiers on cached statistics. --report_dir receives `eval.json`,
`per_class_accuracy.png` (mean and std over folds, one bar per encoder) and
`confusion_<encoder>.png` (summed over the folds).
"""

import os

from absl import flags
from absl import logging
import numpy as np

from fmi_tf.io import outputs
from fmi_tf.recognition import encoder
from fmi_tf.recognition import evaluation
from fmi_tf.recognition import experiment
from . import cli
from . import model_flags
from . import texture_flags

_ENCODERS = flags.DEFINE_list(
    "encoders", list(encoder.KINDS), "Encoders to evaluate: "
    + ",".join(encoder.KINDS) + ".")
_FOLDS = flags.DEFINE_integer("folds", 10, "Evaluate folds 1..N.",
                              lower_bound=1, upper_bound=10)
_OUT = flags.DEFINE_string("out", None, "Optional JSON file of all reports.")
_REPORT_DIR = flags.DEFINE_string(
    "report_dir", None, "Optional directory for eval.json, the per-class "
    "accuracy PNG and one confusion matrix PNG per encoder.")


def _write_report(directory: str, reports: dict, class_names) -> None:
  """Writes eval.json, per_class_accuracy.png and confusion_<kind>.png."""
  outputs.write_json(os.path.join(directory, "eval.json"), reports)
  per_class = {}
  for kind, folds in reports.items():
    values = np.asarray([[r["per_class_accuracy"][n] or 0.0
                          for n in class_names] for r in folds])
    per_class[kind] = (values.mean(axis=0), values.std(axis=0))
    matrix = np.sum([r["confusion_matrix"] for r in folds], axis=0)
    outputs.write_png(os.path.join(directory, f"confusion_{kind}.png"),
                      evaluation.confusion_image(matrix, class_names))
  outputs.write_png(os.path.join(directory, "per_class_accuracy.png"),
                    evaluation.per_class_image(per_class, class_names))


def main(argv):
  cli.no_stray_arguments(argv)
  setups = {kind: texture_flags.setup(kind) for kind in _ENCODERS.value}
  folds = [texture_flags.dataset(k) for k in range(1, _FOLDS.value + 1)]
  backbone = model_flags.backbone(texture_flags.WEIGHTS.value)
  if _OUT.value:
    outputs.prepare_file(_OUT.value)
  if _REPORT_DIR.value:
    outputs.prepare_directory(_REPORT_DIR.value)
  first = next(iter(setups.values()))
  cache = experiment.cache_for(folds[0], first, backbone,
                               texture_flags.CACHE_DIR.value)
  for scale in sorted({s for setup in setups.values()
                       for s in setup.encoder.scales}, reverse=True):
    keys = {key for setup in setups.values() if scale in setup.encoder.scales
            for key in encoder.statistic_keys(setup.encoder)}
    for part, examples in (("train", folds[0].train),
                           ("test", folds[0].test)):
      cache.prefetch(backbone, examples, keys, scale, first.image_size,
                     first.batch_size, f"encode {part}")
  rows, reports = [], {}
  for kind, setup in setups.items():
    reports[kind] = []
    for number, fold in enumerate(folds, start=1):
      reports[kind].append(experiment.run(fold, setup, backbone,
                                          cache).report)
      logging.info("%s fold %d: accuracy %.4f", kind, number,
                   reports[kind][-1]["accuracy"])
    accuracies = [r["accuracy"] for r in reports[kind]]
    mean, std = experiment.mean_and_std(accuracies)
    rows.append((kind, reports[kind][0]["descriptor_size"], mean, std))
  print(f"{folds[0].name}, {len(folds)} folds, image size "
        f"{texture_flags.IMAGE_SIZE.value}, classifier "
        f"{texture_flags.CLASSIFIER.value} C={texture_flags.C.value}")
  print(f"{'encoder':<8} {'dim':>7}  accuracy (mean ± std)")
  for kind, size, mean, std in rows:
    print(f"{kind:<8} {size:>7}  {100 * mean:5.1f} ± {100 * std:.1f} %")
  if _OUT.value:
    outputs.write_json(_OUT.value, {k: v for k, v in reports.items()})
  if _REPORT_DIR.value:
    _write_report(_REPORT_DIR.value, reports, folds[0].class_names)


def run():
  cli.run(main)


if __name__ == "__main__":
  run()

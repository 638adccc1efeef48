r"""fmi-texture-eval: every DTD fold for each encoder, one table of mean ± std.

Usage:
  fmi-texture-eval --dataset=dtd:/path/to/dtd10 --encoders=energy,gram,gap \
      --weights=vgg19.h5 --cache_dir=/tmp/fmi_cache [--out=eval.json]

Each image is encoded once per encoder (through --cache_dir); the folds
then only fit and score linear classifiers on cached descriptors.
"""


from absl import flags
from absl import logging

from fmi_tf.io import outputs
from fmi_tf.recognition import encoder
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


def main(argv):
  cli.no_stray_arguments(argv)
  setups = {kind: texture_flags.setup(kind) for kind in _ENCODERS.value}
  folds = [texture_flags.dataset(k) for k in range(1, _FOLDS.value + 1)]
  backbone = model_flags.backbone(texture_flags.WEIGHTS.value)
  models = {kind: encoder.build(backbone, s.encoder)
            for kind, s in setups.items()}
  if _OUT.value:
    outputs.prepare_file(_OUT.value)
  rows, reports = [], {}
  for kind, setup in setups.items():
    cache = experiment.cache_for(folds[0], setup, backbone,
                                 texture_flags.CACHE_DIR.value)
    reports[kind] = []
    for number, fold in enumerate(folds, start=1):
      reports[kind].append(experiment.run(fold, setup, backbone,
                                          models[kind], cache).report)
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


def run():
  cli.run(main)


if __name__ == "__main__":
  run()

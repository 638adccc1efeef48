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

from absl import flags

from fmi_tf.recognition import comparison
from fmi_tf.recognition import encoder_config
from . import cli
from . import model_flags
from . import texture_flags

_ENCODERS = flags.DEFINE_list(
    "encoders", list(encoder_config.KINDS), "Encoders to evaluate: "
    + ",".join(encoder_config.KINDS) + ".")
_FOLDS = flags.DEFINE_integer("folds", comparison.DEFAULT_FOLDS,
                              "Evaluate folds 1..N.", lower_bound=1,
                              upper_bound=10)
_OUT = flags.DEFINE_string("out", None, "Optional JSON file of all reports.")
_REPORT_DIR = flags.DEFINE_string(
    "report_dir", None, "Optional directory for eval.json, the per-class "
    "accuracy PNG and one confusion matrix PNG per encoder.")


def main(argv):
  cli.no_stray_arguments(argv)
  rows = comparison.evaluate_texture_encoders(
      model_flags.backbone(model_flags.WEIGHTS.value),
      texture_flags.dataset(),
      {kind: texture_flags.encoder_for(kind) for kind in _ENCODERS.value},
      folds=_FOLDS.value, out=_OUT.value, report_dir=_REPORT_DIR.value,
      **texture_flags.options())
  first = rows[0]
  print(f"{first['dataset']}, {first['folds']} folds, image size "
        f"{first['image_size']}, classifier {first['classifier']['method']} "
        f"C={first['classifier']['C']}")
  print(f"{'encoder':<8} {'dim':>7}  accuracy (mean ± std)")
  for row in rows:
    print(f"{row['encoder']:<8} {row['descriptor_size']:>7}  "
          f"{100 * row['accuracy_mean']:5.1f} ± "
          f"{100 * row['accuracy_std']:.1f} %")


def run():
  cli.run(main)


if __name__ == "__main__":
  run()

r"""fmi-texture-train: encode a dataset, fit a linear classifier, evaluate.

Usage:
  fmi-texture-train --dataset=dtd:/path/to/dtd10 --fold=1 --encoder=energy \
      --layers=relu1_1,relu2_1,relu3_1 --weights=vgg19.h5 --out=run/

Writes out/report.json (accuracy, per-class accuracy, confusion matrix,
descriptor size, timings), out/confusion.png, TensorBoard logs in out/logs
and the trained model in out/model (for fmi-texture-export).
"""

from absl import flags

from fmi_tf.recognition import encoder
from fmi_tf.recognition import training
from . import cli
from . import model_flags
from . import texture_flags

_FOLD = flags.DEFINE_integer("fold", texture_flags.DEFAULTS["fold"],
                             "DTD fold.", lower_bound=1, upper_bound=10)
_ENCODER = flags.DEFINE_enum("encoder", texture_flags.DEFAULTS["encoder"],
                             list(encoder.KINDS), "Texture descriptor.")
_OUT = flags.DEFINE_string("out", None, "Output directory.", required=True)


def main(argv):
  cli.no_stray_arguments(argv)
  report = training.train_texture_classifier(
      model_flags.backbone(model_flags.WEIGHTS.value),
      texture_flags.DATASET.value,
      texture_flags.encoder_config(_ENCODER.value), fold=_FOLD.value,
      out=_OUT.value, **texture_flags.options()).report
  print(f"accuracy {report['accuracy']:.4f} on {report['test_images']} test "
        f"images ({len(report['skipped_images'])} skipped); "
        f"descriptor size {report['descriptor_size']}")


def run():
  cli.run(main)


if __name__ == "__main__":
  run()

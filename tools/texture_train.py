r"""fmi-texture-train: encode a dataset, fit a linear classifier, evaluate.

Usage:
  fmi-texture-train --dataset=dtd:/path/to/dtd10 --fold=1 --encoder=energy \
      --layers=relu1_1,relu2_1,relu3_1 --weights=vgg19.h5 --out=run/

Writes out/report.json (accuracy, per-class accuracy, confusion matrix,
descriptor size, timings), out/confusion.png, TensorBoard logs in out/logs
and the trained model in out/model (for fmi-texture-export).
"""

import os

from absl import flags
from absl import logging
import numpy as np

from fmi_tf.io import outputs
from fmi_tf.io import summaries
from fmi_tf.nets import networks
from fmi_tf.recognition import encoder
from fmi_tf.recognition import evaluation
from fmi_tf.recognition import experiment
from fmi_tf.recognition import trained_model
from . import cli
from . import model_flags
from . import texture_flags

_FOLD = flags.DEFINE_integer("fold", 1, "DTD fold.", lower_bound=1,
                             upper_bound=10)
_ENCODER = flags.DEFINE_enum("encoder", "energy", list(encoder.KINDS),
                             "Texture descriptor.")
_OUT = flags.DEFINE_string("out", None, "Output directory.", required=True)


def main(argv):
  cli.no_stray_arguments(argv)
  setup = texture_flags.setup(_ENCODER.value)
  dataset = texture_flags.dataset(_FOLD.value)
  backbone = model_flags.backbone(texture_flags.WEIGHTS.value)
  encoder_model = encoder.build(backbone, setup.encoder)
  out_dir = outputs.prepare_directory(_OUT.value)
  cache = experiment.cache_for(dataset, setup, backbone,
                               texture_flags.CACHE_DIR.value)
  outcome = experiment.run(dataset, setup, backbone, cache)
  report = outcome.report
  matrix = np.asarray(report["confusion_matrix"])
  confusion = evaluation.confusion_image(matrix, dataset.class_names)
  outputs.write_png(os.path.join(out_dir, "confusion.png"), confusion)
  writer = summaries.SummaryWriter(os.path.join(out_dir, "logs"))
  writer.scalars(0, {"accuracy/test": report["accuracy"], **{
      f"accuracy/class/{name}": value
      for name, value in report["per_class_accuracy"].items()
      if value is not None}})
  writer.images(0, {"image/confusion_matrix":
                    np.asarray(confusion, np.float32) / 255.0})
  writer.flush()
  trained_model.save(
      os.path.join(out_dir, trained_model.RUN_SUBDIRECTORY),
      trained_model.TrainedModel(encoder_model, setup.encoder,
                                 setup.image_size, outcome.classifier,
                                 networks.record(backbone)))
  outputs.write_json(os.path.join(out_dir, "report.json"), report)
  for name in report["skipped_images"]:
    logging.warning("skipped undecodable image %s", name)
  print(f"accuracy {report['accuracy']:.4f} on {report['test_images']} test "
        f"images ({len(report['skipped_images'])} skipped); "
        f"descriptor size {report['descriptor_size']}")


def run():
  cli.run(main)


if __name__ == "__main__":
  run()

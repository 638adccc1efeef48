r"""fmi-texture-train: encode a dataset, fit a linear classifier, evaluate.

Usage:
  fmi-texture-train --dataset=dtd:/path/to/dtd10 --fold=1 --encoder=energy \
      --layers=relu1_1,relu2_1,relu3_1 --weights=vgg19.h5 --out=run/
  fmi-texture-train --dataset=dtd:/path/to/dtd10 --cache_dir=s3://cache/dtd \
      --s3_endpoint_url=http://127.0.0.1:9000 --s3_access_key_id=KEY \
      --s3_secret_access_key=SECRET --out=run/

Writes out/report.json (accuracy, per-class accuracy, confusion matrix,
descriptor size, timings), out/confusion.png, TensorBoard logs in out/logs
and the trained model in out/model (for fmi-texture-export).

--cache_dir may be the URL (gs://, s3://, any scheme Beam's file systems
speak) of a cache fmi-texture-encode-beam filled: its files of this run are
read through a temporary local copy, and a URL holding none of this run's
dataset, network, weights, image size and encoder is refused. The store's
options are Beam's (--s3_endpoint_url, --s3_access_key_id, ...), accepted
only with a URL --cache_dir; they need pip install "fmi_tf[beam]".
"""

from absl import flags

from fmi_tf.beam import options as beam_options
from fmi_tf.io import storage
from fmi_tf.recognition import encoder_config
from fmi_tf.recognition import training
from . import cli
from . import model_flags
from . import texture_flags

_FOLD = flags.DEFINE_integer("fold", texture_flags.DEFAULTS["fold"],
                             "DTD fold.", lower_bound=1, upper_bound=10)
_ENCODER = flags.DEFINE_enum("encoder", texture_flags.DEFAULTS["encoder"],
                             list(encoder_config.KINDS), "Texture descriptor.")
_OUT = flags.DEFINE_string("out", None, "Output directory.", required=True)


def main(argv):
  if storage.is_url(texture_flags.CACHE_DIR.value) and argv[1:]:
    storage.configure(beam_options.pipeline_options(argv[1:]))
  else:
    cli.no_stray_arguments(argv)
  report = training.train_texture_classifier(
      model_flags.backbone(model_flags.WEIGHTS.value),
      texture_flags.dataset(),
      texture_flags.encoder_for(_ENCODER.value), fold=_FOLD.value,
      out=_OUT.value, **texture_flags.options()).report
  print(f"accuracy {report['accuracy']:.4f} on {report['test_images']} test "
        f"images ({len(report['skipped_images'])} skipped); "
        f"descriptor size {report['descriptor_size']}")


def run():
  cli.run(main, pass_through=True)


if __name__ == "__main__":
  run()

r"""fmi-dataset-examples: the dataset regions each filter responds to most.

Usage:
  fmi-dataset-examples --dataset=dtd:/path/to/dtd10 --layers=relu4_1 \
      --out=examples/
  fmi-dataset-examples --dataset=folder:data/ --all_layers --shard=0/4 \
      --out=examples/

Writes out/<layer>/<filter:04d>.png (its --k crops), out/<layer>.json and
out/examples.json (`fmi_tf.dataset_examples`); a rerun resumes.
"""

from absl import flags
from absl import logging

from fmi_tf.microscope import examples
from fmi_tf.microscope import examples_run
from fmi_tf.nets import precision
from . import cli
from . import dataset_flags
from . import layer_flags
from . import model_flags

_OUT = flags.DEFINE_string("out", None, "Output directory.", required=True)
_K = flags.DEFINE_integer("k", examples.DEFAULT_K, "Regions kept per filter.",
                          lower_bound=1, upper_bound=cli.MAX_BATCH)
_IMAGE_SIZE = flags.DEFINE_integer(
    "image_size", examples.DEFAULT_IMAGE_SIZE, "Side of the square the "
    "images are resized and cropped to.", lower_bound=16,
    upper_bound=cli.MAX_SIZE)
_BATCH_SIZE = flags.DEFINE_integer(
    "batch_size", examples_run.DEFAULT_BATCH_SIZE, "Images per network call.",
    lower_bound=1, upper_bound=cli.MAX_BATCH)
_SHARD = flags.DEFINE_string(
    "shard", "0/1", "Shard i/n (0 <= i < n): every n-th image from the i-th.")
_PRECISION = flags.DEFINE_enum(
    "precision", precision.AUTO, precision.PRECISIONS,
    "What the network computes in: auto picks bfloat16 where the CPU or GPU "
    "has bfloat16 arithmetic, else float32.")
_FOLD = flags.DEFINE_integer("fold", 1, "DTD fold (which split lists).",
                             lower_bound=1, upper_bound=10)


def main(argv):
  cli.no_stray_arguments(argv)
  layers = layer_flags.layers()
  result = examples.dataset_examples(
      model_flags.backbone(model_flags.WEIGHTS.value), layers,
      dataset_flags.DATASET.value, _OUT.value, k=_K.value,
      image_size=_IMAGE_SIZE.value, batch_size=_BATCH_SIZE.value,
      shard=_SHARD.value, precision=_PRECISION.value, fold=_FOLD.value,
      **dataset_flags.reading())
  if result.complete:
    logging.info("wrote the examples of %d layers in %s", len(result.layers),
                 result.out)


def run():
  cli.run(main)


if __name__ == "__main__":
  run()

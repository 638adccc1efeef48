r"""fmi-dataset-examples: the dataset regions each filter responds to most.

Usage:
  fmi-dataset-examples --dataset=dtd:/path/to/dtd10 --layers=relu4_1 \
      --out=examples/
  fmi-dataset-examples --dataset=folder:data/ --all_layers --shard=0/4 \
      --out=examples/

One pass over the dataset's images (both parts of its split) keeps, for
every filter of the layers, its --k strongest responses, and copies the
receptive field of each winning unit, clipped to its image, at the image's
own scale. Writes out/<layer>/<filter:04d>.png (the crops in a row, on a
transparent sheet), out/<layer>.json (scores, boxes, windows, class
profile) and out/examples.json. A rerun resumes an interrupted
pass and reads nothing once the outputs exist; --shard=i/n takes every n-th
image, and the last shard to finish writes the outputs.
"""

from absl import flags
from absl import logging

from fmi_tf import errors
from fmi_tf.atlas import draw
from fmi_tf.microscope import examples
from fmi_tf.nets import precision
from . import cli
from . import model_flags

_DATASET = flags.DEFINE_string(
    "dataset", None, "tfds:NAME, folder:PATH, dtd:PATH, brodatz:PATH or a "
    "directory (DTD if it holds split lists, else an image folder).",
    required=True)
_LAYERS = flags.DEFINE_list("layers", None, "Layers, comma-separated.")
_ALL_LAYERS = flags.DEFINE_bool(
    "all_layers", False, "Every invertible layer the weights reach.")
_OUT = flags.DEFINE_string("out", None, "Output directory.", required=True)
_K = flags.DEFINE_integer("k", examples.DEFAULT_K, "Regions kept per filter.",
                          lower_bound=1, upper_bound=cli.MAX_BATCH)
_IMAGE_SIZE = flags.DEFINE_integer(
    "image_size", examples.DEFAULT_IMAGE_SIZE, "Side of the square the "
    "images are resized and cropped to.", lower_bound=16,
    upper_bound=cli.MAX_SIZE)
_BATCH_SIZE = flags.DEFINE_integer("batch_size", 16,
                                   "Images per network call.", lower_bound=1,
                                   upper_bound=cli.MAX_BATCH)
_SHARD = flags.DEFINE_string(
    "shard", "0/1", "Shard i/n (0 <= i < n): every n-th image from the i-th.")
_PRECISION = flags.DEFINE_enum(
    "precision", precision.AUTO, precision.PRECISIONS,
    "What the network computes in: auto picks bfloat16 where the CPU or GPU "
    "has bfloat16 arithmetic, else float32.")
_FOLD = flags.DEFINE_integer("fold", 1, "DTD fold (which split lists).",
                             lower_bound=1, upper_bound=10)
_TILES_PER_SIDE = flags.DEFINE_integer(
    "tiles_per_side", 4, "Brodatz: tiles per plate side.", lower_bound=2,
    upper_bound=64)
_TFDS_DATA_DIR = flags.DEFINE_string(
    "tfds_data_dir", None, "tensorflow-datasets data directory.")
_TFDS_DOWNLOAD = flags.DEFINE_boolean(
    "tfds_download", False, "Let tensorflow-datasets download and prepare.")


def main(argv):
  cli.no_stray_arguments(argv)
  if bool(_LAYERS.value) == _ALL_LAYERS.value:
    raise errors.ArgumentError("give either --layers or --all_layers")
  result = examples.dataset_examples(
      model_flags.backbone(model_flags.WEIGHTS.value),
      draw.ALL_LAYERS if _ALL_LAYERS.value else _LAYERS.value,
      _DATASET.value, _OUT.value, k=_K.value, image_size=_IMAGE_SIZE.value,
      batch_size=_BATCH_SIZE.value,
      shard=_SHARD.value, precision=_PRECISION.value, fold=_FOLD.value,
      tiles_per_side=_TILES_PER_SIDE.value, data_dir=_TFDS_DATA_DIR.value,
      download=_TFDS_DOWNLOAD.value)
  if result.complete:
    logging.info("wrote the examples of %d layers in %s", len(result.layers),
                 result.out)


def run():
  cli.run(main)


if __name__ == "__main__":
  run()

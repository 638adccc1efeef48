"""The dataset-examples flags of fmi-atlas-beam: fmi-dataset-examples'
settings, named with an examples_ prefix, with its defaults and bounds."""

from absl import flags

from fmi_tf.beam import examples as beam_examples
from fmi_tf.microscope import examples
from . import cli

DATASET = flags.DEFINE_string(
    "examples_dataset", None, "Then find the layers' dataset examples in "
    "this dataset (as fmi-dataset-examples --dataset), with --examples_out.")
OUT = flags.DEFINE_string(
    "examples_out", None, "Directory of the dataset examples.")
SHARDS = flags.DEFINE_integer(
    "examples_shards", None, "Image shards (work items) of the dataset "
    f"examples; default {beam_examples.DEFAULT_SHARDS}, or one per image for "
    "fewer images.", lower_bound=1, upper_bound=cli.MAX_IMAGES_PER_ITEM)
K = flags.DEFINE_integer(
    "examples_k", examples.DEFAULT_K, "Dataset regions kept per filter.",
    lower_bound=1, upper_bound=cli.MAX_BATCH)
IMAGE_SIZE = flags.DEFINE_integer(
    "examples_image_size", examples.DEFAULT_IMAGE_SIZE, "Side of the square "
    "the dataset's images are resized and cropped to.", lower_bound=16,
    upper_bound=cli.MAX_SIZE)


def given() -> dict:
  """The examples keyword arguments of `beam.atlas.draw_atlas_beam`."""
  return {"examples_dataset": DATASET.value or None,
          "examples_out": OUT.value or None,
          "examples_options": {"shards": SHARDS.value, "k": K.value,
                               "image_size": IMAGE_SIZE.value}}

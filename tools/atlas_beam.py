r"""fmi-atlas-beam: fmi-atlas as an Apache Beam pipeline, on any Beam runner.

Usage:
  fmi-atlas-beam --layers=block1_conv1,block2_conv1 --out=atlas/ \
      --runner=DirectRunner --direct_num_workers=2 \
      --direct_running_mode=multi_processing
  fmi-atlas-beam --all_layers --size=224 --weights=/shared/vgg19.h5 \
      --out=/shared/atlas --runner=DataflowRunner --project=P \
      --region=us-central1 --temp_location=gs://B/tmp
  fmi-atlas-beam --layers=block1_conv1 --out=s3://atlas/run1 \
      --weights=s3://models/vgg19.h5 --s3_endpoint_url=http://127.0.0.1:9000 \
      --s3_access_key_id=KEY --s3_secret_access_key=SECRET
  fmi-atlas-beam --layers=relu4_1 --out=atlas/ \
      --examples_dataset=dtd:/shared/dtd --examples_out=examples/ \
      --site_out=site/ --direct_num_workers=2 \
      --direct_running_mode=multi_processing

Writes what fmi-atlas writes (the single PNGs and JSON records, the layer
grids, out/index.html), the same bytes per filter, with the (layer, filter
chunk) items spread over the runner's workers; each worker loads the network
once. A rerun skips filters already done. With --examples_dataset, then
finds the dataset examples of the same layers (what fmi-dataset-examples
writes) with --examples_shards image shards as work items, on the same
runner; with --site_out, then builds the site (what fmi-site writes) from
the atlas and examples. Takes fmi-atlas's flags (except --shard and
--strategy); every other flag goes to Beam: --runner
(DirectRunner, PrismRunner, DataflowRunner, FlinkRunner, SparkRunner;
default DirectRunner) and the runner's options. --out, --examples_out,
--site_out, --weights, --image and the dataset's path may be URLs (gs://,
s3://, any scheme Beam's file systems speak), with the store's Beam options
(--s3_endpoint_url, --s3_access_key_id, ...): the workers then share no
disk. Needs pip install "fmi_tf[beam]".
"""

from absl import flags
from absl import logging

from fmi_tf import errors
from fmi_tf.atlas import draw
from fmi_tf.beam import atlas
from fmi_tf.beam import examples as beam_examples
from fmi_tf.beam import network_spec
from fmi_tf.beam import options as beam_options
from fmi_tf.microscope import examples
from . import beam_interrupt
from . import cli
from . import inversion_flags
from . import model_flags

_LAYERS = flags.DEFINE_list(
    "layers", None, "Layers, comma-separated: block1_conv1,conv2_1,...")
_ALL_LAYERS = flags.DEFINE_bool(
    "all_layers", False, "Every invertible layer the weights reach, instead "
    "of --layers.")
_OVERWRITE = flags.DEFINE_bool(
    "overwrite", False, "Invert every filter again, replacing what --out "
    "holds; without it a rerun keeps the filters made with the same "
    "network, weights, image and settings, and refuses a directory holding "
    "results of other settings.")
_EXAMPLES_DATASET = flags.DEFINE_string(
    "examples_dataset", None, "Then find the layers' dataset examples in "
    "this dataset (as fmi-dataset-examples --dataset), with --examples_out.")
_EXAMPLES_OUT = flags.DEFINE_string(
    "examples_out", None, "Directory of the dataset examples.")
_EXAMPLES_SHARDS = flags.DEFINE_integer(
    "examples_shards", None, "Image shards (work items) of the dataset "
    f"examples; default {beam_examples.DEFAULT_SHARDS}, or one per image for "
    "fewer images.", lower_bound=1, upper_bound=cli.MAX_IMAGES_PER_ITEM)
_EXAMPLES_K = flags.DEFINE_integer(
    "examples_k", examples.DEFAULT_K, "Dataset regions kept per filter.",
    lower_bound=1, upper_bound=cli.MAX_BATCH)
_EXAMPLES_IMAGE_SIZE = flags.DEFINE_integer(
    "examples_image_size", examples.DEFAULT_IMAGE_SIZE, "Side of the square "
    "the dataset's images are resized and cropped to.", lower_bound=16,
    upper_bound=cli.MAX_SIZE)
_SITE_OUT = flags.DEFINE_string(
    "site_out", None, "Then build the site of the atlas (and its dataset "
    "examples) in this directory.")


def main(argv):
  beam_options.require_beam()
  inversion_flags.resolved(model_flags.MODEL.value)  # Bad settings fail first.
  if inversion_flags.LIST_LAYERS.value:
    model_flags.print_layers(model_flags.WEIGHTS.value)
    return
  if bool(_LAYERS.value) == _ALL_LAYERS.value:
    raise errors.ArgumentError("give either --layers or --all_layers")
  spec = network_spec.NetworkSpec(
      model_flags.MODEL.value,
      model_flags.weights_source(model_flags.WEIGHTS.value),
      model_flags.ALPHA.value, model_flags.PREPROCESSING.value)
  result = atlas.draw_atlas_beam(
      spec, draw.ALL_LAYERS if _ALL_LAYERS.value else _LAYERS.value,
      inversion_flags.out_path(), inversion_flags.IMAGE.value,
      pipeline_args=argv[1:], overwrite=_OVERWRITE.value,
      examples_dataset=_EXAMPLES_DATASET.value or None,
      examples_out=_EXAMPLES_OUT.value or None, examples_options={
          "shards": _EXAMPLES_SHARDS.value, "k": _EXAMPLES_K.value,
          "image_size": _EXAMPLES_IMAGE_SIZE.value},
      site_out=_SITE_OUT.value or None, **inversion_flags.given())
  for path in result.grids:
    logging.info("wrote %s", path)
  logging.info("wrote %s", result.contact_sheet)


def run():
  cli.run(beam_interrupt.quiet_on_interrupt(main), pass_through=True)


if __name__ == "__main__":
  run()

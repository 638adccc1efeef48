r"""fmi-atlas-beam: fmi-atlas as an Apache Beam pipeline, on any Beam runner.

Usage:
  fmi-atlas-beam --layers=block1_conv1,block2_conv1 --out=atlas/ \
      --runner=DirectRunner --direct_num_workers=2 \
      --direct_running_mode=multi_processing
  fmi-atlas-beam --all_layers --size=224 --weights=/shared/vgg19.h5 \
      --out=/shared/atlas --runner=DataflowRunner --project=P \
      --region=us-central1 --temp_location=gs://B/tmp

Writes what fmi-atlas writes (the single PNGs and JSON records, the layer
grids, out/index.html), the same bytes per filter, with the (layer, filter
chunk) items spread over the runner's workers; each worker loads the network
once. A rerun skips filters already done. Takes fmi-atlas's flags (except
--shard and --strategy); every other flag goes to Beam: --runner
(DirectRunner, PrismRunner, DataflowRunner, FlinkRunner, SparkRunner;
default DirectRunner) and the runner's options. Needs
pip install "fmi_tf[beam]".
"""

from absl import flags
from absl import logging

from fmi_tf import errors
from fmi_tf.atlas import draw
from fmi_tf.beam import atlas
from fmi_tf.beam import network_spec
from fmi_tf.beam import options as beam_options
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


def main(argv):
  beam_options.require_beam()
  inversion_flags.inversion_config()  # Bad settings fail before any loading.
  if inversion_flags.LIST_LAYERS.value:
    model_flags.print_layers(model_flags.WEIGHTS.value)
    return
  if bool(_LAYERS.value) == _ALL_LAYERS.value:
    raise errors.ArgumentError("give either --layers or --all_layers")
  spec = network_spec.NetworkSpec(
      model_flags.MODEL.value,
      model_flags.weights_source(model_flags.WEIGHTS.value),
      model_flags.ALPHA.value, model_flags.PREPROCESSING.value)
  config, size = inversion_flags.network_settings(spec.model)
  result = atlas.draw_atlas_beam(
      spec, draw.ALL_LAYERS if _ALL_LAYERS.value else _LAYERS.value,
      inversion_flags.out_path(), inversion_flags.IMAGE.value,
      size, pipeline_args=argv[1:], config=config,
      overwrite=_OVERWRITE.value)
  for path in result.grids:
    logging.info("wrote %s", path)
  logging.info("wrote %s", result.contact_sheet)


def run():
  cli.run(main, pass_through=True)


if __name__ == "__main__":
  run()

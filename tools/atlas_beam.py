r"""fmi-atlas-beam: fmi-atlas as an Apache Beam pipeline, on any Beam runner.

Usage:
  fmi-atlas-beam --layers=block1_conv1,block2_conv1 --out=atlas/ \
      --runner=DirectRunner --direct_num_workers=2 \
      --direct_running_mode=multi_processing
  fmi-atlas-beam --layers=relu4_1 --out=atlas/ \
      --examples_dataset=dtd:/shared/dtd --examples_out=examples/ \
      --site_out=site/ --direct_num_workers=2 \
      --direct_running_mode=multi_processing

Writes what fmi-atlas writes (then, with --examples_dataset and --site_out,
what fmi-dataset-examples and fmi-site write), spread over the runner's
workers; paths may be URLs (gs://, s3://, docs/scaling.md). Takes
fmi-atlas's flags but --shard and --strategy; every other flag goes to Beam
(docs/tools.md). Needs pip install "fmi_tf[beam]".
"""

from absl import flags
from absl import logging

from fmi_tf.beam import atlas
from fmi_tf.beam import options as beam_options
from . import beam_interrupt
from . import cli
from . import examples_flags
from . import inversion_flags
from . import layer_flags
from . import model_flags

_OVERWRITE = flags.DEFINE_bool(
    "overwrite", False, "Invert every filter again, replacing what --out "
    "holds; without it a rerun keeps the filters made with the same "
    "network, weights, image and settings, and refuses a directory holding "
    "results of other settings.")
_SITE_OUT = flags.DEFINE_string(
    "site_out", None, "Then build the site of the atlas (and its dataset "
    "examples) in this directory.")


def main(argv):
  beam_options.require_beam()
  inversion_flags.resolved(model_flags.MODEL.value)  # Bad settings fail first.
  if inversion_flags.LIST_LAYERS.value:
    model_flags.print_layers(model_flags.WEIGHTS.value)
    return
  layers = layer_flags.layers()
  result = atlas.draw_atlas_beam(
      model_flags.network_spec_of_flags(), layers,
      inversion_flags.out_path(), inversion_flags.IMAGE.value,
      pipeline_args=argv[1:], overwrite=_OVERWRITE.value,
      site_out=_SITE_OUT.value or None, **examples_flags.given(),
      **inversion_flags.given())
  for path in (*result.grids, result.contact_sheet):
    logging.info("wrote %s", path)


def run():
  cli.run(beam_interrupt.quiet_on_interrupt(main), pass_through=True)


if __name__ == "__main__":
  run()

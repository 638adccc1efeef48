r"""fmi-invert: the texture primitive of chosen filters, by feature-map inversion.

Usage:
  fmi-invert --image=cat.jpg --layer=block2_conv1 --filters=0,5,9 --out=out/

Writes out/<layer>_<filter:04d>.png and .json for every filter.
"""

from absl import flags

from fmi_tf.inversion import atlas
from fmi_tf.inversion import filters
from fmi_tf.io import images
from fmi_tf.io import outputs
from fmi_tf.io import progress
from fmi_tf.io import summaries
from fmi_tf.nets import feature_model
from fmi_tf.nets import layers
from . import cli
from . import inversion_flags

_LAYER = flags.DEFINE_string(
    "layer", None, "Layer: block2_conv1, conv2_1 or relu2_1.", required=True)
_FILTERS = flags.DEFINE_string(
    "filters", "0:8", "Filters: 0,5,9 or 0:64 or all.")


def main(argv):
  cli.no_stray_arguments(argv)
  config = inversion_flags.inversion_config()
  layer = layers.canonical_name(_LAYER.value)
  image = images.load_image(inversion_flags.IMAGE.value,
                            inversion_flags.SIZE.value)
  backbone = feature_model.vgg19(
      cli.weights_source(inversion_flags.WEIGHTS.value))
  writer = summaries.SummaryWriter(inversion_flags.LOGDIR.value)
  inverter = filters.FilterInverter(backbone, layer, config, writer)
  filter_ids = filters.parse_filters(_FILTERS.value, inverter.num_filters)
  out_dir = outputs.prepare_directory(inversion_flags.OUT.value)
  with progress.Progress(len(filter_ids), description=inverter.layer) as bar:
    atlas.invert_to_directory(inverter, image, filter_ids, out_dir,
                              inversion_flags.run_settings(config), bar)
  writer.flush()


def run():
  cli.run(main)


if __name__ == "__main__":
  run()

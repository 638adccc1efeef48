r"""fmi-atlas: every filter of whole layers, as labelled grids.

Usage:
  fmi-atlas --layers=block1_conv1,block2_conv1 --out=atlas/

Writes out/<layer>.png (the grid) plus the single PNGs and JSON records of
fmi-invert. A rerun skips filters already done.
"""

from absl import flags
from absl import logging

from fmi_tf import atlas
from fmi_tf import cli
from fmi_tf import feature_model
from fmi_tf import images
from fmi_tf import inversion
from fmi_tf import layers
from fmi_tf import outputs
from fmi_tf import progress
from fmi_tf import summaries
from tools import inversion_flags

_LAYERS = flags.DEFINE_list(
    "layers", None, "Layers, comma-separated: block1_conv1,conv2_1,...",
    required=True)


def main(argv):
  cli.no_stray_arguments(argv)
  config = inversion_flags.inversion_config()
  layer_names = layers.canonical_names(_LAYERS.value)
  image = images.load_image(inversion_flags.IMAGE.value,
                            inversion_flags.SIZE.value)
  backbone = feature_model.vgg19(
      cli.weights_source(inversion_flags.WEIGHTS.value))
  feature_model.check_covered(backbone, layer_names)
  out_dir = outputs.prepare_directory(inversion_flags.OUT.value)
  writer = summaries.SummaryWriter(inversion_flags.LOGDIR.value)
  todo = {name: atlas.pending(out_dir, name,
                              range(backbone.num_filters(name)))
          for name in layer_names}
  total = sum(len(ids) for ids in todo.values())
  skipped = sum(backbone.num_filters(n) for n in layer_names) - total
  if skipped:
    logging.info("resuming: %d filters already done", skipped)
  with progress.Progress(total, description="atlas") as bar:
    for name in layer_names:
      if todo[name]:
        inverter = inversion.FilterInverter(backbone, name, config, writer)
        atlas.invert_to_directory(inverter, image, todo[name], out_dir,
                                  inversion_flags.run_settings(config), bar)
      path = atlas.save_layer_grid(out_dir, name, backbone.num_filters(name))
      logging.info("wrote %s", path)
  writer.flush()


def run():
  cli.run(main)


if __name__ == "__main__":
  run()

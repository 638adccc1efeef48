r"""fmi-atlas: every filter of whole layers, as labelled grids.

Usage:
  fmi-atlas --layers=block1_conv1,block2_conv1 --out=atlas/
  fmi-atlas --all_layers --shard=0/4 --strategy=mirrored --out=atlas/
  fmi-atlas --model=mobilenet --weights=mobilenet_2_5_224_tf_no_top.h5 \
      --all_layers --out=atlas/

Writes out/<layer>.png (the grid), fmi-invert's PNGs and JSON records, then
out/index.html, a contact sheet of every layer (`fmi_tf.draw_atlas`); a rerun
keeps the filters made with the same settings (docs/tools.md).
"""

from absl import flags
from absl import logging

from fmi_tf.atlas import draw
from fmi_tf.inversion import distribution
from . import cli
from . import inversion_flags
from . import layer_flags
from . import model_flags

_SHARD = flags.DEFINE_string(
    "shard", "0/1", "Shard i/n (0 <= i < n) of the (layer, filter) list, "
    "dealt round-robin; n runs with i = 0 ... n-1 cover the whole atlas.")
_STRATEGY = flags.DEFINE_enum(
    "strategy", "default", distribution.STRATEGIES, "default: one device; "
    "mirrored: every local GPU (else CPU), each inverting its part of the "
    "shard.")
_OVERWRITE = flags.DEFINE_bool(
    "overwrite", False, "Invert every filter of the shard again, replacing "
    "what --out holds; without it a rerun keeps the filters made with the "
    "same network, weights, image and settings, and refuses a directory "
    "holding results of other settings.")


def main(argv):
  cli.no_stray_arguments(argv)
  inversion_flags.resolved(model_flags.MODEL.value)  # Bad settings fail first.
  if inversion_flags.LIST_LAYERS.value:
    model_flags.print_layers(model_flags.WEIGHTS.value)
    return
  layers = layer_flags.layers()
  result = draw.draw_atlas(
      model_flags.backbone(model_flags.WEIGHTS.value), layers,
      inversion_flags.out_path(), inversion_flags.IMAGE.value,
      shard=_SHARD.value,
      strategy=distribution.make_strategy(_STRATEGY.value),
      logdir=inversion_flags.LOGDIR.value, overwrite=_OVERWRITE.value,
      **inversion_flags.given())
  for path in (*result.grids, result.contact_sheet):
    logging.info("wrote %s", path)


def run():
  cli.run(main)


if __name__ == "__main__":
  run()

r"""fmi-atlas: every filter of whole layers, as labelled grids.

Usage:
  fmi-atlas --layers=block1_conv1,block2_conv1 --out=atlas/
  fmi-atlas --all_layers --shard=0/4 --strategy=mirrored --out=atlas/
  fmi-atlas --model=mobilenet --weights=mobilenet_2_5_224_tf_no_top.h5 \
      --all_layers --out=atlas/

Writes out/<layer>.png (the grid) plus the single PNGs and JSON records of
fmi-invert, then out/index.html, a contact sheet of every layer.
--all_layers takes every invertible layer the
weights reach (--list_layers prints them); --shard=i/n inverts the i-th of
n disjoint shards of the (layer, filter) list; --strategy=mirrored shares a
shard among the local GPUs. Each run writes the grids and the sheet from the
files present, so the last shard to finish writes complete ones;
fmi-atlas-beam runs the same atlas as an Apache Beam pipeline.
A rerun keeps only filters made with the same network, weights, image and
settings; a directory holding others is refused (--overwrite replaces them).
"""

import os

from absl import flags
from absl import logging

from fmi_tf import errors
from fmi_tf.atlas import contact_sheet
from fmi_tf.atlas import draw
from fmi_tf.inversion import distribution
from . import cli
from . import inversion_flags
from . import model_flags

_LAYERS = flags.DEFINE_list(
    "layers", None, "Layers, comma-separated: block1_conv1,conv2_1,...")
_ALL_LAYERS = flags.DEFINE_bool(
    "all_layers", False, "Every invertible layer the weights reach, instead "
    "of --layers (VGG19: all 16 convolutions, 5,504 filters, with the full "
    "weights).")
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
  if bool(_LAYERS.value) == _ALL_LAYERS.value:
    raise errors.ArgumentError("give either --layers or --all_layers")
  backbone = model_flags.backbone(model_flags.WEIGHTS.value)
  result = draw.draw_atlas(
      backbone, draw.ALL_LAYERS if _ALL_LAYERS.value else _LAYERS.value,
      inversion_flags.out_path(), inversion_flags.IMAGE.value,
      shard=_SHARD.value,
      strategy=distribution.make_strategy(_STRATEGY.value),
      logdir=inversion_flags.LOGDIR.value, overwrite=_OVERWRITE.value,
      **inversion_flags.given())
  for path in result.grids:
    logging.info("wrote %s", path)
  logging.info("wrote %s", os.path.join(result.out, contact_sheet.FILENAME))


def run():
  cli.run(main)


if __name__ == "__main__":
  run()

r"""fmi-atlas: every filter of whole layers, as labelled grids.

Usage:
  fmi-atlas --layers=block1_conv1,block2_conv1 --out=atlas/
  fmi-atlas --all_layers --shard=0/4 --strategy=mirrored --out=atlas/
  fmi-atlas --model=mobilenet --weights=mobilenet_2_5_224_tf_no_top.h5 \
      --all_layers --out=atlas/

Writes out/<layer>.png (the grid) plus the single PNGs and JSON records of
fmi-invert, then out/index.html, a contact sheet of every layer. A rerun
skips filters already done. --all_layers takes every invertible layer the
weights reach (--list_layers prints them); --shard=i/n inverts the i-th of
n disjoint shards of the (layer, filter) list; --strategy=multi_worker
shares a shard among the workers of $TF_CONFIG. Each run writes the grids and the sheet from the
files present, so the last shard or worker to finish writes complete ones.
"""

import os

from absl import flags
from absl import logging

from fmi_tf import errors
from fmi_tf.atlas import layout
from fmi_tf.atlas import contact_sheet
from fmi_tf.inversion import distribution
from fmi_tf.io import images
from fmi_tf.io import progress
from fmi_tf.io import summaries
from fmi_tf.nets import feature_model
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
    "mirrored: every local GPU (else CPU); multi_worker: the cluster of "
    "$TF_CONFIG, each worker inverting its part of the shard.")


def _layer_names(backbone: feature_model.Backbone) -> list[str]:
  """Returns the layers of --layers, or every covered one for --all_layers.

  Raises:
    ArgumentError: unless exactly one of the two flags is given.
    LayerError, WeightsError: for a layer unknown or not covered.
  """
  if bool(_LAYERS.value) == _ALL_LAYERS.value:
    raise errors.ArgumentError("give either --layers or --all_layers")
  if _LAYERS.value:
    names = backbone.canonical_names(_LAYERS.value)
    feature_model.check_covered(backbone, names)
    return names
  names = layout.covered_conv_layers(backbone)
  if not names:
    raise errors.WeightsError(
        f"{backbone.source} covers no invertible layer of {backbone.network}")
  logging.info(
      "--all_layers: the weights reach %d of the %d invertible layers (%s to "
      "%s), %d filters", len(names), len(backbone.invertible_layers),
      names[0], names[-1], sum(backbone.num_filters(n) for n in names))
  return names


def main(argv):
  cli.no_stray_arguments(argv)
  config = inversion_flags.inversion_config()
  shard_index, shard_count = layout.parse_shard(_SHARD.value)
  if inversion_flags.LIST_LAYERS.value:
    model_flags.print_layers(inversion_flags.WEIGHTS.value)
    return
  backbone = model_flags.backbone(inversion_flags.WEIGHTS.value)
  image = images.load_image(inversion_flags.IMAGE.value,
                            inversion_flags.SIZE.value)
  layer_names = _layer_names(backbone)
  strategy = distribution.make_strategy(_STRATEGY.value)
  worker, workers = distribution.worker_position(strategy)
  out_dir = inversion_flags.output_directory()
  inversion_flags.log_precision(config)
  writer = summaries.SummaryWriter(inversion_flags.LOGDIR.value)
  num_filters = {n: backbone.num_filters(n) for n in layer_names}
  jobs = [(n, k) for n in layer_names for k in range(num_filters[n])]
  mine = layout.shard(layout.shard(jobs, shard_index, shard_count), worker,
                     workers)
  todo = {n: layout.pending(out_dir, n, [k for m, k in mine if m == n])
          for n in layer_names}
  total = sum(len(ids) for ids in todo.values())
  if len(mine) > total:
    logging.info("resuming: %d filters already done", len(mine) - total)
  with progress.Progress(total, description="atlas") as bar:
    for name in layer_names:
      if todo[name]:
        inverter = distribution.DistributedInverter(backbone, name, config,
                                                    strategy, writer)
        layout.invert_to_directory(inverter, image, todo[name], out_dir,
                                  inversion_flags.run_settings(config), bar)
        layout.redraw_grids(out_dir, {name: num_filters[name]})
  writer.flush()
  for path in layout.redraw_grids(out_dir, num_filters,
                                 contact_sheet.write_contact_sheet):
    logging.info("wrote %s", path)
  logging.info("wrote %s", os.path.join(out_dir, contact_sheet.FILENAME))


def run():
  cli.run(main)


if __name__ == "__main__":
  run()

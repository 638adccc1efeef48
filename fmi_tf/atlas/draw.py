"""`fmi_tf.draw_atlas`: every filter of whole layers, into an atlas directory.

One run inverts the (layer, filter) pairs of its shard that the directory
does not hold yet, saving each filter's PNG and JSON as its batch finishes,
then draws every layer's grid and the contact sheet from the files present
(see `layout`). A directory holding filters of other settings is refused
before any work (see `resume`), and so is one that a run of other settings
claimed first, even before it wrote a filter (`fmi_tf.io.ownership`).
`fmi-atlas` is this function behind flags.
"""

import dataclasses
import os
from typing import Any, Optional, Sequence

from absl import logging
import tensorflow as tf

from fmi_tf import errors
from fmi_tf import limits
from fmi_tf.atlas import contact_sheet
from fmi_tf.atlas import layout
from fmi_tf.atlas import resume
from fmi_tf.inversion import distribution
from fmi_tf.inversion import files
from fmi_tf.inversion import filters as filters_lib
from fmi_tf.inversion import invert as invert_lib
from fmi_tf.inversion import defaults
from fmi_tf.io import images as image_io
from fmi_tf.io import outputs
from fmi_tf.io import ownership
from fmi_tf.io import progress as progress_lib
from fmi_tf.io import summaries
from fmi_tf.nets import feature_model
from fmi_tf.nets import input_size
from fmi_tf.nets import networks
from fmi_tf.optim import parameterization

ALL_LAYERS = "all"


@dataclasses.dataclass(frozen=True)
class AtlasResult:
  """What an atlas run left in its directory.

  Attributes:
    out: the atlas directory.
    layers: the layers of the run, in network order.
    inverted: filters inverted by this run (the others were there already
      or belong to other shards).
    grids: the paths of the layer grids drawn.
    contact_sheet: the path of the HTML contact sheet.
  """
  out: str
  layers: tuple[str, ...]
  inverted: int
  grids: tuple[str, ...]
  contact_sheet: str

  def _repr_html_(self) -> str:
    return (f"<p>atlas of {len(self.layers)} layers in <code>{self.out}"
            f"</code>: {self.inverted} filters inverted by this run; "
            f"open <code>{self.contact_sheet}</code></p>")


def layer_names(backbone: feature_model.Backbone,
                layers: "str | Sequence[str]") -> list[str]:
  """The layers of an atlas: names, or `"all"` the weights reach.

  Raises:
    ArgumentError: for no layer.
    LayerError, WeightsError: for a layer unknown or not covered.
  """
  if isinstance(layers, str) and layers == ALL_LAYERS:
    names = layout.covered_conv_layers(backbone)
    if not names:
      raise errors.WeightsError(
          f"{backbone.source} covers no invertible layer of "
          f"{backbone.network}")
    logging.info(
        "all layers: the weights reach %d of the %d invertible layers (%s "
        "to %s), %d filters", len(names), len(backbone.invertible_layers),
        names[0], names[-1], sum(backbone.num_filters(n) for n in names))
    return names
  names = backbone.canonical_names([layers] if isinstance(layers, str)
                                   else layers)
  if not names:
    raise errors.ArgumentError("give at least one layer, or 'all'")
  feature_model.check_covered(backbone, names)
  return names


def draw_atlas(net: Any,
          layers: "str | Sequence[str]",
          out: str,
          image: Any = None,
          size: Optional[int] = None,
          *,
          square: Optional[bool] = None,
          shard: "str | tuple[int, int]" = (0, 1),
          strategy: Optional[tf.distribute.Strategy] = None,
          config: Optional[filters_lib.InversionConfig] = None,
          logdir: Optional[str] = None,
          progress: bool = True,
          overwrite: bool = False,
          **settings) -> AtlasResult:
  """Inverts every filter of whole layers into an atlas directory.

  A rerun skips the filters already in `out` that were made with the same
  network, weights, image and settings, and refuses to mix in others (see
  `resume.kept_filters`); `n` runs with shards `(i, n)`, i = 0 ... n-1, at
  once or one after another, cover the whole atlas.

  Examples:
    >>> net = fmi_tf.network("vgg19", weights="vgg19_imagenet_notop.h5")
    >>> fmi_tf.draw_atlas(net, layers=["relu1_1", "relu5_1"], out="atlas/")
    >>> fmi_tf.draw_atlas(net, layers="all", out="atlas/", shard="0/4")

  Args:
    net: a backbone (`fmi_tf.network`), or anything `fmi_tf.network` takes.
    layers: layer names, or `"all"`: every invertible layer the weights
      reach.
    out: the atlas directory (created).
    image: whose code is modified (as for `fmi_tf.invert`).
    size: the side of the image, pixels; None: the network's (as for
      `fmi_tf.invert`).
    square: cut the photo to a square (as for `fmi_tf.invert`); None: the
      network's.
    shard: `(i, n)` or `"i/n"`: the i-th of n disjoint shards of the (layer,
      filter) list, dealt round-robin.
    strategy: a `tf.distribute` strategy whose local devices share the work
      (`MirroredStrategy` for several GPUs); None: one device.
    config: the settings to start from (default `InversionConfig()`).
    logdir: a TensorBoard log directory, or None.
    progress: show a progress bar.
    overwrite: invert every filter of the shard again, replacing what `out`
      holds (also results of other settings).
    **settings: fields of `InversionConfig` or `OptimizerConfig`,
      replacing the config's; settings left unset are the network's, then
      the parameterisation's (`defaults.resolve`, as for `fmi_tf.invert`).

  Returns:
    The directory, its layers and what was drawn.

  Raises:
    FmiError: for a bad layer, image, shard or setting, an image too small
      for a layer, an `out` that cannot be written or that holds results of
      other settings, or a result that went non-finite.
  """
  backbone = networks.network(net)
  config, size, square = defaults.resolve(backbone, size, square, config,
                                         **settings)
  shard_index, shard_count = (layout.parse_shard(shard)
                              if isinstance(shard, str)
                              else limits.check_shard(shard))
  rgb = image_io.fit_photo(image, size, square)
  names = layer_names(backbone, layers)
  if strategy is None:
    strategy = tf.distribute.get_strategy()
  elif not isinstance(strategy, tf.distribute.Strategy):
    raise errors.ArgumentError(
        "strategy must be a tf.distribute.Strategy or None, not "
        f"{errors.shown(strategy)}")
  overwrite = errors.check_flag("overwrite", overwrite)
  input_size.check_fits(backbone.model, names, rgb.shape)
  outputs.check_creatable(out)
  writer = summaries.SummaryWriter(logdir)
  num_filters = {n: backbone.num_filters(n) for n in names}
  run = invert_lib.run_record(rgb, image, size, square, config)
  kept = resume.kept_by_layer(out, backbone, names, run, overwrite)
  jobs = [(n, k) for n in names for k in range(num_filters[n])]
  mine = layout.shard(jobs, shard_index, shard_count)
  todo = {n: [k for m, k in mine if m == n and k not in kept[n]]
          for n in names}
  total = sum(len(ids) for ids in todo.values())
  if len(mine) > total:
    logging.info("resuming: %d filters already done", len(mine) - total)
  with outputs.removed_on_failure(out), ownership.claimed(
      outputs.prepare_directory(out),
      resume.claimed_settings(backbone, names[0], run), what="atlas",
      overwrite=overwrite):
    logging.info("precision %s (%s); param %s, size %d",
                 config.compute_precision.name,
                 config.compute_precision.reason,
                 parameterization.name(config.optimizer.param), size)
    with progress_lib.Progress(total * config.optimizer.steps,
                               unit=progress_lib.FILTER_STEP,
                               description="atlas", enabled=progress) as bar:
      for name in names:
        if todo[name]:
          inverter = distribution.DistributedInverter(backbone, name, config,
                                                      strategy, writer)
          files.invert_to_directory(inverter, rgb, todo[name], out, run,
                                    bar)
          layout.redraw_grids(out, {name: num_filters[name]})
    writer.flush()
    grids = layout.redraw_grids(out, num_filters,
                                contact_sheet.write_contact_sheet)
  return AtlasResult(out, tuple(names), total, tuple(grids),
                     os.path.join(out, contact_sheet.FILENAME))

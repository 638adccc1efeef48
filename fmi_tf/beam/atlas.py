"""`draw_atlas_beam`: `fmi_tf.draw_atlas` as an Apache Beam pipeline.

The work items are (layer, chunk) pairs: a chunk is `batch_size`
consecutive filters of a layer, the batches `draw_atlas` inverts, so a
filter's result is the one a single-process run gives, byte for byte. A
worker loads the network once and inverts every item it gets with the
layer's `FilterInverter`, writing each filter's PNG and JSON record
atomically as `draw_atlas` does (`fmi_tf.atlas.layout`); a last step draws
every layer's grid and the contact sheet from the files written.

Resume: items whose filters are all on disk are left out when the pipeline
is built, and a worker writes only the filters of its item still pending
(`layout.pending`, the test `draw_atlas` applies), after inverting the whole
chunk, so an item retried after its worker died mid-way writes nothing twice
and gives the same bytes.
"""

import dataclasses
import glob
import json
import os
import re
from typing import Any, Optional, Sequence

from absl import logging
import numpy as np

from fmi_tf import errors
from fmi_tf.atlas import contact_sheet
from fmi_tf.atlas import draw
from fmi_tf.atlas import layout
from fmi_tf.beam import network_spec
from fmi_tf.beam import options as options_lib
from fmi_tf.inversion import filters as filters_lib
from fmi_tf.inversion import network_defaults
from fmi_tf.io import images as image_io
from fmi_tf.io import outputs
from fmi_tf.optim import parameterization
from fmi_tf.optim import settings as settings_lib

_RECORD = re.compile(r".+_\d{4}\.json")


@dataclasses.dataclass(frozen=True)
class AtlasPlan:
  """What a Beam atlas run does, checked before anything is written.

  Attributes:
    network: the network every worker loads.
    image: [H, W, 3] float32 RGB in [0, 1] whose code is modified.
    image_name: what the records call the image (a path, or None for the
      embedded photo; an array for an in-memory image).
    size: the longer side of the image, pixels.
    config: the inversion settings.
    out: the atlas directory (created).
    num_filters: {layer: number of filters}, in network order.
    items: the (layer, filter ids) work items not done yet.
  """
  network: network_spec.NetworkSpec
  image: np.ndarray
  image_name: Any
  size: int
  config: filters_lib.InversionConfig
  out: str
  num_filters: dict
  items: tuple

  @property
  def pending(self) -> int:
    """Filters of the items, some of which may be on disk."""
    return sum(len(ids) for _, ids in self.items)


def _recorded_network(out: str) -> Optional[dict]:
  """The network of the first readable filter record in `out`, if any."""
  for path in sorted(glob.glob(os.path.join(glob.escape(out), "*.json"))):
    if not _RECORD.fullmatch(os.path.basename(path)):
      continue
    try:
      with open(path, encoding="utf8") as f:
        record = json.load(f)
    except (OSError, ValueError):
      continue
    if isinstance(record, dict) and isinstance(record.get("network"), dict):
      return record["network"]
  return None


def check_same_network(out: str, network: dict) -> None:
  """Refuses an `out` that holds filters inverted with another network.

  Args:
    out: the atlas directory (it may not exist yet).
    network: the `"network"` field of this run's records
      (`filters.layer_record`).

  Raises:
    ArgumentError: if a record in `out` names another network or weights.
  """
  if not os.path.isdir(out):
    return
  recorded = _recorded_network(out)
  if recorded is not None and recorded != network:
    raise errors.ArgumentError(
        f"{out} holds an atlas of {recorded.get('network')} with weights "
        f"{recorded.get('weights')}, not of {network['network']} with "
        f"weights {network['weights']}: give another output directory")


def _chunks(ids: Sequence[int], size: int) -> list[tuple[int, ...]]:
  return [tuple(ids[i:i + size]) for i in range(0, len(ids), size)]


def plan_atlas(net: "network_spec.NetworkSpec | str",
               layers: "str | Sequence[str]",
               out: str,
               image: Any = None,
               size: Optional[int] = None,
               *,
               config: Optional[filters_lib.InversionConfig] = None,
               **settings) -> AtlasPlan:
  """Checks the inputs of a Beam atlas run and lists its work items.

  Creates `out` only once everything else is checked.

  Args:
    net: a `NetworkSpec`, or a network name or .keras path.
    layers: layer names, or `"all"`: every invertible layer the weights
      reach.
    out: the atlas directory; every worker must see it.
    image: a path, None for the embedded photo, or an array or Pillow image.
    size: the longer side of the image, pixels; None: the network's
      (as for `fmi_tf.invert`).
    config: the settings to start from (default `InversionConfig()`).
    **settings: fields of `InversionConfig` or `OptimizerConfig`; without
      `config` or `param`, the network's parameterisation.

  Raises:
    FmiError: for a bad network, layer, image or setting, an `out` that
      holds another network's atlas, or one that cannot be written.
  """
  spec = (net if isinstance(net, network_spec.NetworkSpec)
          else network_spec.NetworkSpec(str(net)))
  backbone = spec.load()
  size, settings = network_defaults.fill(backbone, size, settings,
                                         config_given=config is not None)
  config = settings_lib.apply(config or filters_lib.InversionConfig(),
                              settings)
  rgb = image_io.as_rgb(image, size)
  names = draw.layer_names(backbone, layers)
  check_same_network(
      out, filters_lib.layer_record(backbone, names[0])["network"])
  out = outputs.prepare_directory(out)
  num_filters = {n: backbone.num_filters(n) for n in names}
  items = tuple(
      (name, chunk) for name in names
      for chunk in _chunks(range(num_filters[name]), config.batch_size)
      if layout.pending(out, name, chunk))
  return AtlasPlan(spec, rgb, rgb if image is not None and not isinstance(
      image, str) else image, size, config, out, num_filters, items)


def draw_atlas_beam(net: "network_spec.NetworkSpec | str",
                    layers: "str | Sequence[str]",
                    out: str,
                    image: Any = None,
                    size: Optional[int] = None,
                    *,
                    pipeline_args: Sequence[str] = (),
                    config: Optional[filters_lib.InversionConfig] = None,
                    **settings) -> draw.AtlasResult:
  """Inverts every filter of whole layers with an Apache Beam pipeline.

  The same directory as `fmi_tf.draw_atlas` (PNG and JSON per filter, a
  grid per layer, `index.html`), the same bytes per filter, on any Beam
  runner; a rerun skips what is on disk. Needs `pip install
  "fmi_tf[beam]"`.

  Examples:
    >>> from fmi_tf.beam import atlas, network_spec
    >>> net = network_spec.NetworkSpec("vgg19", "/shared/vgg19_notop.h5")
    >>> atlas.draw_atlas_beam(net, "all", "/shared/atlas", size=224,
    ...     pipeline_args=["--runner=DirectRunner", "--direct_num_workers=2",
    ...                    "--direct_running_mode=multi_processing"])
    >>> atlas.draw_atlas_beam(net, ["relu1_1"], "/shared/atlas",
    ...     pipeline_args=["--runner=DataflowRunner", "--project=p",
    ...                    "--region=us-central1", "--temp_location=gs://b/t"])

  Args:
    net: a `NetworkSpec` (its weights a path every worker sees), or a
      network name or .keras path.
    layers: layer names, or `"all"`.
    out: the atlas directory, one every worker sees (a shared file system).
    image: whose code is modified (as for `fmi_tf.invert`).
    size: the longer side of the image, pixels; None: the network's.
    pipeline_args: Beam's own flags (`--runner=...` and the runner's
      options); no `--runner` means `DirectRunner`.
    config: the settings to start from (default `InversionConfig()`).
    **settings: fields of `InversionConfig` or `OptimizerConfig`.

  Returns:
    The directory, its layers and what was drawn; `inverted` counts the
    filters of the items run (pending when the pipeline was built).

  Raises:
    FmiError: for Beam missing, an unknown runner or Beam option, a bad
      network, layer, image or setting, or an `out` that holds another
      network's atlas or cannot be written; nothing is written then.
  """
  options = options_lib.pipeline_options(pipeline_args)
  plan = plan_atlas(net, layers, out, image, size, config=config, **settings)
  logging.info("precision %s (%s); param %s, size %d",
               plan.config.compute_precision.name,
               plan.config.compute_precision.reason,
               parameterization.name(plan.config.optimizer.param), plan.size)
  if plan.pending:
    logging.info("%d work items, %d filters", len(plan.items), plan.pending)
  # pylint: disable=import-outside-toplevel
  import apache_beam as beam
  from fmi_tf.beam import atlas_transforms
  with beam.Pipeline(options=options) as pipeline:
    atlas_transforms.atlas_pipeline(pipeline, plan)
  paths = [os.path.join(plan.out, f"{name}.png") for name in plan.num_filters]
  grids = tuple(path for path in paths if os.path.isfile(path))
  return draw.AtlasResult(plan.out, tuple(plan.num_filters), plan.pending,
                          grids, os.path.join(plan.out, contact_sheet.FILENAME))

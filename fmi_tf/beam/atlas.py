"""`draw_atlas_beam`: `fmi_tf.draw_atlas` as an Apache Beam pipeline.

The work items are (layer, chunk) pairs: a chunk is `batch_size`
consecutive filters of a layer, the batches `draw_atlas` inverts, so a
filter's result is the one a single-process run gives, byte for byte. A
worker loads the network once and inverts every item it gets with the
layer's `FilterInverter`, writing each filter's PNG and JSON record
atomically as `draw_atlas` does (`fmi_tf.atlas.layout`); a last step draws
every layer's grid and the contact sheet from the files written. Then, if
asked, the dataset examples of the same layers run as a second pipeline with
the same options (`fmi_tf.beam.examples`), and the site is built from the
atlas and examples written (`fmi_tf.make_site`).

The atlas directory may be a local path or a URL of any scheme Beam's file
systems speak (`gs://`, `s3://`): then workers share no disk. Each filter's
PNG and record are objects uploaded whole, the PNG first; the grids and the
contact sheet are drawn once, after every item, from the objects committed;
the store is checked (`object_store.check_store`) and the directory claimed
(`fmi_tf.io.ownership`) before any work, so a second run of other settings
on the same URL is refused. The image and the network's files may be URLs
too (copied to each machine once).

Resume, as `draw_atlas`: the directory's finished filters are checked
against the run's settings when the pipeline is built
(`resume.kept_filters`: a directory of another network, weights, image or
setting is refused unless `overwrite`), items whose filters are all kept are
left out, and a worker writes only the filters of its item not yet on disk
with the run's settings (`resume.matching_filters`), after inverting the
whole chunk, so an item retried after its worker died mid-way writes nothing
twice and gives the same bytes. At a URL the committed records are read
into a local view for these checks (`storage.staged`).
"""

import dataclasses
from typing import Any, Mapping, Optional, Sequence

from absl import logging
import numpy as np

from fmi_tf.atlas import contact_sheet
from fmi_tf.atlas import draw
from fmi_tf.atlas import resume
from fmi_tf.beam import examples as examples_lib
from fmi_tf.beam import network_spec
from fmi_tf.beam import options as options_lib
from fmi_tf.beam import run_directories
from fmi_tf.inversion import files
from fmi_tf.inversion import filters as filters_lib
from fmi_tf.inversion import invert as invert_lib
from fmi_tf.inversion import defaults
from fmi_tf.io import images as image_io
from fmi_tf.io import inputs
from fmi_tf.io import object_store
from fmi_tf.io import outputs
from fmi_tf.io import ownership
from fmi_tf.io import storage
from fmi_tf.nets import input_size
from fmi_tf.optim import chunking
from fmi_tf.optim import parameterization


@dataclasses.dataclass(frozen=True)
class AtlasPlan:
  """What a Beam atlas run does, checked before anything is written.

  Attributes:
    network: the network every worker loads.
    image: [H, W, 3] float32 RGB in [0, 1] whose code is modified.
    image_name: what the records call the image (a path, or None for the
      embedded photo; an array for an in-memory image).
    size: the side of the image, pixels.
    square: whether the photo was cut to a square.
    config: the inversion settings.
    out: the atlas directory (created) or URL.
    num_filters: {layer: number of filters}, in network order.
    items: the (layer, filter ids) work items not done yet.
  """
  network: network_spec.NetworkSpec
  image: np.ndarray
  image_name: Any
  size: int
  square: bool
  config: filters_lib.InversionConfig
  out: str
  num_filters: dict
  items: tuple

  @property
  def pending(self) -> int:
    """Filters of the items, some of which may be on disk."""
    return sum(len(ids) for _, ids in self.items)


def plan_atlas(net: "network_spec.NetworkSpec | str",
               layers: "str | Sequence[str]",
               out: str,
               image: Any = None,
               size: Optional[int] = None,
               *,
               square: Optional[bool] = None,
               config: Optional[filters_lib.InversionConfig] = None,
               overwrite: bool = False,
               **settings) -> AtlasPlan:
  """Checks the inputs of a Beam atlas run and lists its work items.

  Creates `out` only once everything else is checked.

  Args:
    net: a `NetworkSpec`, or a network name or .keras path.
    layers: layer names, or `"all"`: every invertible layer the weights
      reach.
    out: the atlas directory, one every worker sees, or a URL (`s3://`,
      `gs://`, ...; `storage.configure` first gives its store's options).
    image: a path or URL, None for the embedded photo, or an array or
      Pillow image.
    size: the side of the image, pixels; None: the network's (as for
      `fmi_tf.invert`).
    square: cut the photo to a square (as for `fmi_tf.invert`); None: the
      network's.
    config: the settings to start from (default `InversionConfig()`).
    overwrite: invert every filter again, replacing what `out` holds
      (otherwise finished filters of other settings are refused).
    **settings: fields of `InversionConfig` or `OptimizerConfig`,
      replacing the config's; settings left unset are the network's, then
      the parameterisation's (`defaults.resolve`, as for `fmi_tf.invert`).

  Raises:
    FmiError: for a bad network, layer, image or setting, an `out` that
      holds filters of another network, weights, image or setting or that
      a run of other settings claimed, or one that cannot be written (a
      store that does not answer, a missing bucket or credentials).
  """
  spec = (net if isinstance(net, network_spec.NetworkSpec)
          else network_spec.NetworkSpec(str(net)))
  backbone = spec.load()
  config, size, square = defaults.resolve(backbone, size, square, config,
                                         **settings)
  rgb = image_io.fit_photo(inputs.local_copy(image), size, square)
  names = draw.layer_names(backbone, layers)
  input_size.check_fits(backbone.model, names, rgb.shape)
  if storage.is_url(out):
    object_store.check_store(out)
  else:
    outputs.check_creatable(out)
  num_filters = {n: backbone.num_filters(n) for n in names}
  run = invert_lib.run_record(rgb, image, size, square, config)
  stems = [files.filter_stem("", n, k) for n in names
           for k in range(num_filters[n])]
  with storage.staged(out, [s + ".json" for s in stems],
                      [s + ".png" for s in stems]) as committed:
    kept = resume.kept_by_layer(committed, backbone, names, run, overwrite)
  if not storage.is_url(out):
    out = outputs.prepare_directory(out)
  ownership.claim(out, resume.claimed_settings(backbone, names[0], run),
                  what="atlas", overwrite=overwrite)
  items = tuple(
      (name, chunk) for name in names
      for chunk in map(tuple, chunking.chunks(range(num_filters[name]),
                                              config.batch_size))
      if set(chunk) - kept[name])
  return AtlasPlan(spec, rgb, rgb if image is not None and not isinstance(
      image, str) else image, size, square, config, out, num_filters,
                   items)


def draw_atlas_beam(net: "network_spec.NetworkSpec | str",
                    layers: "str | Sequence[str]",
                    out: str,
                    image: Any = None,
                    size: Optional[int] = None,
                    *,
                    square: Optional[bool] = None,
                    pipeline_args: Sequence[str] = (),
                    config: Optional[filters_lib.InversionConfig] = None,
                    overwrite: bool = False,
                    examples_dataset: Optional[str] = None,
                    examples_out: Optional[str] = None,
                    examples_options: Optional[Mapping[str, Any]] = None,
                    site_out: Optional[str] = None,
                    **settings) -> draw.AtlasResult:
  """Inverts every filter of whole layers with an Apache Beam pipeline.

  The same directory as `fmi_tf.draw_atlas` (PNG and JSON per filter, a
  grid per layer, `index.html`), the same bytes per filter, on any Beam
  runner; a rerun skips what is on disk. With `examples_dataset`, then the
  dataset examples of the same layers, as `dataset_examples_beam` writes
  them, with the same options; with `site_out`, then the site of the atlas
  (and examples). Needs `pip install "fmi_tf[beam]"`.

  Examples:
    >>> from fmi_tf.beam import atlas, network_spec
    >>> net = network_spec.NetworkSpec("vgg19", "/shared/vgg19_notop.h5")
    >>> atlas.draw_atlas_beam(net, "all", "/shared/atlas", size=224,
    ...     pipeline_args=["--runner=DirectRunner", "--direct_num_workers=2",
    ...                    "--direct_running_mode=multi_processing"])
    >>> atlas.draw_atlas_beam(net, ["relu1_1"], "/shared/atlas",
    ...     pipeline_args=["--runner=DataflowRunner", "--project=p",
    ...                    "--region=us-central1", "--temp_location=gs://b/t"])
    >>> atlas.draw_atlas_beam(
    ...     network_spec.NetworkSpec("vgg19", "s3://models/vgg19_notop.h5"),
    ...     ["relu1_1"], "s3://atlas/run1", pipeline_args=[
    ...         "--s3_endpoint_url=http://127.0.0.1:9000",
    ...         "--s3_access_key_id=KEY", "--s3_secret_access_key=SECRET"])
    >>> atlas.draw_atlas_beam(net, ["relu4_1"], "/shared/atlas",
    ...     examples_dataset="dtd:/shared/dtd",
    ...     examples_out="/shared/examples", examples_options={"shards": 16},
    ...     site_out="/shared/site")

  Args:
    net: a `NetworkSpec` (its weights a path every worker sees or a URL), or a
      network name or .keras path.
    layers: layer names, or `"all"`.
    out: the atlas directory, one every worker sees (a shared file system),
      or a URL (`gs://`, `s3://`, ...), the store's options in
      `pipeline_args`.
    image: whose code is modified (as for `fmi_tf.invert`; a path may be a
      URL).
    size: the side of the image, pixels; None: the network's.
    square: cut the photo to a square; None: the network's (as for
      `fmi_tf.invert`).
    pipeline_args: Beam's own flags (`--runner=...` and the runner's
      options); no `--runner` means `DirectRunner`.
    config: the settings to start from (default `InversionConfig()`).
    overwrite: as for `plan_atlas`.
    examples_dataset: a dataset spec whose images every worker sees: find
      the dataset examples of the layers too.
    examples_out: their directory (given with `examples_dataset`).
    examples_options: keywords of `dataset_examples_beam` (`shards`, `k`,
      `image_size`, ...).
    site_out: the site directory: build the site of the atlas (and its
      dataset examples) once they are written.
    **settings: fields of `InversionConfig` or `OptimizerConfig`.

  Returns:
    The directory, its layers and what was drawn; `inverted` counts the
    filters of the items run (pending when the pipeline was built).

  Raises:
    FmiError: for Beam missing, an unknown runner or Beam option, a bad
      network, layer, image, setting or dataset, an `out` or `examples_out`
      that holds another network's atlas or examples, or an output
      directory that cannot be written or is given twice; nothing is
      written then.
  """
  options = options_lib.pipeline_options(pipeline_args)
  storage.configure(options)
  run_directories.check(out, examples_dataset, examples_out, site_out)
  examples_plan = None
  if examples_dataset is not None:
    spec = (net if isinstance(net, network_spec.NetworkSpec)
            else network_spec.NetworkSpec(str(net)))
    examples_plan = examples_lib.plan_examples(
        spec, layers, examples_dataset, examples_out,
        **(examples_options or {}))
  plan = plan_atlas(net, layers, out, image, size, square=square,
                    config=config, overwrite=overwrite, **settings)
  if examples_plan is not None and not examples_plan.written:
    examples_lib.claim(examples_plan)
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
  paths = [storage.join_under(plan.out, f"{name}.png")
           for name in plan.num_filters]
  grids = tuple(path for path in paths if storage.exists(path))
  sheet = storage.join_under(plan.out, contact_sheet.FILENAME)
  logging.info("atlas: %d layer grids and %s", len(grids), sheet)
  if examples_plan is not None:
    examples_lib.run_examples(examples_plan, options)
  if site_out is not None:
    built = run_directories.make_site(plan.out, site_out, examples_out)
    logging.info("site: %d filter pages of %d layers; open %s",
                 built.filters, len(built.layers), built.index)
  return draw.AtlasResult(plan.out, tuple(plan.num_filters), plan.pending,
                          grids, sheet)

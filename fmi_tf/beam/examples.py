"""`dataset_examples_beam`: `fmi_tf.dataset_examples` as a Beam pipeline.

The work items are the image shards: item i runs
`dataset_examples(..., shard=(i, n))`, the pass over every n-th image from
the i-th, on a worker that loads the network once (`network_spec`) and
reuses it for every shard it gets. Each shard checkpoints its running top-k
into the state directory, so a shard retried after its worker died resumes
from its last checkpoint, and the images it had passed through are not
counted twice. A last step, after every item, makes sure the merged outputs
are written, exactly once: the shard that completes last merges them under
a lock (as separate `dataset_examples` runs do), and the last step, finding
them written, does nothing; it writes them only when no shard did (a rerun
whose shards were all complete but whose merge was interrupted).

The directory may be a URL (`s3://`, `gs://`, ...), where the workers share
no disk: each shard then runs in a local view of the committed directory
(`examples_store`), and its state is uploaded once the shard is complete,
so a shard retried after its worker died starts again from the beginning
of its images (nothing it had counted is kept); the last step merges the
uploaded states in a view of its own and uploads the outputs, the summary
last. The dataset's path may be a URL too, copied to each machine once.

The run is checked when the pipeline is built (`examples_run.check_run`):
a directory holding the examples of another network, other weights or
another dataset is refused then, and so is one that an unfinished run of
other settings claimed (`fmi_tf.io.ownership`). Complete shards are left
out; outputs already written run no pipeline at all.

The default number of shards, `DEFAULT_SHARDS` (8, or one per image for a
smaller dataset), keeps up to 8 workers busy; each shard costs one state
file, one compiled pass and one reading of its images, so many more shards
than workers only add that overhead. The shard count names the state files:
a rerun resumes only with the same count.
"""

import dataclasses
from typing import Any, Optional, Sequence

from absl import logging

from fmi_tf import datasets
from fmi_tf import errors
from fmi_tf import limits
from fmi_tf.beam import examples_store
from fmi_tf.beam import network_spec
from fmi_tf.beam import options as options_lib
from fmi_tf.io import inputs
from fmi_tf.io import object_store
from fmi_tf.io import storage
from fmi_tf.microscope import examples_files
from fmi_tf.microscope import examples_run
from fmi_tf.microscope import examples_state

DEFAULT_SHARDS = 8


@dataclasses.dataclass(frozen=True)
class ExamplesPlan:
  """What a Beam dataset-examples run does, checked before it runs.

  Attributes:
    network: the network every worker loads.
    layers: the layers, resolved to the network's names.
    dataset: the dataset spec every worker resolves.
    out: the examples directory (not created yet).
    shards: the number of shards.
    options: the other keywords of `dataset_examples` (k, sizes, the
      dataset's options).
    key: the run's hash, naming its state files and outputs.
    items: the shards not complete yet.
    written: whether `out` holds the run's outputs already.
    record: what the run's outputs record (network, weights, dataset, k,
      sizes, layers, precision), which its claim on `out` holds.
  """
  network: network_spec.NetworkSpec
  layers: tuple[str, ...]
  dataset: datasets.Source
  out: str
  shards: int
  options: dict
  key: str
  items: tuple[int, ...]
  written: bool
  record: dict


@dataclasses.dataclass(frozen=True)
class ExamplesBeamResult:
  """What a Beam dataset-examples run left in its directory.

  Attributes:
    out: the examples directory.
    layers: the layers.
    shards: the number of shards.
    ran: the shards this run passed through (the others were complete).
    complete: whether the outputs are written.
  """
  out: str
  layers: tuple[str, ...]
  shards: int
  ran: int
  complete: bool


def _shard_count(shards: Optional[int], images: int) -> int:
  if shards is None:
    return min(DEFAULT_SHARDS, images)
  shards = limits.check_count("shards", shards, 1, limits.MAX_IMAGES_PER_ITEM)
  if shards > images:
    raise errors.ArgumentError(
        f"{shards} shards for {images} images: give at most one shard per "
        "image")
  return shards


def _is_complete(run: examples_run.Run, index: int, count: int) -> bool:
  """Whether shard `index` is complete; an unreadable state is refused
  here, before any worker meets it."""
  state = examples_state.load(run.state_path(index, count), run.names)
  return bool(state and state.complete)


def plan_examples(net: "network_spec.NetworkSpec | str",
                  layers: "str | Sequence[str]",
                  dataset: datasets.Source,
                  out: str,
                  *,
                  shards: Optional[int] = None,
                  **options) -> ExamplesPlan:
  """Checks the inputs of a Beam dataset-examples run; creates nothing.

  Args:
    net: a `NetworkSpec`, or a network name or .keras path.
    layers: layer names, or `"all"`.
    dataset: a spec (`folder:PATH`, `dtd:PATH`, ...), its PATH one every
      worker sees or a URL (copied to each machine once).
    out: the examples directory, one every worker sees, or a URL.
    shards: the number of shards (work items); None: `DEFAULT_SHARDS`, or
      one per image for fewer images.
    **options: `k`, `image_size`, `batch_size`,
      `checkpoint_images`, `precision` (`"auto"` is resolved here, on the
      machine that builds the pipeline, for every worker) and the
      dataset's options, as for `dataset_examples`.

  Raises:
    FmiError: for a bad network, layer, dataset, number or shard count, an
      `out` that cannot be written, or one holding the examples of another
      network, other weights or another dataset, or an unreadable shard
      state.
  """
  if "shard" in options or "progress" in options:
    raise errors.ArgumentError(
        "the pipeline chooses each item's shard and shows no progress bar: "
        "give shards=n")
  spec = (net if isinstance(net, network_spec.NetworkSpec)
          else network_spec.NetworkSpec(str(net)))
  if storage.is_url(out):
    object_store.check_store(out, "examples directory")
  with examples_store.view(out) as seen:
    run = examples_run.check_run(spec.load(), layers,
                                 inputs.local_spec(dataset), seen, **options)
    # Every worker computes in the precision resolved here, so that the
    # shards of one run share its record whatever machines they run on.
    options = {**options, "precision": run.compute.name}
    count = _shard_count(shards, len(run.image_names))
    written = run.is_written()
    items = () if written else tuple(
        i for i in range(count) if not _is_complete(run, i, count))
  return ExamplesPlan(spec, run.names, dataset, out, count, dict(options),
                      run.key, items, written, run.record)


def claim(plan: ExamplesPlan) -> None:
  """Makes `plan.out` the run's (created if local), before any work.

  Raises:
    OutputError: if an unfinished run of other settings claimed it first.
  """
  examples_store.claim(plan.out, plan.record, plan.key)


def run_examples(plan: ExamplesPlan, options) -> ExamplesBeamResult:
  """Runs a planned dataset-examples pipeline with Beam `options`."""
  logging.info("dataset examples of %s: %d of %d shards to run into %s",
               ", ".join(plan.layers), len(plan.items), plan.shards, plan.out)
  if not plan.written:
    claim(plan)
    # pylint: disable=import-outside-toplevel
    import apache_beam as beam
    from fmi_tf.beam import examples_transforms
    with beam.Pipeline(options=options) as pipeline:
      examples_transforms.examples_pipeline(pipeline, plan)
  with examples_store.view(plan.out, states=()) as seen:
    complete = examples_files.is_complete(seen, plan.key)
  if complete:
    logging.info("wrote the dataset examples of %d layers in %s",
                 len(plan.layers), plan.out)
  return ExamplesBeamResult(plan.out, plan.layers, plan.shards,
                            len(plan.items), complete)


def dataset_examples_beam(net: "network_spec.NetworkSpec | str",
                          layers: "str | Sequence[str]",
                          dataset: datasets.Source,
                          out: str,
                          *,
                          shards: Optional[int] = None,
                          pipeline_args: Sequence[str] = (),
                          **options: Any) -> ExamplesBeamResult:
  """Finds every filter's top dataset regions with an Apache Beam pipeline.

  The same directory as `fmi_tf.dataset_examples` (sheets, layer records,
  `examples.json`), the same bytes, on any Beam runner; a rerun resumes.
  Needs `pip install "fmi_tf[beam]"`.

  Examples:
    >>> from fmi_tf.beam import examples, network_spec
    >>> net = network_spec.NetworkSpec("vgg19", "/shared/vgg19_notop.h5")
    >>> examples.dataset_examples_beam(
    ...     net, ["relu4_1"], "dtd:/shared/dtd", "/shared/examples",
    ...     shards=16, pipeline_args=["--runner=DirectRunner",
    ...     "--direct_num_workers=2", "--direct_running_mode=multi_processing"])

  Args:
    net: a `NetworkSpec` (its weights a path every worker sees or a URL), or a
      network name or .keras path.
    layers: layer names, or `"all"`.
    dataset: a spec whose images every worker sees, or whose path is a URL.
    out: the examples directory, one every worker sees, or a URL (`s3://`,
      `gs://`, ... with the store's options in `pipeline_args`).
    shards: the number of shards (work items); None: `DEFAULT_SHARDS`, or
      one per image for fewer images.
    pipeline_args: Beam's own flags (`--runner=...` and the runner's
      options); no `--runner` means `DirectRunner`.
    **options: `k`, `image_size`, `batch_size`,
      `checkpoint_images` and the dataset's options (`fold`, ...), as for
      `dataset_examples`.

  Returns:
    The directory, the shards run and whether the outputs are written.

  Raises:
    FmiError: for Beam missing, an unknown runner or Beam option, a bad
      network, layer, dataset, number or shard count, or an `out` that
      cannot be written or holds another network's examples; nothing is
      written then.
  """
  beam_options = options_lib.pipeline_options(pipeline_args)
  storage.configure(beam_options)
  plan = plan_examples(net, layers, dataset, out, shards=shards, **options)
  return run_examples(plan, beam_options)

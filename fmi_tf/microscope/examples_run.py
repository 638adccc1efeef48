"""A dataset-examples run, checked before anything is written.

`check_run` checks the numbers, the network and its layers, the dataset and the
output directory, and records what the run is (dataset, image size, k, layers,
precision, network, weights digest): the hash of that record names the shards'
state files and marks the finished outputs (the format's version is part of it,
so files of another format are recomputed, never mixed). A directory holding
the finished examples of another network, other weights or another dataset is
refused; another k, image size or set of layers of the same network and dataset
is a new run whose outputs replace the old ones. `dataset_examples` and the
Beam pipeline (`fmi_tf.beam.examples`) check their runs here.

`claim` makes the directory the run's before it writes anything
(`fmi_tf.io.ownership`): of two runs of other settings started together on
one directory, the second is refused while the first is unfinished; once it
is finished, the new run replaces its outputs.
"""

import dataclasses
import json
from typing import Any, Optional, Sequence

from fmi_tf import datasets
from fmi_tf import errors
from fmi_tf import limits
from fmi_tf.atlas import draw
from fmi_tf.datasets import split
from fmi_tf.io import outputs
from fmi_tf.io import ownership
from fmi_tf.microscope import examples_files
from fmi_tf.microscope import examples_state
from fmi_tf.nets import feature_model
from fmi_tf.nets import networks
from fmi_tf.nets import precision as precision_lib
from fmi_tf.nets import receptive_field
from fmi_tf.recognition import descriptor_cache

DEFAULT_K = 8
DEFAULT_IMAGE_SIZE = 128
DEFAULT_BATCH_SIZE = 16
DEFAULT_CHECKPOINT_IMAGES = 256
# The claim of the run a directory is for, beside the shards' states (out of
# the outputs' listing).
CLAIM = f"{examples_files.STATE_DIRECTORY}/{ownership.FILENAME}"


def parts_of(dataset: split.Dataset) -> list[split.Examples]:
  """The dataset's parts, its test part left out when it repeats train."""
  if set(dataset.test.names) <= set(dataset.train.names):
    return [dataset.train]
  return [dataset.train, dataset.test]


@dataclasses.dataclass(frozen=True)
class Run:
  """A dataset-examples run, checked: what each of its shards shares.

  Attributes:
    backbone: the network.
    names: the layers, in the order given.
    fields: their receptive fields.
    data: the dataset.
    parts: its parts read (`parts_of`).
    image_names: every image's name, as the top-k index them.
    record: what the run is (format version, dataset, image size, k,
      layers, precision, network, weights), recorded in `examples.json`.
    key: the hash of `record`, naming the shards' state files.
    out: the output directory (not created yet).
    k: regions kept per filter.
    image_size: the side of the square the images are fitted to.
    batch_size: images per network call.
    checkpoint_images: images between saves of a shard's state.
    compute: the precision the network computes in, and why.
  """
  backbone: feature_model.Backbone
  names: tuple[str, ...]
  fields: dict
  data: split.Dataset
  parts: tuple
  image_names: tuple[str, ...]
  record: dict
  key: str
  out: str
  k: int
  image_size: int
  batch_size: int
  checkpoint_images: int
  compute: precision_lib.Choice

  def state_path(self, index: int, count: int) -> str:
    """The state file of shard `index` of `count`."""
    return examples_state.path(self.out, self.key, index, count)

  def is_written(self) -> bool:
    """Whether `out` holds this run's finished outputs."""
    return examples_files.is_complete(self.out, self.key)


# The fields of a finished run that another run may not write over, and what
# a difference in each means.
_SAME_SOURCE = (("network", "another network"),
                ("weights_digest", "other weights"),
                ("dataset", "another dataset"))


def _check_same_source(out: str, record: dict) -> None:
  """Refuses an `out` holding the finished examples of another network,
  other weights or another dataset (another k, size or layers is a new run
  of the same source, and replaces them)."""
  try:
    summary = examples_files.read_summary(out)
  except (errors.ArgumentError, errors.RecordError):
    return
  for field, what in _SAME_SOURCE:
    if summary.get(field) != record[field]:
      raise errors.OutputError(
          f"{out} holds the dataset examples of {what}: {field} is "
          f"{json.dumps(summary.get(field), sort_keys=True)} there but "
          f"{json.dumps(record[field], sort_keys=True)} in this run; choose "
          "another output directory")


def check_run(net: Any,
              layers: "str | Sequence[str]",
              dataset: datasets.Source,
              out: str,
              *,
              k: int = DEFAULT_K,
              image_size: int = DEFAULT_IMAGE_SIZE,
              batch_size: int = DEFAULT_BATCH_SIZE,
              checkpoint_images: int = DEFAULT_CHECKPOINT_IMAGES,
              precision: str = precision_lib.AUTO,
              **dataset_options) -> Run:
  """Checks a dataset-examples run, creating nothing.

  Args:
    net: a backbone, or anything `fmi_tf.network` takes.
    layers: layer names, or `"all"`.
    dataset: a spec or a `datasets.Dataset`.
    out: the output directory.
    k: regions kept per filter.
    image_size: the side of the square the images are fitted to.
    batch_size: images per network call.
    checkpoint_images: images between saves of a shard's state.
    precision: `"auto"`, `"float32"` or `"bfloat16"` (`fmi_tf.nets.precision`).
    **dataset_options: those of `datasets.load`.

  Returns:
    The run, which every shard of it shares.

  Raises:
    FmiError: for a bad layer, dataset or number, an `out` that cannot be
      written, or one holding the examples of another network, other
      weights or another dataset.
  """
  k, image_size, batch_size, checkpoint_images = (
      limits.check_count(what, value, low, high)
      for what, value, low, high in (
          ("k", k, 1, limits.MAX_BATCH),
          ("image_size", image_size, 16, limits.MAX_SIZE),
          ("batch_size", batch_size, 1, limits.MAX_BATCH),
          ("checkpoint_images", checkpoint_images, 1,
           limits.MAX_IMAGES_PER_ITEM)))
  compute = precision_lib.resolve(precision)
  backbone = networks.network(net)
  names = draw.layer_names(backbone, layers)
  for name in names:
    if f"{name}.json" == examples_files.SUMMARY:
      raise errors.LayerError(
          f"layer {name!r} would write its record over the run's "
          f"{examples_files.SUMMARY}: rename the layer")
  fields = {n: receptive_field.receptive_field(backbone.model, n)
            for n in names}
  data = datasets.resolve(dataset, **dataset_options)
  parts = tuple(parts_of(data))
  image_names = tuple(n for part in parts for n in part.names)
  if not image_names:
    raise errors.ArgumentError(f"dataset {data.name} has no images")
  outputs.check_creatable(out)
  record = {"version": examples_files.VERSION, "dataset": data.name,
            "image_size": image_size, "k": k,
            "layers": names, "precision": compute.name,
            "weights": backbone.source,
            "network": networks.record(backbone),
            "weights_digest": descriptor_cache.weights_digest(
                [backbone.model.get_layer(n)
                 for n in sorted(backbone.covered_layers)])}
  _check_same_source(out, json.loads(json.dumps(record)))
  return Run(backbone, tuple(names), fields, data, parts, image_names,
             record, descriptor_cache.cache_key(record), out, k, image_size,
             batch_size, checkpoint_images, compute)


def claim(out: str, record: dict, key: str,
          local: Optional[str] = None) -> None:
  """Makes `out` the directory of run `key`, before the run writes anything.

  A directory that an unfinished run of other settings claimed is refused;
  one whose claimed run is finished is taken over (its outputs are replaced,
  as `check_run` allows).

  Args:
    out: the examples directory, its state directory created, or a URL.
    record: the run's record (`Run.record`).
    key: the run's key (`Run.key`).
    local: a local directory standing for `out`, where its summary is read
      (a view of a URL); default `out`.

  Raises:
    OutputError: naming the first setting that differs.
  """
  settings = {**json.loads(json.dumps(record)), "key": key}
  ownership.claim(out, settings, what="dataset examples", filename=CLAIM,
                  finished=lambda held: examples_files.is_complete(
                      local or out, str(held.get("key"))))

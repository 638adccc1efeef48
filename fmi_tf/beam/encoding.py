"""`encode_dataset_beam`: a dataset's descriptor cache, built by Apache Beam.

`fmi-texture-train` and `fmi-texture-eval` read every image's statistics
from the descriptor cache (`fmi_tf.recognition.descriptor_cache`) and encode
only what is missing there. This pipeline fills that cache for a dataset of
any size first: the work items are chunks of `images_per_item` images, each
worker loads the network and the dataset's listing once, encodes its items
with the statistics layers the encoders need (all encoders together, once
per scale, as `evaluate_texture_encoders` does) and writes one sharded file
per (item, scale, statistic) atomically (`descriptor_cache.shard_path`).
The cache files' names hash the dataset, image size, network and weights,
exactly as a training run computes them, so that run then encodes nothing.

Resume: items whose shard files are all on disk are left out; a retried
item rewrites its shards whole, so nothing is duplicated or half-written.
The cache directory and the dataset's folder may be URLs (`gs://`, `s3://`):
each shard file is then an object uploaded whole, and the images are copied
to each machine once (`fmi_tf.io.inputs`).
"""

import dataclasses
import os
from typing import Sequence

from absl import logging

from fmi_tf import datasets
from fmi_tf import errors
from fmi_tf.beam import network_spec
from fmi_tf.beam import options as options_lib
from fmi_tf.io import object_store
from fmi_tf.io import storage
from fmi_tf.recognition import descriptor_cache
from fmi_tf.recognition import encoder as texture_encoder
from fmi_tf.recognition import encoder_config
from fmi_tf.recognition import experiment
from fmi_tf.recognition import layer_statistics

DEFAULT_IMAGES_PER_ITEM = 256


@dataclasses.dataclass(frozen=True)
class EncodingPlan:
  """What a Beam encoding run does, checked before anything is written.

  Attributes:
    network: the network every worker loads.
    dataset: the dataset every worker lists.
    image_size: the side of the square images.
    batch_size: images per encoder call.
    statistics: ((scale, (statistic, ...)), ...), each scale's statistics.
    items: ((fold, part, names, ((scale, statistic name, shard path),
      ...)), ...): the work items not done yet.
    shards: the number of shards (items, done or not).
    images: the images of the folds, without repeats.
  """
  network: network_spec.NetworkSpec
  dataset: datasets.DatasetSpec
  image_size: int
  batch_size: int
  statistics: tuple
  items: tuple
  shards: int
  images: int


def _scales(configs: Sequence[encoder_config.EncoderConfig]) -> tuple:
  """Each scale (largest first) with the statistics the encoders need."""
  statistics = []
  for scale in sorted({s for c in configs for s in c.scales}, reverse=True):
    keys = {key for c in configs if scale in c.scales
            for key in layer_statistics.statistic_keys(c)}
    statistics.append((scale, tuple(sorted(keys, key=lambda k: k.name))))
  return tuple(statistics)


def plan_encoding(net: "network_spec.NetworkSpec | str",
                  dataset: "datasets.DatasetSpec | str",
                  cache_dir: str,
                  encoders: Sequence = ("energy",),
                  *,
                  folds: int = 1,
                  image_size: int = 224,
                  batch_size: int = 16,
                  images_per_item: int = DEFAULT_IMAGES_PER_ITEM
                  ) -> EncodingPlan:
  """Checks the inputs of a Beam encoding run and lists its work items.

  Creates `cache_dir` only once everything else is checked.

  Args:
    net: a `NetworkSpec`, or a network name or .keras path.
    dataset: a `datasets.DatasetSpec`, or a spec string.
    cache_dir: the descriptor cache directory, as `--cache_dir`, or a URL
      (`storage.configure` first gives its store's options).
    encoders: kinds (`energy`, `gram`, `gap`) or
      `encoder_config.EncoderConfig`s.
    folds: encode the images of folds 1..folds (DTD has 10).
    image_size: the side of the square the images are fitted to.
    batch_size: images per encoder call.
    images_per_item: images per work item and shard file.

  Raises:
    FmiError: for a bad network, dataset, encoder or size, or a cache
      directory that cannot be written.
  """
  for what, value, low in (("folds", folds, 1), ("image_size", image_size, 16),
                           ("batch_size", batch_size, 1),
                           ("images_per_item", images_per_item, 1)):
    if not isinstance(value, int) or value < low:
      raise errors.ArgumentError(f"{what} must be an integer >= {low}, "
                                 f"not {value!r}")
  spec = (net if isinstance(net, network_spec.NetworkSpec)
          else network_spec.NetworkSpec(str(net)))
  data_spec = (dataset if isinstance(dataset, datasets.DatasetSpec)
               else datasets.DatasetSpec(dataset))
  backbone = spec.load()
  configs = [encoder_config.resolve(e, backbone) for e in encoders]
  if not configs:
    raise errors.ArgumentError("give at least one encoder")
  for config in configs:  # Checks the layers against the network.
    texture_encoder.build(backbone, config)
  parts = [data_spec.load(fold) for fold in range(1, folds + 1)]
  statistics = _scales(configs)
  if storage.is_url(cache_dir):
    object_store.check_store(cache_dir, "cache directory")
  chunks, seen = [], set()
  for fold, data in enumerate(parts, start=1):
    for part in ("train", "test"):
      names = [n for n in getattr(data, part).names if n not in seen]
      seen.update(names)
      chunks += [(fold, part, tuple(names[i:i + images_per_item]))
                 for i in range(0, len(names), images_per_item)]
  with storage.staged(cache_dir) as local:
    cache = experiment.cache_for(parts[0], image_size, backbone, local)
    files = {(scale, key): cache.path(scale, key)
             for scale, keys in statistics for key in keys}
    # The cache files' records, which name what each file holds.
    storage.commit(local, cache_dir, sorted(
        os.path.basename(path)[:-4] + ".json" for path in files.values()))
  committed = storage.list_names(cache_dir)
  items = []
  for index, (fold, part, names) in enumerate(chunks):
    shards = tuple((scale, key.name, os.path.basename(
        descriptor_cache.shard_path(path, index, len(chunks))))
                   for (scale, key), path in files.items())
    if not all(name in committed for _, _, name in shards):
      items.append((fold, part, names, tuple(
          (scale, key, storage.join_under(cache_dir, name))
          for scale, key, name in shards)))
  return EncodingPlan(spec, data_spec, image_size, batch_size, statistics,
                      tuple(items), len(chunks), len(seen))


@dataclasses.dataclass(frozen=True)
class EncodingResult:
  """What a Beam encoding run left in the cache directory.

  Attributes:
    cache_dir: the descriptor cache directory.
    images: the images of the folds.
    shards: the shard files per statistic and scale.
    encoded: the images of the items run (the others were on disk).
  """
  cache_dir: str
  images: int
  shards: int
  encoded: int


def encode_dataset_beam(net: "network_spec.NetworkSpec | str",
                        dataset: "datasets.DatasetSpec | str",
                        cache_dir: str,
                        encoders: Sequence = ("energy",),
                        *,
                        folds: int = 1,
                        image_size: int = 224,
                        batch_size: int = 16,
                        images_per_item: int = DEFAULT_IMAGES_PER_ITEM,
                        pipeline_args: Sequence[str] = ()) -> EncodingResult:
  """Encodes a dataset into sharded descriptor-cache files with Beam.

  Then `fmi_tf.train_texture_classifier` (`fmi-texture-train`) and
  `fmi_tf.evaluate_texture_encoders` (`fmi-texture-eval`) with the same
  dataset, network, weights, image size and `cache_dir` read the
  descriptors instead of encoding. Needs `pip install "fmi_tf[beam]"`.

  Examples:
    >>> from fmi_tf.beam import encoding, network_spec
    >>> net = network_spec.NetworkSpec("vgg19", "/shared/vgg19_notop.h5")
    >>> encoding.encode_dataset_beam(
    ...     net, "dtd:/shared/dtd", "/shared/cache", ("energy", "gram"),
    ...     folds=10, pipeline_args=["--runner=DirectRunner",
    ...     "--direct_num_workers=2", "--direct_running_mode=multi_processing"])
    >>> fmi_tf.evaluate_texture_encoders(
    ...     net.load(), "dtd:/shared/dtd", ("energy", "gram"),
    ...     cache_dir="/shared/cache")

  Args:
    net: a `NetworkSpec` (its weights a path every worker sees or a URL), or a
      network name or .keras path.
    dataset: a `datasets.DatasetSpec`, or a spec string (`dtd:PATH`, ...;
      PATH may be a URL, copied to each machine once).
    cache_dir: the descriptor cache directory, one every worker sees, or a
      URL (`gs://`, `s3://`, ... with the store's options in
      `pipeline_args`); training reads a local copy of it.
    encoders: kinds (`energy`, `gram`, `gap`) or `encoder_config.EncoderConfig`s
      whose statistics are encoded, each image once per scale.
    folds: encode the images of folds 1..folds (DTD has 10).
    image_size: the side of the square the images are fitted to.
    batch_size: images per encoder call.
    images_per_item: images per work item and shard file.
    pipeline_args: Beam's own flags (`--runner=...` and the runner's
      options); no `--runner` means `DirectRunner`.

  Returns:
    The cache directory and what was encoded.

  Raises:
    FmiError: for Beam missing, an unknown runner or Beam option, a bad
      network, dataset, encoder or size, or a `cache_dir` that cannot be
      written; nothing is written then.
  """
  options = options_lib.pipeline_options(pipeline_args)
  storage.configure(options)
  plan = plan_encoding(net, dataset, cache_dir, encoders, folds=folds,
                       image_size=image_size, batch_size=batch_size,
                       images_per_item=images_per_item)
  encoded = sum(len(names) for _, _, names, _ in plan.items)
  logging.info("%d images in %d shards; %d items to encode", plan.images,
               plan.shards, len(plan.items))
  # pylint: disable=import-outside-toplevel
  import apache_beam as beam
  from fmi_tf.beam import encoding_transforms
  with beam.Pipeline(options=options) as pipeline:
    encoding_transforms.encoding_pipeline(pipeline, plan)
  return EncodingResult(cache_dir, plan.images, plan.shards, encoded)

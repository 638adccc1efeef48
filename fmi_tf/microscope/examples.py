"""`dataset_examples`: the image regions that activate each filter most.

One tf.data pass over a dataset's images (both parts of its split) computes,
for every filter of the chosen layers, each image's maximum response and
where it is, and keeps a running top-k (`top_k`): memory is `filters x k`
whatever the dataset's size. It also sums each filter's spatial mean per
class, giving the class profile of a labelled dataset (which texture classes
the filter prefers). Then the winning images of every filter are read again,
once, and the receptive field of the winning unit (`nets.receptive_field`),
clipped to the image, is copied out of each pixel for pixel, as the network
saw it, into one sheet per filter (`examples_files`).

The pass checkpoints its state (`examples_state`: the running top-k, the
class sums and the images done) every `checkpoint_images` images and when
interrupted, into a hidden state file named by a hash of the dataset, image
size, network, weights digest, layers and k (`examples_run`): a rerun
resumes it, and a run whose outputs are complete reads nothing; a directory
holding the examples of another network, other weights or another dataset
is refused, and so is one that an unfinished run of other settings claimed
(`examples_run.claim`), before anything of this run is written.
`shard=(i, n)` takes every n-th image from the i-th: n runs (at once, on
machines sharing the directory, or one after another) each save their state, and the one that finds all n complete
merges them and writes the outputs, under a lock, as the atlas's last shard
draws its grids.
"""

import dataclasses
import time
from typing import Any, Sequence

from absl import logging
import numpy as np
import tensorflow as tf

from fmi_tf import datasets
from fmi_tf import limits
from fmi_tf.atlas import layout
from fmi_tf.datasets import pipeline
from fmi_tf.datasets import split
from fmi_tf.io import outputs
from fmi_tf.io import paths
from fmi_tf.io import progress as progress_lib
from fmi_tf.microscope import examples_files
from fmi_tf.microscope import examples_output
from fmi_tf.microscope import examples_run
from fmi_tf.microscope import examples_state
from fmi_tf.nets import feature_model
from fmi_tf.nets import precision as precision_lib

DEFAULT_K = examples_run.DEFAULT_K
DEFAULT_IMAGE_SIZE = examples_run.DEFAULT_IMAGE_SIZE


@dataclasses.dataclass(frozen=True)
class ExamplesResult:
  """What a dataset-examples run did.

  Attributes:
    out: the output directory.
    layers: the layers, in the order given.
    images: images this run passed through the network (0 when cached).
    skipped: names of this shard's images that could not be decoded.
    complete: whether every shard is done and the outputs are written.
    seconds: time of the pass over the images.
    cpu_seconds: the process's CPU time in that pass (all its threads).
  """
  out: str
  layers: tuple[str, ...]
  images: int
  skipped: tuple[str, ...]
  complete: bool
  seconds: float
  cpu_seconds: float


def _responses(features, names: Sequence[str]):
  """A compiled images -> {layer: (max, row, col, mean) each [B, C]}."""

  @tf.function(reduce_retracing=True)
  def responses(images):
    codes = features(images, training=False)
    result = {}
    for name in names:
      code = codes[name]
      shape = tf.shape(code)
      flat = tf.reshape(code, [shape[0], -1, shape[3]])
      where = tf.argmax(flat, axis=1, output_type=tf.int32)
      result[name] = (tf.reduce_max(flat, axis=1), where // shape[2],
                      where % shape[2], tf.reduce_mean(flat, axis=1))
    return result

  return responses


def _read(parts: Sequence[split.Examples], wanted: set[str], image_size: int,
          batch_size: int):
  """Batches of the wanted images of every part, fitted to `image_size`."""
  for part in parts:
    names = tuple(n for n in part.names if n in wanted)
    if names:
      yield from pipeline.batches(part.subset(names).images(), image_size,
                                  batch_size)


def _pass(state: examples_state.ShardState, responses, parts,
          image_names: Sequence[str], mine: Sequence[int], image_size: int,
          batch_size: int, checkpoint, checkpoint_images: int,
          show: bool) -> int:
  """Runs the shard's images not done yet through the network."""
  index = {name: i for i, name in enumerate(image_names)}
  todo = {image_names[i] for i in mine if not state.done[i]}
  seen = since = 0
  with progress_lib.Progress(len(todo), unit="image", description="examples",
                             enabled=show) as bar:
    try:
      for batch in _read(parts, todo, image_size, batch_size):
        ids = np.asarray([index[n.decode("utf8")]
                          for n in batch["name"].numpy()])
        labels = batch["label"].numpy()
        for name, (peak, rows, cols, mean) in responses(
            batch["image"]).items():
          state.tops[name].add(peak.numpy(), ids, rows.numpy(), cols.numpy())
          np.add.at(state.class_sums[name], labels, mean.numpy())
        np.add.at(state.class_counts, labels, 1)
        state.done[ids] = True
        state.labels[ids] = labels
        seen += len(ids)
        since += len(ids)
        bar.advance(len(ids))
        if since >= checkpoint_images:
          checkpoint()
          since = 0
    except KeyboardInterrupt:
      checkpoint()
      raise
  return seen


def dataset_examples(net: Any,
                     layers: "str | Sequence[str]",
                     dataset: datasets.Source,
                     out: str,
                     *,
                     k: int = DEFAULT_K,
                     image_size: int = DEFAULT_IMAGE_SIZE,
                     batch_size: int = examples_run.DEFAULT_BATCH_SIZE,
                     shard: "str | tuple[int, int]" = (0, 1),
                     checkpoint_images: int = (
                         examples_run.DEFAULT_CHECKPOINT_IMAGES),
                     precision: str = precision_lib.AUTO,
                     progress: bool = True,
                     **dataset_options) -> ExamplesResult:
  """Finds the top-k dataset regions of every filter of some layers.

  Examples:
    >>> net = fmi_tf.network("vgg19", weights="vgg19_imagenet_notop.h5")
    >>> res = fmi_tf.dataset_examples(net, ["relu4_1"], "dtd:dtd/",
    ...                               out="examples/")
    >>> res.complete, res.skipped

  Args:
    net: a backbone (`fmi_tf.network`), or anything `fmi_tf.network` takes.
    layers: layer names (the network's, or VGG19's in the paper's
      spelling), or `"all"`: every invertible layer the weights reach.
    dataset: a spec (`folder:PATH`, `dtd:PATH`, `brodatz:PATH`,
      `tfds:NAME`) or a `datasets.Dataset`; both parts of its split are
      used.
    out: the output directory (created): `<layer>.json` and the crops'
      sheets `<layer>/<filter:04d>.png`, then `examples.json`.
    k: regions kept per filter.
    image_size: the side of the square the images are fitted to (as for
      recognition: shorter side resized, central crop).
    batch_size: images per network call.
    shard: `(i, n)` or `"i/n"`: every n-th image from the i-th.
    checkpoint_images: images between saves of the resumable state.
    precision: what the network computes in: `"auto"` (bfloat16 where the
      device has bfloat16 arithmetic, else float32; see
      `fmi_tf.nets.precision`), `"float32"` or `"bfloat16"`. The choice is
      part of the record, so runs in different precisions never mix.
    progress: show a progress bar.
    **dataset_options: `fold`, `test_fraction`, `seed`, `tiles_per_side`,
      `data_dir`, `download` of `datasets.load`.

  Returns:
    What was done; `complete` once every shard is and the outputs exist.

  Raises:
    FmiError: for a bad layer, dataset, number or shard, an `out` that
      cannot be written, or one holding the examples of another network,
      other weights or another dataset, or claimed by an unfinished run of
      other settings.
  """
  index, count = (layout.parse_shard(shard) if isinstance(shard, str)
                  else limits.check_shard(shard))
  run = examples_run.check_run(
      net, layers, dataset, out, k=k, image_size=image_size,
      batch_size=batch_size,
      checkpoint_images=checkpoint_images, precision=precision,
      **dataset_options)
  out = outputs.prepare_directory(out)
  outputs.prepare_directory(examples_files.state_directory(out))
  examples_run.claim(out, run.record, run.key)
  names = run.names
  if run.is_written():
    logging.info("dataset examples of %s are in %s already", run.data.name,
                 out)
    return ExamplesResult(out, names, 0, (), True, 0.0, 0.0)
  channels = {n: run.backbone.num_filters(n) for n in names}
  path = run.state_path(index, count)
  state = examples_state.load(path, names) or examples_state.ShardState.empty(
      channels, k, run.data.num_classes, len(run.image_names))
  mine = list(range(index, len(run.image_names), count))
  seen, seconds, cpu_seconds = 0, 0.0, 0.0
  if not state.complete:
    logging.info("precision %s (%s)", run.compute.name, run.compute.reason)
    features = feature_model.feature_model(run.backbone, names,
                                           precision=run.compute.name)
    start, start_cpu = time.perf_counter(), time.process_time()
    seen = _pass(state, _responses(features, names), run.parts,
                 run.image_names, mine, image_size, batch_size,
                 lambda: examples_state.save(path, state), checkpoint_images,
                 progress)
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - start_cpu
    state.complete = True
    examples_state.save(path, state)
  skipped = tuple(run.image_names[i] for i in mine if not state.done[i])
  if skipped:
    logging.warning("skipped %d images that could not be decoded: %s",
                    len(skipped), ", ".join(skipped[:5]) + (
                        " ..." if len(skipped) > 5 else ""))
  complete = write_when_all_shards_are_done(run, count)
  return ExamplesResult(out, names, seen, skipped, complete, seconds,
                        cpu_seconds)


def write_when_all_shards_are_done(run: examples_run.Run, count: int) -> bool:
  """Merges the `count` shards' states and writes the outputs, once.

  Under the run's lock, so that of shards finishing at once exactly one
  writes; nothing is written if the outputs are there already or a shard is
  not complete.

  Returns:
    Whether the outputs are written (by this call or an earlier one).

  Raises:
    ArgumentError: if a shard's state cannot be read.
  """
  lock = paths.join_under(examples_files.state_directory(run.out),
                         f"{run.key}.lock")
  with outputs.exclusive_lock(lock):
    if run.is_written():
      return True
    states = [examples_state.load(run.state_path(i, count), run.names)
              for i in range(count)]
    if not all(s and s.complete for s in states):
      waiting = sum(1 for s in states if not (s and s.complete))
      logging.info("%d of %d shards still to run; the last one writes the "
                   "outputs", waiting, count)
      return False
    merged = states[0]
    for other in states[1:]:
      merged.merge(other)
    skipped = [n for i, n in enumerate(run.image_names) if not merged.done[i]]
    examples_output.write_outputs(
        run.out, run.key, run.record, run.data.class_names, run.names,
        run.fields, merged.tops, merged.class_sums, merged.class_counts,
        run.image_names, merged.labels, skipped,
        lambda wanted: _read(run.parts, wanted, run.image_size,
                             run.batch_size),
        run.image_size)
  return True

"""`dataset_examples`: the image regions that activate each filter most.

One tf.data pass over a dataset's images (both parts of its split) computes,
for every filter of the chosen layers, each image's maximum response and
where it is, and keeps a running top-k (`top_k`): memory is `filters x k`
whatever the dataset's size. It also sums each filter's spatial mean per
class, giving the class profile of a labelled dataset (which texture classes
the filter prefers). Then the winning images of every filter are read again,
once, and the receptive field of the winning unit (`nets.receptive_field`)
is cut out of each (grey where the field reaches past the image) and written
as one sprite per filter (`examples_files`).

The pass checkpoints its state (the running top-k, the class sums and the
images done) every `checkpoint_images` images and when interrupted, into a
hidden state file named by a hash of the dataset, image size, network,
weights digest, layers and k: a rerun resumes it, and a run whose outputs
are complete reads nothing. `shard=(i, n)` takes every n-th image from the
i-th: n runs (at once, on machines sharing the directory, or one after
another) each save their state, and the one that finds all n complete
merges them and writes the outputs, under a lock, as the atlas's last shard
draws its grids.
"""

import dataclasses
import io
import os
import time
from typing import Any, Optional, Sequence

from absl import logging
import numpy as np
import tensorflow as tf

from fmi_tf import errors
from fmi_tf.atlas import draw
from fmi_tf.atlas import layout
from fmi_tf.io import outputs
from fmi_tf.io import progress as progress_lib
from fmi_tf.microscope import examples_files
from fmi_tf.microscope import top_k
from fmi_tf.nets import feature_model
from fmi_tf.nets import networks
from fmi_tf.nets import precision as precision_lib
from fmi_tf.nets import receptive_field
from fmi_tf.recognition import datasets
from fmi_tf.recognition import descriptor_cache
from fmi_tf.recognition.datasets import pipeline
from fmi_tf.recognition.datasets import split

DEFAULT_K = 8
DEFAULT_IMAGE_SIZE = 128
DEFAULT_CROP_SIZE = 64


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


@dataclasses.dataclass
class _State:
  """One shard's progress: the running top-k and class sums per layer."""
  tops: dict[str, top_k.TopK]
  class_sums: dict[str, np.ndarray]  # [classes, C] sums of spatial means
  class_counts: np.ndarray  # [classes]
  done: np.ndarray  # bool [N] images of the whole list passed through
  labels: np.ndarray  # int64 [N] their labels (-1: not passed through)
  complete: bool = False

  @classmethod
  def empty(cls, channels: dict[str, int], k: int, classes: int,
            images: int) -> "_State":
    return cls({n: top_k.TopK.empty(c, k) for n, c in channels.items()},
               {n: np.zeros((classes, c), np.float64)
                for n, c in channels.items()},
               np.zeros(classes, np.int64), np.zeros(images, bool),
               np.full(images, -1, np.int64))

  def arrays(self) -> dict[str, np.ndarray]:
    values = {"class_counts": self.class_counts, "done": self.done,
              "labels": self.labels,
              "complete": np.asarray(self.complete)}
    for i, name in enumerate(self.tops):
      for field, array in zip(("scores", "images", "rows", "cols"),
                              self.tops[name].as_arrays()):
        values[f"{i}/{field}"] = array
      values[f"{i}/class_sums"] = self.class_sums[name]
    return values

  @classmethod
  def from_arrays(cls, arrays, names: Sequence[str]) -> "_State":
    return cls({n: top_k.TopK(*(arrays[f"{i}/{f}"] for f in (
        "scores", "images", "rows", "cols"))) for i, n in enumerate(names)},
               {n: arrays[f"{i}/class_sums"] for i, n in enumerate(names)},
               arrays["class_counts"], arrays["done"], arrays["labels"],
               bool(arrays["complete"]))

  def merge(self, other: "_State") -> None:
    for name, top in self.tops.items():
      top.merge(other.tops[name])
      self.class_sums[name] = self.class_sums[name] + other.class_sums[name]
    self.class_counts = self.class_counts + other.class_counts
    self.done = self.done | other.done
    self.labels = np.maximum(self.labels, other.labels)
    self.complete = self.complete and other.complete


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


def _parts(dataset: split.Dataset) -> list[split.Examples]:
  """The dataset's parts, its test part left out when it repeats train."""
  if set(dataset.test.names) <= set(dataset.train.names):
    return [dataset.train]
  return [dataset.train, dataset.test]


def _read(parts: Sequence[split.Examples], wanted: set[str], image_size: int,
          batch_size: int):
  """Batches of the wanted images of every part, fitted to `image_size`."""
  for part in parts:
    names = tuple(n for n in part.names if n in wanted)
    if names:
      yield from pipeline.batches(part.subset(names).images(), image_size,
                                  batch_size)


def _state_path(out: str, key: str, index: int, count: int) -> str:
  return os.path.join(examples_files.state_directory(out),
                      f"{key}_{index}of{count}.npz")


def _load_state(path: str, names: Sequence[str]) -> Optional[_State]:
  if not os.path.isfile(path):
    return None
  try:
    with np.load(path, allow_pickle=False) as arrays:
      return _State.from_arrays(dict(arrays), names)
  except (OSError, ValueError, KeyError) as e:
    raise errors.ArgumentError(
        f"cannot resume from {path}: {e}; delete it to start this shard "
        "again") from None


def _save_state(path: str, state: _State) -> None:
  buffer = io.BytesIO()
  np.savez(buffer, **state.arrays())
  outputs.write_bytes(path, buffer.getvalue())


def _pass(state: _State, responses, parts, image_names: Sequence[str],
          mine: Sequence[int], image_size: int, batch_size: int,
          checkpoint, checkpoint_images: int, show: bool) -> int:
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
                     crop_size: int = DEFAULT_CROP_SIZE,
                     batch_size: int = 16,
                     shard: "str | tuple[int, int]" = (0, 1),
                     checkpoint_images: int = 256,
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
    out: the output directory (created): `<layer>.json` and
      `<layer>/<filter:04d>.png` sprites, then `examples.json`.
    k: regions kept per filter.
    image_size: the side of the square the images are fitted to (as for
      recognition: shorter side resized, central crop).
    crop_size: the side of each crop in the sprites.
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
    FmiError: for a bad layer, dataset, number or shard, or an `out` that
      cannot be written.
  """
  for what, value in (("k", k), ("image_size", image_size),
                      ("crop_size", crop_size), ("batch_size", batch_size),
                      ("checkpoint_images", checkpoint_images)):
    if not isinstance(value, int) or value < 1:
      raise errors.ArgumentError(f"{what} must be a positive integer, not "
                                 f"{value!r}")
  index, count = (layout.parse_shard(shard) if isinstance(shard, str)
                  else shard)
  if not 0 <= index < count:
    raise errors.ArgumentError(f"bad shard {index}/{count}")
  compute = precision_lib.resolve(precision)
  backbone = networks.network(net)
  names = draw.layer_names(backbone, layers)
  fields = {n: receptive_field.receptive_field(backbone.model, n)
            for n in names}
  data = datasets.resolve(dataset, **dataset_options)
  parts = _parts(data)
  image_names = [n for part in parts for n in part.names]
  if not image_names:
    raise errors.ArgumentError(f"dataset {data.name} has no images")
  out = outputs.prepare_directory(out)
  outputs.prepare_directory(examples_files.state_directory(out))
  record = {"dataset": data.name, "image_size": image_size, "k": k,
            "layers": names, "precision": compute.name,
            "weights": backbone.source,
            "network": networks.record(backbone),
            "weights_digest": descriptor_cache.weights_digest(
                [backbone.model.get_layer(n)
                 for n in sorted(backbone.covered_layers)])}
  key = descriptor_cache.cache_key(record)
  if examples_files.is_complete(out, key):
    logging.info("dataset examples of %s are in %s already", data.name, out)
    return ExamplesResult(out, tuple(names), 0, (), True, 0.0, 0.0)
  channels = {n: backbone.num_filters(n) for n in names}
  path = _state_path(out, key, index, count)
  state = _load_state(path, names) or _State.empty(
      channels, k, data.num_classes, len(image_names))
  mine = list(range(index, len(image_names), count))
  seen, seconds, cpu_seconds = 0, 0.0, 0.0
  if not state.complete:
    logging.info("precision %s (%s)", compute.name, compute.reason)
    features = feature_model.feature_model(backbone, names,
                                           precision=compute.name)
    start, start_cpu = time.perf_counter(), time.process_time()
    seen = _pass(state, _responses(features, names), parts, image_names,
                 mine, image_size, batch_size,
                 lambda: _save_state(path, state), checkpoint_images,
                 progress)
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - start_cpu
    state.complete = True
    _save_state(path, state)
  skipped = tuple(image_names[i] for i in mine if not state.done[i])
  if skipped:
    logging.warning("skipped %d images that could not be decoded: %s",
                    len(skipped), ", ".join(skipped[:5]) + (
                        " ..." if len(skipped) > 5 else ""))
  complete = _write_when_all_shards_are_done(
      out, key, count, names, parts, image_names, data, fields, record,
      crop_size, batch_size)
  return ExamplesResult(out, tuple(names), seen, skipped, complete, seconds,
                        cpu_seconds)


def _write_when_all_shards_are_done(out, key, count, names, parts,
                                    image_names, data, fields, record,
                                    crop_size, batch_size) -> bool:
  lock = os.path.join(examples_files.state_directory(out), f"{key}.lock")
  with outputs.exclusive_lock(lock):
    if examples_files.is_complete(out, key):
      return True
    states = [_load_state(_state_path(out, key, i, count), names)
              for i in range(count)]
    if not all(s and s.complete for s in states):
      waiting = sum(1 for s in states if not (s and s.complete))
      logging.info("%d of %d shards still to run; the last one writes the "
                   "outputs", waiting, count)
      return False
    merged = states[0]
    for other in states[1:]:
      merged.merge(other)
    skipped = [n for i, n in enumerate(image_names) if not merged.done[i]]
    examples_files.write_outputs(
        out, key, record, data.class_names, names, fields, merged.tops,
        merged.class_sums, merged.class_counts, image_names, merged.labels,
        skipped, lambda wanted: _read(parts, wanted, record["image_size"],
                                      batch_size),
        crop_size)
  return True


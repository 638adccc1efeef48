"""Per-layer statistics of a dataset's images, encoded once and cached.

A cache belongs to one (dataset, image size, network, weights) combination;
its record includes `weights_digest`, a hash of the weights' values, so new
weights at an old path get a new cache. It holds,
for each scale and each `layer_statistics.Statistic` (named in the file's record
`energy1/block5_conv1`, `gram64/block4_conv1`, ...), the values of every
image encoded so far, one NumPy `.npz` file per (scale, statistic): names,
labels, values (plain arrays; read with `allow_pickle=False`). `encode` runs
the encoder's own statistics layers and pools them as the encoder does, so
the ten DTD folds, which share their 1200 images, and every encoder that
shares layers and scales with another, encode each image once per scale.
`prefetch` encodes the union of several encoders' statistics in one pass.

A cache file that cannot be read is treated as missing: a warning names it,
and its images are encoded again and the file replaced.

Runs may share a cache: each write takes an exclusive lock (`<file>.lock`),
merges the entries already on disk with its own and replaces the file
atomically, so concurrent runs never lose one another's entries.

Sharded files `<file>-<i>-of-<n>.npz` (`shard_path`, in the same format)
beside a cache file add their entries to it: a Beam pipeline
(`fmi_tf.beam.encoding`) writes one per work item, for datasets of any size.
"""

import contextlib
import dataclasses
import glob
import hashlib
import io
import json
import os
import time
import zipfile
from typing import Callable, Optional, Sequence

from absl import logging
import keras
import numpy as np
import tensorflow as tf

from fmi_tf.datasets import pipeline
from fmi_tf.datasets import split
from fmi_tf.io import images as image_io
from fmi_tf.io import outputs
from fmi_tf.recognition import encoder as texture_encoder
from fmi_tf.recognition import layer_statistics


@dataclasses.dataclass(frozen=True)
class Encoded:
  """Descriptors of a split.

  Attributes:
    names: image names, in the split's order, skipped ones left out.
    labels: int [N] class indices.
    descriptors: float32 [N, D].
    skipped: names of images that could not be decoded, or were over the
      pixel limit (`fmi_tf.io.images.MAX_PIXELS`).
    seconds: time spent encoding (0 when all came from the cache).
  """
  names: tuple[str, ...]
  labels: np.ndarray
  descriptors: np.ndarray
  skipped: tuple[str, ...]
  seconds: float


def cache_key(record: dict) -> str:
  """A short stable hash of a JSON-able record of what was encoded."""
  text = json.dumps(record, sort_keys=True)
  return hashlib.sha256(text.encode("utf8")).hexdigest()[:16]


def weights_digest(layers: Sequence[keras.layers.Layer]) -> str:
  """A short SHA-256 of the layers' weight values (names, shapes, bytes)."""
  digest = hashlib.sha256()
  for layer in layers:
    for weight in layer.weights:
      value = np.ascontiguousarray(keras.ops.convert_to_numpy(weight))
      digest.update(f"{weight.path}:{value.dtype}:{value.shape};".encode())
      digest.update(value.tobytes())
  return digest.hexdigest()[:16]


def _read(path: str, warn: bool = True) -> dict[str, tuple]:
  """{name: (label, values)} of one cache file; {} if it is corrupt.

  A file that cannot be read as a cache (truncated, overwritten, of
  another layout) is treated as missing: logged, then encoded again and
  replaced.
  """
  try:
    with np.load(path, allow_pickle=False) as archive:
      names, labels, values = (archive["names"], archive["labels"],
                               archive["values"])
    if not (names.ndim == labels.ndim == 1 and values.ndim >= 1
            and len(names) == len(labels) == len(values)):
      raise ValueError("names, labels and values do not match")
    return {str(n): (int(l), v) for n, l, v in zip(names, labels, values)}
  except (OSError, ValueError, KeyError, TypeError, EOFError,
          zipfile.BadZipFile) as e:
    if warn:
      logging.warning("descriptor cache %s is corrupt (%s); its images are "
                      "encoded again", path, str(e).splitlines()[0] if str(e)
                      else type(e).__name__)
    return {}


def shard_path(path: str, index: int, count: int) -> str:
  """The path of shard `index` of `count` of the cache file `path`."""
  return f"{path[:-4]}-{index:05d}-of-{count:05d}.npz"


def entries_bytes(table: dict[str, tuple]) -> bytes:
  """The .npz bytes of {name: (label, values)}, names sorted."""
  names = sorted(table)
  buffer = io.BytesIO()
  np.savez(buffer, names=np.asarray(names, dtype=np.str_),
           labels=np.asarray([table[n][0] for n in names], np.int64),
           values=(np.stack([table[n][1] for n in names]) if names
                   else np.zeros((0,), np.float32)))
  return buffer.getvalue()


# (total, unit=, description=) -> a context manager with `advance(count)`,
# as `fmi_tf.io.progress.Progress`.
ProgressFactory = Callable[..., contextlib.AbstractContextManager]


class _Silent(contextlib.nullcontext):
  """A progress display that shows nothing."""

  def __init__(self, total: int, unit: str = "", description: str = ""):
    del total, unit, description
    super().__init__()

  def __enter__(self) -> "_Silent":
    return self

  def advance(self, count: int = 1, status: str = "") -> None:
    del count, status


class DescriptorCache:
  """Encodes splits through an on-disk cache (or none, without directory)."""

  def __init__(self, directory: Optional[str], record: dict,
               progress: Optional[ProgressFactory] = None):
    """Opens the cache of one dataset, image size, network and weights.

    Args:
      directory: where cache files live; None to cache nothing.
      record: JSON-able description of the dataset, image size, network and
        weights; with the scale and the statistic's name it is hashed into
        each cache file's name.
      progress: shows how encoding progresses, e.g.
        `fmi_tf.io.progress.Progress`; None shows nothing.
    """
    self._directory = directory
    self._record = record
    self._progress = progress or _Silent
    self._entries: dict[tuple[float, layer_statistics.Statistic],
                        dict[str, tuple]] = {}
    if directory:
      outputs.prepare_directory(directory)

  def path(self, scale: float,
           key: layer_statistics.Statistic) -> Optional[str]:
    """The cache file of a statistic at a scale; None without directory."""
    return self._path(scale, key)

  def entries(self, scale: float,
              key: layer_statistics.Statistic) -> dict[str, tuple]:
    """{name: (label, values)} of a statistic at a scale, cached so far."""
    return self._table(scale, key)

  def _path(self, scale: float,
            key: layer_statistics.Statistic) -> Optional[str]:
    if not self._directory:
      return None
    record = {**self._record, "scale": scale, "statistic": key.name}
    path = os.path.join(self._directory, f"{cache_key(record)}.npz")
    if not os.path.isfile(path[:-4] + ".json"):
      outputs.write_json(path[:-4] + ".json", record)
    return path

  def _table(self, scale: float,
             key: layer_statistics.Statistic) -> dict[str, tuple]:
    """{name: (label, values)} of one statistic, read from disk once."""
    if (scale, key) not in self._entries:
      entries = {}
      path = self._path(scale, key)
      if path and os.path.isfile(path):
        entries = _read(path)
      if path:
        for shard in sorted(glob.glob(glob.escape(path[:-4]) + "-*-of-*.npz")):
          entries = {**_read(shard), **entries}
      self._entries[scale, key] = entries
    return self._entries[scale, key]

  def _write(self, scale: float, key: layer_statistics.Statistic) -> None:
    """Merges the entries on disk with ours and writes them, under the lock."""
    path = self._path(scale, key)
    if not path:
      return
    with outputs.exclusive_lock(path[:-4] + ".lock"):
      table = self._entries[scale, key]
      if os.path.isfile(path):
        table = self._entries[scale, key] = {**_read(path, warn=False),
                                             **table}
      outputs.write_bytes(path, entries_bytes(table))

  def prefetch(self, statistics: layer_statistics.LayerStatistics,
               examples: split.Examples, image_size: int,
               batch_size: int = 16, description: str = "encode") -> float:
    """Encodes the statistics not cached yet, in one pass over the images.

    Args:
      statistics: the statistics to compute and their scale (an encoder's
        own, or `layer_statistics.statistics_layer` for several encoders at
        once).
      examples: the images.
      image_size: the side of the square the images are fitted to.
      batch_size: images per call.
      description: what the progress display calls this pass.

    Returns:
      Seconds spent encoding (0 when everything was cached).
    """
    scale = statistics.scale
    tables = [self._table(scale, key) for key in statistics.keys]
    missing = tuple(n for n in examples.names
                    if any(n not in table for table in tables))
    if not missing:
      return 0.0
    start = time.perf_counter()
    encode = tf.function(statistics, reduce_retracing=True)
    with self._progress(len(missing), unit="image",
                        description=f"{description} x{scale:g}") as bar:
      for batch in pipeline.batches(examples.subset(missing).images(),
                                    image_size, batch_size):
        values = [v.numpy() for v in encode(batch["image"])]
        labels = batch["label"].numpy()
        for i, name in enumerate(batch["name"].numpy()):
          for table, value in zip(tables, values):
            table[name.decode("utf8")] = (int(labels[i]), value[i])
        bar.advance(len(labels))
    for key in statistics.keys:
      self._write(scale, key)
    return time.perf_counter() - start

  def encode(self, encoder: keras.Model, examples: split.Examples,
             image_size: int, batch_size: int = 16,
             description: str = "encode") -> Encoded:
    """Returns the split's descriptors by `encoder`, encoding what is not
    cached with the encoder's own statistics layers.

    Args:
      encoder: a model `encoder.build` made.
      examples: the images.
      image_size: the side of the square the images are fitted to.
      batch_size: images per call.
      description: what the progress display calls this pass.

    Images that cannot be decoded, or have more pixels than
    `fmi_tf.io.images.MAX_PIXELS`, are logged by name and left out.
    """
    descriptor = texture_encoder.descriptor_layer(encoder)
    seconds = sum(self.prefetch(statistics, examples, image_size,
                                batch_size, description)
                  for statistics in descriptor.statistics)
    tables = [[self._table(statistics.scale, key) for key in statistics.keys]
              for statistics in descriptor.statistics]
    names = tuple(n for n in examples.names
                  if all(n in t for per_scale in tables for t in per_scale))
    skipped = tuple(n for n in examples.names if n not in names)
    for name in skipped:
      logging.warning("skipped image %s: it cannot be decoded or has more "
                      "than %d pixels", name, image_io.MAX_PIXELS)
    if not names:
      return Encoded((), np.zeros(0, np.int64), np.zeros((0, 0), np.float32),
                     skipped, seconds)
    per_scale = [[np.stack([t[n][1] for n in names]) for t in per_key]
                 for per_key in tables]
    descriptors = layer_statistics.pool(descriptor.config, per_scale).numpy()
    return Encoded(
        names=names,
        labels=np.asarray([tables[0][0][n][0] for n in names], np.int64),
        descriptors=descriptors.astype(np.float32), skipped=skipped,
        seconds=seconds)

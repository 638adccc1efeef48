"""Per-layer statistics of a dataset's images, encoded once and cached.

A cache belongs to one (dataset, image size, network, weights) combination;
its record includes `weights_digest`, a hash of the weights' values, so new
weights at an old path get a new cache. It holds,
for each scale and each statistic key of `encoder.statistic_keys`
(`energy1/block5_conv1`, `gram64/block4_conv1`, ...), the values of every
image encoded so far, one NumPy `.npz` file per (scale, key): names, labels,
values (plain arrays; read with `allow_pickle=False`). Descriptors are pooled
from these statistics exactly as the encoder pools them (`encoder.pool`), so
the ten DTD folds, which share their 1200 images, and every encoder that
shares layers and scales with another, encode each image once per scale.
`prefetch` encodes the union of several encoders' statistics in one pass.

Runs may share a cache: each write takes an exclusive lock (`<file>.lock`),
merges the entries already on disk with its own and replaces the file
atomically, so concurrent runs never lose one another's entries.
"""

import dataclasses
import hashlib
import io
import json
import os
import time
from typing import Iterable, Optional, Sequence

from absl import logging
import keras
import numpy as np
import tensorflow as tf

from fmi_tf.io import outputs
from fmi_tf.io import progress
from fmi_tf.nets import feature_model
from fmi_tf.recognition import encoder as texture_encoder
from fmi_tf.recognition.datasets import pipeline
from fmi_tf.recognition.datasets import split


@dataclasses.dataclass(frozen=True)
class Encoded:
  """Descriptors of a split.

  Attributes:
    names: image names, in the split's order, skipped ones left out.
    labels: int [N] class indices.
    descriptors: float32 [N, D].
    skipped: names of images that could not be decoded.
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


def _read(path: str) -> dict[str, tuple]:
  """{name: (label, values)} of one cache file."""
  with np.load(path, allow_pickle=False) as archive:
    return {str(n): (int(l), v) for n, l, v in zip(
        archive["names"], archive["labels"], archive["values"])}


def statistics_model(backbone: feature_model.Backbone, keys: Sequence[str],
                     scale: float) -> keras.Model:
  """Images [B, H, W, 3] -> {key: [B, D]} at one scale."""
  layers = sorted({key.split("/")[1] for key in keys})
  features = feature_model.feature_model(backbone, layers)
  inputs = keras.Input((None, None, 3), name="images")
  outputs_ = texture_encoder.LayerStatistics(features, keys, scale)(inputs)
  return keras.Model(inputs, outputs_, name="layer_statistics")


class DescriptorCache:
  """Encodes splits through an on-disk cache (or none, without directory)."""

  def __init__(self, directory: Optional[str], record: dict):
    """Opens the cache of one dataset, image size, network and weights.

    Args:
      directory: where cache files live; None to cache nothing.
      record: JSON-able description of the dataset, image size, network and
        weights;
        with the scale and the statistic key it names each cache file.
    """
    self._directory = directory
    self._record = record
    self._entries: dict[tuple[float, str], dict[str, tuple]] = {}
    if directory:
      outputs.prepare_directory(directory)

  def _path(self, scale: float, key: str) -> Optional[str]:
    if not self._directory:
      return None
    record = {**self._record, "scale": scale, "statistic": key}
    path = os.path.join(self._directory, f"{cache_key(record)}.npz")
    if not os.path.isfile(path[:-4] + ".json"):
      outputs.write_json(path[:-4] + ".json", record)
    return path

  def _table(self, scale: float, key: str) -> dict[str, tuple]:
    """{name: (label, values)} of one statistic, read from disk once."""
    if (scale, key) not in self._entries:
      entries = {}
      path = self._path(scale, key)
      if path and os.path.isfile(path):
        entries = _read(path)
      self._entries[scale, key] = entries
    return self._entries[scale, key]

  def _write(self, scale: float, key: str) -> None:
    """Merges the entries on disk with ours and writes them, under the lock."""
    path = self._path(scale, key)
    if not path:
      return
    with outputs.exclusive_lock(path[:-4] + ".lock"):
      table = self._entries[scale, key]
      if os.path.isfile(path):
        table = self._entries[scale, key] = {**_read(path), **table}
      names = sorted(table)
      buffer = io.BytesIO()
      np.savez(buffer, names=np.asarray(names, dtype=np.str_),
               labels=np.asarray([table[n][0] for n in names]),
               values=np.stack([table[n][1] for n in names]))
      outputs.write_bytes(path, buffer.getvalue())

  def prefetch(self, backbone: feature_model.Backbone,
               examples: split.Examples, keys: Iterable[str], scale: float,
               image_size: int, batch_size: int = 16,
               description: str = "encode") -> float:
    """Encodes the statistics not cached yet, in one pass over the images.

    Returns:
      Seconds spent encoding (0 when everything was cached).
    """
    keys = tuple(sorted(set(keys)))
    tables = {key: self._table(scale, key) for key in keys}
    missing = tuple(n for n in examples.names
                    if any(n not in table for table in tables.values()))
    if not missing:
      return 0.0
    start = time.perf_counter()
    encode = tf.function(statistics_model(backbone, keys, scale),
                         reduce_retracing=True)
    with progress.Progress(len(missing), unit="image",
                           description=f"{description} x{scale:g}") as bar:
      for batch in pipeline.batches(examples.subset(missing).images(),
                                    image_size, batch_size):
        values = {key: v.numpy() for key, v in encode(batch["image"]).items()}
        labels = batch["label"].numpy()
        for i, name in enumerate(batch["name"].numpy()):
          for key in keys:
            tables[key][name.decode("utf8")] = (int(labels[i]),
                                                values[key][i])
        bar.advance(len(labels))
    for key in keys:
      self._write(scale, key)
    return time.perf_counter() - start

  def encode(self, backbone: feature_model.Backbone,
             config: texture_encoder.EncoderConfig, examples: split.Examples,
             image_size: int, batch_size: int = 16,
             description: str = "encode") -> Encoded:
    """Returns the split's descriptors, encoding what is not cached.

    Images that cannot be decoded are logged by name and left out.
    """
    keys = texture_encoder.statistic_keys(config)
    seconds = sum(self.prefetch(backbone, examples, keys, scale, image_size,
                                batch_size, description)
                  for scale in config.scales)
    tables = [[self._table(scale, key) for key in keys]
              for scale in config.scales]
    names = tuple(n for n in examples.names
                  if all(n in t for per_scale in tables for t in per_scale))
    skipped = tuple(n for n in examples.names if n not in names)
    for name in skipped:
      logging.warning("skipped undecodable image %s", name)
    if not names:
      return Encoded((), np.zeros(0, np.int64), np.zeros((0, 0), np.float32),
                     skipped, seconds)
    per_scale = [[np.stack([t[n][1] for n in names]) for t in per_key]
                 for per_key in tables]
    descriptors = texture_encoder.pool(config, per_scale).numpy()
    return Encoded(
        names=names,
        labels=np.asarray([tables[0][0][n][0] for n in names], np.int64),
        descriptors=descriptors.astype(np.float32), skipped=skipped,
        seconds=seconds)

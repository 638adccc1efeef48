"""Descriptors of a dataset's images, encoded once and cached on disk.

A cache file holds, for one (dataset, encoder config, image size, network,
weights) combination, every image encoded so far: names, labels and
descriptors in a NumPy `.npz` archive (plain arrays; read with
`allow_pickle=False`). Encoding a split looks up its names and runs the
encoder on the missing ones only, so the ten DTD folds, which share their
1200 images, encode each image once.

Runs may share a cache: each write takes an exclusive lock (`<key>.lock`),
merges the entries already on disk with its own and replaces the file
atomically, so concurrent runs never lose one another's entries. The record
that names the file includes `weights_digest`, a hash of the weights'
values, so new weights at an old path get a new cache file.
"""

import dataclasses
import hashlib
import io
import json
import os
import time
from typing import Optional, Sequence

from absl import logging
import keras
import numpy as np
import tensorflow as tf

from fmi_tf.io import outputs
from fmi_tf.io import progress
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


def _run(encoder: keras.Model, examples: split.Examples, image_size: int,
         batch_size: int, description: str) -> dict[str, tuple]:
  """Encodes the examples: {name: (label, descriptor)}."""
  encode = tf.function(encoder, reduce_retracing=True)
  found = {}
  with progress.Progress(len(examples), unit="image",
                         description=description) as bar:
    for batch in pipeline.batches(examples.images(), image_size, batch_size):
      descriptors = encode(batch["image"]).numpy()
      for name, label, descriptor in zip(batch["name"].numpy(),
                                         batch["label"].numpy(), descriptors):
        found[name.decode("utf8")] = (int(label), descriptor)
      bar.advance(len(descriptors))
  return found


class DescriptorCache:
  """Encodes splits through an on-disk cache (or none, without directory)."""

  def __init__(self, directory: Optional[str], record: dict):
    """Opens the cache of one encoding.

    Args:
      directory: where cache files live; None to cache nothing.
      record: JSON-able description of the dataset, encoder configuration,
        image size and weights; it names the cache file.
    """
    self._path = None
    self._entries: dict[str, tuple] = {}
    if directory:
      outputs.prepare_directory(directory)
      self._path = os.path.join(directory, f"{cache_key(record)}.npz")
      outputs.write_json(self._path[:-4] + ".json", record)
      if os.path.isfile(self._path):
        self._entries = self._read(self._path)

  @staticmethod
  def _read(path: str) -> dict[str, tuple]:
    with np.load(path, allow_pickle=False) as archive:
      return {str(n): (int(l), d) for n, l, d in zip(
          archive["names"], archive["labels"], archive["descriptors"])}

  def _write(self) -> None:
    """Merges the entries on disk with ours and writes them, under the lock."""
    with outputs.exclusive_lock(self._path[:-4] + ".lock"):
      if os.path.isfile(self._path):
        self._entries = {**self._read(self._path), **self._entries}
      self._write_entries()

  def _write_entries(self) -> None:
    names = sorted(self._entries)
    buffer = io.BytesIO()
    np.savez(buffer, names=np.asarray(names, dtype=np.str_),
             labels=np.asarray([self._entries[n][0] for n in names]),
             descriptors=np.stack([self._entries[n][1] for n in names]))
    outputs.write_bytes(self._path, buffer.getvalue())

  def encode(self, encoder: keras.Model, examples: split.Examples,
             image_size: int, batch_size: int = 16,
             description: str = "encode") -> Encoded:
    """Returns the split's descriptors, encoding what is not cached.

    Images that cannot be decoded are logged by name and left out.
    """
    missing = tuple(n for n in examples.names if n not in self._entries)
    seconds = 0.0
    if missing:
      subset = examples.subset(missing)
      start = time.perf_counter()
      self._entries.update(_run(encoder, subset, image_size, batch_size,
                                description))
      seconds = time.perf_counter() - start
      if self._path:
        self._write()
    names = tuple(n for n in examples.names if n in self._entries)
    skipped = tuple(n for n in examples.names if n not in self._entries)
    for name in skipped:
      logging.warning("skipped undecodable image %s", name)
    return Encoded(
        names=names,
        labels=np.asarray([self._entries[n][0] for n in names], np.int64),
        descriptors=np.stack([self._entries[n][1] for n in names]).astype(
            np.float32) if names else np.zeros((0, 0), np.float32),
        skipped=skipped, seconds=seconds)

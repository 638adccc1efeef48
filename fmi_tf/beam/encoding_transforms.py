"""The encoding pipeline's Beam transforms (imported only with Beam installed).

`EncodeShard` encodes one item's images at every scale, with statistics
layers built once per worker, and writes the item's shard files, each whole
(renamed into place, or uploaded to a URL).
"""

from typing import Iterator

import apache_beam as beam

from fmi_tf.beam import network_spec
from fmi_tf.io import storage
from fmi_tf.recognition import descriptor_cache
from fmi_tf.recognition import layer_statistics


class EncodeShard(beam.DoFn):
  """Encodes (fold, part, names, shards) items into their shard files."""

  def __init__(self, plan):
    """Keeps what every item needs (an `encoding.EncodingPlan`)."""
    super().__init__()
    self._network = network_spec.SharedNetwork(plan.network)
    self._dataset = plan.dataset
    self._image_size = plan.image_size
    self._batch_size = plan.batch_size
    self._scales = plan.statistics
    self._storage = storage.carried()
    self._layers = None
    self._folds = {}

  def setup(self):
    if self._storage:
      storage.configure(self._storage)
    backbone = self._network.acquire()
    self._layers = [layer_statistics.statistics_layer(backbone, keys, scale)
                    for scale, keys in self._scales]
    self._folds = {}

  def _examples(self, fold: int, part: str, names):
    if fold not in self._folds:
      self._folds[fold] = self._dataset.load(fold)
    return getattr(self._folds[fold], part).subset(names)

  def process(self, item) -> Iterator[int]:
    """Encodes the item's images; yields how many were encoded."""
    fold, part, names, shards = item
    examples = self._examples(fold, part, names)
    cache = descriptor_cache.DescriptorCache(None, {})  # in memory
    for statistics in self._layers:
      cache.prefetch(statistics, examples, self._image_size,
                     self._batch_size)
    paths = {(scale, name): path for scale, name, path in shards}
    for statistics in self._layers:
      for key in statistics.keys:
        storage.write_bytes(
            paths[statistics.scale, key.name],
            descriptor_cache.entries_bytes(
                cache.entries(statistics.scale, key)))
    yield len(names)


def encoding_pipeline(pipeline: beam.Pipeline, plan) -> beam.PCollection:
  """Adds the encoding of an `encoding.EncodingPlan` to `pipeline`.

  Returns:
    A PCollection of one element: the images encoded.
  """
  return (pipeline
          | "Items" >> beam.Create(plan.items)
          | "Spread" >> beam.Reshuffle()
          | "Encode" >> beam.ParDo(EncodeShard(plan))
          | "Count" >> beam.CombineGlobally(sum))

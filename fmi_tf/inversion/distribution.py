"""Batched inversion under a tf.distribute strategy.

Filters are independent (per-element Adam, per-filter seeded noise, batch
norm in inference mode), so distributing an inversion needs no cross-replica
traffic: on one machine, the filter list is split into contiguous slices,
one per local replica device (the GPUs of `MirroredStrategy`, else its CPUs);
each replica runs its own copy of the network and the compiled loop on its
device, driven by its own one-thread executor (eager TF releases the GIL),
and each batch's results are yielded as it finishes. Beyond one machine, the work
is split by shards (`fmi_tf.draw_atlas`'s `shard`) or by a Beam pipeline
(`fmi_tf.beam`).

A filter's result is therefore the one a single device gives for the same
seed, up to floating-point reassociation.
"""

from concurrent import futures
import dataclasses
from typing import Iterator, Optional, Sequence

import keras
import numpy as np
import tensorflow as tf

from fmi_tf import errors
from fmi_tf.inversion import filter_result
from fmi_tf.inversion import filters
from fmi_tf.io import summaries
from fmi_tf.nets import feature_model

STRATEGIES = ("default", "mirrored")


def make_strategy(kind: str) -> tf.distribute.Strategy:
  """Returns the strategy named by `kind`.

  Args:
    kind: `"default"` (no distribution) or `"mirrored"` (every local GPU,
      else every logical CPU).

  Raises:
    ArgumentError: for an unknown kind.
  """
  errors.check_choice("strategy", kind, STRATEGIES)
  if kind == "default":
    return tf.distribute.get_strategy()
  devices = (tf.config.list_logical_devices("GPU")
             or tf.config.list_logical_devices("CPU"))
  return tf.distribute.MirroredStrategy([d.name for d in devices])


def contiguous_slices(items: Sequence, count: int) -> list[list]:
  """Splits `items` into `count` contiguous runs, sizes differing by <= 1."""
  size, extra = divmod(len(items), count)
  slices, start = [], 0
  for i in range(count):
    stop = start + size + (1 if i < extra else 0)
    slices.append(list(items[start:stop]))
    start = stop
  return slices


def replica_devices(strategy: tf.distribute.Strategy) -> list[Optional[str]]:
  """Returns the local replica devices; `[None]` for no distribution."""
  try:
    return list(strategy.extended.worker_devices)
  except RuntimeError:
    return [None]


def _backbone_on(backbone: feature_model.Backbone,
                 device: Optional[str]) -> feature_model.Backbone:
  """Returns a copy of the backbone whose weights live on `device`."""
  if device is None:
    return backbone
  with tf.device(device):
    model = keras.models.clone_model(backbone.model)
    model.set_weights(backbone.model.get_weights())
  return dataclasses.replace(backbone, model=model)


class DistributedInverter:
  """Inverts one layer's filters on every local replica of a strategy."""

  def __init__(self, backbone: feature_model.Backbone, layer: str,
               config: filters.InversionConfig,
               strategy: tf.distribute.Strategy,
               writer: Optional[summaries.SummaryWriter] = None):
    """Builds one network copy and compiled loop per local replica device.

    Args:
      backbone: the network and its weight coverage.
      layer: the layer whose filters are inverted, either spelling.
      config: inversion settings, the same on every replica.
      strategy: gives the local replica devices.
      writer: TensorBoard writer shared by the replicas; None writes nothing.

    Raises:
      LayerError, WeightsError: for a layer unknown or not covered.
    """
    self.devices = replica_devices(strategy)
    self._batch_size = config.batch_size
    self._inverters = []
    for device in self.devices:
      with tf.device(device):
        self._inverters.append(filters.FilterInverter(
            _backbone_on(backbone, device), layer, config, writer))
    self.layer = self._inverters[0].layer
    self.num_filters = self._inverters[0].num_filters
    self.layer_record = self._inverters[0].layer_record

  def invert(self, image: np.ndarray, filter_ids: Sequence[int],
             on_step: Optional[filters.StepFn] = None
             ) -> Iterator[filter_result.FilterResult]:
    """Inverts the filters, each replica a contiguous run of the batches one
    device would run, concurrently.

    The batches are those of one device (`batch_size` filters each, in the
    order given), so a filter's result does not depend on the number of
    devices. Each replica's executor runs its batches one after another;
    an exception of a batch is raised here, and leaving the loop (an
    exception, or the caller closing the generator) cancels the batches not
    started and waits for those running.

    Args:
      image: [H, W, 3] float32 RGB in [0, 1], whose code is modified.
      filter_ids: the filters, without repeats.
      on_step: status callback of `FilterInverter.invert`, called from the
        replicas' threads.

    Yields:
      One `FilterResult` per filter, as each replica's batches finish.
    """
    if len(self.devices) == 1:  # No threads: an interrupt ends it at once.
      with tf.device(self.devices[0]):
        yield from self._inverters[0].invert(image, filter_ids, on_step)
      return
    size = self._batch_size
    runs = contiguous_slices(
        [list(filter_ids[i:i + size])
         for i in range(0, len(filter_ids), size)], len(self.devices))
    executors = [futures.ThreadPoolExecutor(1) for _ in self.devices]

    def batch(inverter, device, ids):
      with tf.device(device):
        return list(inverter.invert(image, ids, on_step))

    batches = [executor.submit(batch, inverter, device, ids)
               for executor, inverter, device, run in zip(
                   executors, self._inverters, self.devices, runs)
               for ids in run]
    try:
      for finished in futures.as_completed(batches):
        yield from finished.result()
    finally:
      # Each replica ends after its current batch; none may still be in
      # TensorFlow when the process exits (that aborts it).
      for executor in executors:
        executor.shutdown(wait=True, cancel_futures=True)

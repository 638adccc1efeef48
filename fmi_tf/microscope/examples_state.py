"""The resumable state of one shard of a dataset-examples pass.

A shard's state is its running top-k per layer (`top_k`), its per-class
sums of spatial means, and which images of the whole list it has passed
through; it is saved atomically as an .npz file of the state directory
(`examples_files.state_directory`) named by the run's key and the shard
(`<key>_<i>of<n>.npz`), at checkpoints and once the shard is complete. The
states of all n shards merge into the state of the whole pass.
"""

import dataclasses
import io
import os
from typing import Optional, Sequence

import numpy as np

from fmi_tf import errors
from fmi_tf.io import outputs
from fmi_tf.io import paths
from fmi_tf.microscope import examples_files
from fmi_tf.microscope import top_k


@dataclasses.dataclass
class ShardState:
  """One shard's progress: the running top-k and class sums per layer."""
  tops: dict[str, top_k.TopK]
  class_sums: dict[str, np.ndarray]  # [classes, C] sums of spatial means
  class_counts: np.ndarray  # [classes]
  done: np.ndarray  # bool [N] images of the whole list passed through
  labels: np.ndarray  # int64 [N] their labels (-1: not passed through)
  complete: bool = False

  @classmethod
  def empty(cls, channels: dict[str, int], k: int, classes: int,
            images: int) -> "ShardState":
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
  def from_arrays(cls, arrays, names: Sequence[str]) -> "ShardState":
    return cls({n: top_k.TopK(*(arrays[f"{i}/{f}"] for f in (
        "scores", "images", "rows", "cols"))) for i, n in enumerate(names)},
               {n: arrays[f"{i}/class_sums"] for i, n in enumerate(names)},
               arrays["class_counts"], arrays["done"], arrays["labels"],
               bool(arrays["complete"]))

  def merge(self, other: "ShardState") -> None:
    for name, top in self.tops.items():
      top.merge(other.tops[name])
      self.class_sums[name] = self.class_sums[name] + other.class_sums[name]
    self.class_counts = self.class_counts + other.class_counts
    self.done = self.done | other.done
    self.labels = np.maximum(self.labels, other.labels)
    self.complete = self.complete and other.complete


def path(out: str, key: str, index: int, count: int) -> str:
  """The state file of shard `index` of `count` of run `key`."""
  return paths.join_under(examples_files.state_directory(out),
                         f"{key}_{index}of{count}.npz")


def load(state_path: str, names: Sequence[str]) -> Optional[ShardState]:
  """The state saved at `state_path`, or None if there is none.

  Raises:
    ArgumentError: if the file cannot be read as a state of these layers.
  """
  if not os.path.isfile(state_path):
    return None
  try:
    with np.load(state_path, allow_pickle=False) as arrays:
      return ShardState.from_arrays(dict(arrays), names)
  except (OSError, ValueError, KeyError) as e:
    raise errors.ArgumentError(
        f"cannot resume from {state_path}: {e}; delete it to start this "
        "shard again") from None


def save(state_path: str, state: ShardState) -> None:
  """Writes the state atomically."""
  buffer = io.BytesIO()
  np.savez(buffer, **state.arrays())
  outputs.write_bytes(state_path, buffer.getvalue())


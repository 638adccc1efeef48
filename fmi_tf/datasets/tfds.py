"""Image-classification datasets of tensorflow-datasets, by builder name.

`tfds:dtd` (or any builder with an `image` and a `label` feature) is read
from `data_dir` when prepared there. Downloading is attempted only when
asked for (`download=True`), and never through Google Cloud Storage's
pre-prepared copies, so that an offline run fails at once with one line.
The training part is the builder's `train` (plus `validation` if present)
split, the test part its `test` split; a builder without a `test` split is
cut by tfds's percent slicing, `train[:P%]` / `train[P%:]`.
"""

from typing import Optional

import tensorflow as tf
import tensorflow_datasets as tfds_lib

from fmi_tf import errors
from fmi_tf.datasets import split


def _builder(name: str, data_dir: Optional[str], download: bool):
  try:
    builder = tfds_lib.builder(name, data_dir=data_dir, try_gcs=False)
  except Exception as e:  # tfds raises many kinds for unknown builders.
    raise errors.ArgumentError(
        f"no tensorflow-datasets builder {name!r}: "
        f"{str(e).splitlines()[0]}") from None
  if not builder.is_prepared():
    if not download:
      raise errors.ArgumentError(
          f"tensorflow-datasets {name!r} is not prepared in "
          f"{builder.data_dir_root}; prepare it there or allow downloading")
    try:
      builder.download_and_prepare()
    except Exception as e:  # Network and archive errors of many kinds.
      raise errors.ArgumentError(
          f"cannot download tensorflow-datasets {name!r}: "
          f"{str(e).splitlines()[0] if str(e) else type(e).__name__}"
      ) from None
  return builder


def _examples(builder, split_name: str) -> split.Examples:
  count = builder.info.splits[split_name].num_examples
  names = tuple(f"{split_name}/{i}" for i in range(count))

  def images(wanted: Optional[tuple[str, ...]]) -> tf.data.Dataset:
    dataset = builder.as_dataset(split=split_name, shuffle_files=False,
                                 as_supervised=True)
    dataset = tf.data.Dataset.zip(
        tf.data.Dataset.from_tensor_slices(list(names)), dataset).map(
            lambda name, example: {"name": name, "image": example[0],
                                   "label": tf.cast(example[1], tf.int64)})
    if wanted is None or len(wanted) == len(names):
      return dataset
    keep = tf.constant(list(wanted))
    return dataset.filter(
        lambda e: tf.reduce_any(tf.equal(e["name"], keep)))

  return split.Examples(names, images)


def load(name: str, data_dir: Optional[str] = None, download: bool = False,
         test_percent: int = 25) -> split.Dataset:
  """Loads a tensorflow-datasets image-classification dataset.

  Raises:
    ArgumentError: for an unknown builder, or data neither prepared nor
      downloadable.
  """
  builder = _builder(name, data_dir, download)
  splits = builder.info.splits
  if "test" in splits:
    train_split = "train+validation" if "validation" in splits else "train"
    test_split = "test"
  else:
    train_split = f"train[:{100 - test_percent}%]"
    test_split = f"train[{100 - test_percent}%:]"
  return split.Dataset(
      name=f"tfds:{name}", class_names=tuple(
          builder.info.features["label"].names),
      train=_examples(builder, train_split),
      test=_examples(builder, test_split),
      protocol=f"tfds splits {train_split} / {test_split}")

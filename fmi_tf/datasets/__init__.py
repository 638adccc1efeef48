"""Labelled texture datasets by spec: tfds, image folders, DTD, Brodatz.

A spec names the source: `tfds:NAME`, `folder:PATH`, `dtd:PATH`,
`brodatz:PATH`; a bare path is read as DTD when it holds fold lists, else as
an image folder. A `DatasetSpec` is a spec with its split settings, the one
value the training, the evaluation and the Beam encoding take.

Examples:
  >>> data = datasets.DatasetSpec("folder:textures/", test_fraction=0.5)
  >>> fold = data.load()
  >>> fold.class_names, len(fold.train.names)
"""

import dataclasses
from typing import Optional, Union

from fmi_tf import errors
from fmi_tf import limits
from fmi_tf.io import inputs
from fmi_tf.datasets import brodatz
from fmi_tf.datasets import dtd
from fmi_tf.datasets import folder
from fmi_tf.datasets import tfds
from fmi_tf.datasets.split import Dataset
from fmi_tf.datasets.split import Examples

KINDS = ("tfds", "folder", "dtd", "brodatz")

__all__ = ["Dataset", "DatasetSpec", "Examples", "KINDS", "Source", "load",
           "resolve"]


def load(spec: str, fold: int = 1, test_fraction: float = 0.25,
         seed: int = 0, tiles_per_side: int = 4,
         data_dir: Optional[str] = None, download: bool = False) -> Dataset:
  """Loads a dataset split into train and test parts.

  Args:
    spec: `kind:location` or a bare directory (see the module docstring).
    fold: the DTD fold, 1..10.
    test_fraction: the held-out share of image folders and Brodatz tiles.
    seed: the seed of that stratified split.
    tiles_per_side: the Brodatz tiling.
    data_dir: tensorflow-datasets' data directory.
    download: whether tensorflow-datasets may download and prepare.

  Returns:
    The dataset.

  Raises:
    ArgumentError: for an unknown kind, a missing directory or bad split
      (a test fraction outside (0, 1), a negative seed).
  """
  errors.check_fraction("test_fraction", test_fraction)
  limits.check_count("seed", seed, 0, limits.MAX_SEED)
  kind, _, location = spec.partition(":")
  if kind not in KINDS:
    kind, location = ("dtd" if dtd.is_dtd_layout(spec) else "folder"), spec
  if not location:
    raise errors.ArgumentError(f"dataset spec {spec!r} names nothing")
  if kind == "tfds":
    return tfds.load(location, data_dir, download,
                     round(100 * test_fraction))
  if kind == "dtd":
    return dtd.load(location, fold)
  if kind == "brodatz":
    return brodatz.load(location, tiles_per_side, test_fraction, seed)
  return folder.load(location, test_fraction, seed)


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
  """A dataset spec and its split settings; every Beam worker must see the
  images.

  Attributes:
    source: `folder:PATH`, `dtd:PATH`, `brodatz:PATH`, `tfds:NAME` or a
      directory, as `fmi-texture-train --dataset` takes it; PATH may be a
      URL (`gs://`, `s3://`), read through a local copy
      (`fmi_tf.io.inputs.local_spec`).
    test_fraction: the held-out share of folders, tiles and tfds builders
      without a test split.
    seed: the seed of the stratified split.
    tiles_per_side: the Brodatz tiling.
    tfds_data_dir: tensorflow-datasets' data directory.
    tfds_download: whether tensorflow-datasets may download and prepare.
  """
  source: str
  test_fraction: float = 0.25
  seed: int = 0
  tiles_per_side: int = 4
  tfds_data_dir: Optional[str] = None
  tfds_download: bool = False

  def __post_init__(self):
    if not isinstance(self.source, str):
      raise errors.ArgumentError(
          "a dataset spec is a string such as folder:PATH, not "
          f"{errors.shown(self.source)}")

  def load(self, fold: int = 1) -> Dataset:
    """The dataset's fold (DTD; other datasets have one split).

    Raises:
      ArgumentError: as `load`.
    """
    return load(inputs.local_spec(self.source), fold, self.test_fraction,
                self.seed, self.tiles_per_side, self.tfds_data_dir,
                self.tfds_download)


# A spec, a spec with its settings, or a dataset already loaded.
Source = Union[str, DatasetSpec, Dataset]


def resolve(source: Source, fold: int = 1, test_fraction: float = 0.25,
            seed: int = 0, tiles_per_side: int = 4,
            data_dir: Optional[str] = None,
            download: bool = False) -> Dataset:
  """A dataset given as such, or loaded from its spec by `load`.

  The other arguments, those of `load`, apply to a spec string only; a
  `DatasetSpec` brings its own, and `fold` picks its fold.

  Raises:
    ArgumentError: as `load`, or for a source that is none of these.
  """
  if isinstance(source, Dataset):
    return source
  if isinstance(source, DatasetSpec):
    return source.load(fold)
  if not isinstance(source, str):
    raise errors.ArgumentError(
        "a dataset is a spec, a datasets.DatasetSpec or a datasets.Dataset, "
        f"not {errors.shown(source)}")
  return DatasetSpec(source, test_fraction, seed, tiles_per_side, data_dir,
                     download).load(fold)

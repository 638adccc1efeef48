"""Labelled texture datasets by spec: tfds, image folders, DTD, Brodatz.

A spec names the source: `tfds:NAME`, `folder:PATH`, `dtd:PATH`,
`brodatz:PATH`; a bare path is read as DTD when it holds fold lists, else as
an image folder.
"""

from typing import Optional, Union

from fmi_tf import errors
from fmi_tf import limits
from fmi_tf.datasets import brodatz
from fmi_tf.datasets import dtd
from fmi_tf.datasets import folder
from fmi_tf.datasets import tfds
from fmi_tf.datasets.split import Dataset
from fmi_tf.datasets.split import Examples

KINDS = ("tfds", "folder", "dtd", "brodatz")

__all__ = ["Dataset", "Examples", "KINDS", "Source", "load", "resolve"]

# A spec (see `load`) or a dataset already loaded.
Source = Union[str, Dataset]


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


def resolve(source: Source, fold: int = 1, test_fraction: float = 0.25,
            seed: int = 0, tiles_per_side: int = 4,
            data_dir: Optional[str] = None,
            download: bool = False) -> Dataset:
  """A dataset given as such, or loaded from its spec by `load`.

  The other arguments, those of `load`, apply to a spec only.

  Raises:
    ArgumentError: as `load`, or for a source that is neither.
  """
  if isinstance(source, Dataset):
    return source
  if not isinstance(source, str):
    raise errors.ArgumentError(
        f"a dataset is a spec or a datasets.Dataset, not {type(source)}")
  return load(source, fold, test_fraction, seed, tiles_per_side, data_dir,
              download)

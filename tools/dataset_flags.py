"""The dataset flags of fmi-dataset-examples and the texture tools
(`texture_flags`): --dataset and how it is read; defaults
`datasets.DatasetSpec`'s."""

import dataclasses

from absl import flags

from fmi_tf import datasets

_DEFAULTS = {field.name: field.default
             for field in dataclasses.fields(datasets.DatasetSpec)}

DATASET = flags.DEFINE_string(
    "dataset", None, "tfds:NAME, folder:PATH, dtd:PATH, brodatz:PATH or a "
    "directory (DTD if it holds split lists, else an image folder).",
    required=True)
TILES_PER_SIDE = flags.DEFINE_integer(
    "tiles_per_side", _DEFAULTS["tiles_per_side"],
    "Brodatz: tiles per plate side.", lower_bound=2, upper_bound=64)
TFDS_DATA_DIR = flags.DEFINE_string(
    "tfds_data_dir", _DEFAULTS["tfds_data_dir"],
    "tensorflow-datasets data directory.")
TFDS_DOWNLOAD = flags.DEFINE_boolean(
    "tfds_download", _DEFAULTS["tfds_download"],
    "Let tensorflow-datasets download and prepare.")


def reading() -> dict:
  """How to read --dataset, as keyword arguments of `datasets.load`."""
  return {"tiles_per_side": TILES_PER_SIDE.value,
          "data_dir": TFDS_DATA_DIR.value, "download": TFDS_DOWNLOAD.value}

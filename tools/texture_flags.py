"""Flags shared by fmi-texture-train, fmi-texture-eval and
fmi-texture-encode-beam.

Their defaults are `training.train_texture_classifier`'s and, for the
dataset's split, `datasets.DatasetSpec`'s; the dataset's other flags are
`dataset_flags`', the network's (`--model`, `--weights`, ...)
`model_flags`'.
"""

import dataclasses
import inspect
import math

from absl import flags

from fmi_tf import datasets
from fmi_tf import errors
from fmi_tf.io import progress
from fmi_tf.recognition import classifier
from fmi_tf.recognition import encoder_config
from fmi_tf.recognition import training
from . import cli
from . import dataset_flags

# The defaults of `training.train_texture_classifier`'s arguments and of the
# fields of `datasets.DatasetSpec`.
DEFAULTS = {
    **{name: parameter.default for name, parameter in inspect.signature(
        training.train_texture_classifier).parameters.items()},
    **{field.name: field.default
       for field in dataclasses.fields(datasets.DatasetSpec)}}

TEST_FRACTION = flags.DEFINE_float(
    "test_fraction", DEFAULTS["test_fraction"], "Held-out share of image "
    "folders, Brodatz tiles and tfds builders without a test split.",
    lower_bound=0.01, upper_bound=0.99)
SEED = flags.DEFINE_integer("seed", DEFAULTS["seed"],
                            "Seed of the stratified split.", lower_bound=0,
                            upper_bound=2**31 - 1)
LAYERS = flags.DEFINE_list(
    "layers", [], "Layers of the descriptor (gap: the deepest); default "
    "the encoder's own on the network: energy its style layers, gram the "
    "two deepest of them, gap its deepest invertible layer (VGG19: energy "
    "relu1_1,...,relu5_1; gram relu4_1,relu5_1; gap relu5_4).")
GRAM_DIM = flags.DEFINE_integer(
    "gram_dim", encoder_config.DEFAULT_GRAM_DIM, "gram: reduce wider layers to "
    "this many channels by a fixed 1x1 projection (0: never).",
    lower_bound=0, upper_bound=cli.MAX_CHANNELS)
ORDER = flags.DEFINE_enum("order", "1", ["1", "2"], "Energy order.")
SCALES = flags.DEFINE_list(
    "scales", ["1"], "Image scale factors, statistics averaged over them.")
SIGNED_SQRT = flags.DEFINE_boolean(
    "signed_sqrt", True, "Signed square root of the statistics.")
L2 = flags.DEFINE_boolean("l2", True, "L2-normalise each layer's part.")
IMAGE_SIZE = flags.DEFINE_integer(
    "image_size", DEFAULTS["image_size"], "Side of the square the images "
    "are resized and cropped to.", lower_bound=16, upper_bound=cli.MAX_SIZE)
CLASSIFIER = flags.DEFINE_enum("classifier", DEFAULTS["method"],
                               list(classifier.METHODS), "Linear classifier.")
C = flags.DEFINE_float("C", DEFAULTS["C"],
                       "Inverse L2 regularisation strength.",
                       lower_bound=1e-6)
CACHE_DIR = flags.DEFINE_string(
    "cache_dir", DEFAULTS["cache_dir"],
    "Directory caching descriptors between runs.")
BATCH_SIZE = flags.DEFINE_integer("batch_size", DEFAULTS["batch_size"],
                                  "Images per encoder call.", lower_bound=1,
                                  upper_bound=cli.MAX_BATCH)


for _flag in (TEST_FRACTION, C):
  flags.register_validator(
      _flag.name, lambda value: value is None or math.isfinite(value),
      message="must be a finite number")


def encoder_for(kind: str) -> encoder_config.EncoderConfig:
  """The encoder configuration of the flags, for encoder `kind`.

  Raises:
    ArgumentError: for bad scales or layers.
  """
  try:
    scales = tuple(float(s) for s in SCALES.value)
  except ValueError:
    raise errors.ArgumentError(
        f"--scales must be numbers, not {','.join(SCALES.value)}") from None
  if not all(math.isfinite(s) and s > 0 for s in scales):
    raise errors.ArgumentError(
        f"--scales must be finite positive numbers, not "
        f"{','.join(SCALES.value)}")
  return encoder_config.EncoderConfig(
      kind=kind, layers=tuple(LAYERS.value), order=int(ORDER.value),
      scales=scales, signed_sqrt=SIGNED_SQRT.value, l2=L2.value,
      gram_dim=GRAM_DIM.value)


def dataset() -> datasets.DatasetSpec:
  """The dataset of the flags: `--dataset` and its split settings."""
  return datasets.DatasetSpec(
      dataset_flags.DATASET.value, TEST_FRACTION.value, SEED.value,
      dataset_flags.TILES_PER_SIDE.value, dataset_flags.TFDS_DATA_DIR.value,
      dataset_flags.TFDS_DOWNLOAD.value)


def options() -> dict:
  """The keyword arguments the flags give `train_texture_classifier` and
  `evaluate_texture_encoders` alike, but the dataset."""
  return {"image_size": IMAGE_SIZE.value, "C": C.value,
          "method": CLASSIFIER.value, "batch_size": BATCH_SIZE.value,
          "cache_dir": CACHE_DIR.value, "progress": progress.Progress}

"""Flags shared by fmi-texture-train and fmi-texture-eval."""

from absl import flags

from fmi_tf import errors
from fmi_tf.recognition import classifier
from fmi_tf.recognition import datasets
from fmi_tf.recognition import encoder
from fmi_tf.recognition import experiment
from . import model_flags

DATASET = flags.DEFINE_string(
    "dataset", None, "tfds:NAME, folder:PATH, dtd:PATH, brodatz:PATH or a "
    "directory (DTD if it holds split lists, else an image folder).",
    required=True)
TEST_FRACTION = flags.DEFINE_float(
    "test_fraction", 0.25, "Held-out share of image folders, Brodatz tiles "
    "and tfds builders without a test split.", lower_bound=0.01,
    upper_bound=0.99)
SEED = flags.DEFINE_integer("seed", 0, "Seed of the stratified split.")
TILES_PER_SIDE = flags.DEFINE_integer(
    "tiles_per_side", 4, "Brodatz: tiles per plate side.", lower_bound=2)
TFDS_DATA_DIR = flags.DEFINE_string(
    "tfds_data_dir", None, "tensorflow-datasets data directory.")
TFDS_DOWNLOAD = flags.DEFINE_boolean(
    "tfds_download", False, "Let tensorflow-datasets download and prepare.")
LAYERS = flags.DEFINE_list(
    "layers", [], "Layers of the descriptor (gap: the deepest); default "
    "the encoder's own: " + "; ".join(
        f"{kind} {','.join(layers)}"
        for kind, layers in encoder.DEFAULT_LAYERS.items()) + ".")
GRAM_DIM = flags.DEFINE_integer(
    "gram_dim", encoder.DEFAULT_GRAM_DIM, "gram: reduce wider layers to "
    "this many channels by a fixed 1x1 projection (0: never).",
    lower_bound=0)
ORDER = flags.DEFINE_enum("order", "1", ["1", "2"], "Energy order.")
SCALES = flags.DEFINE_list(
    "scales", ["1"], "Image scale factors, statistics averaged over them.")
SIGNED_SQRT = flags.DEFINE_boolean(
    "signed_sqrt", True, "Signed square root of the statistics.")
L2 = flags.DEFINE_boolean("l2", True, "L2-normalise each layer's part.")
IMAGE_SIZE = flags.DEFINE_integer(
    "image_size", 224, "Side of the square the images are resized and "
    "cropped to.", lower_bound=16)
CLASSIFIER = flags.DEFINE_enum("classifier", "svm", list(classifier.METHODS),
                               "Linear classifier.")
C = flags.DEFINE_float("C", classifier.DEFAULT_C,
                       "Inverse L2 regularisation strength.",
                       lower_bound=1e-6)
WEIGHTS = model_flags.WEIGHTS
CACHE_DIR = flags.DEFINE_string(
    "cache_dir", None, "Directory caching descriptors between runs.")
BATCH_SIZE = flags.DEFINE_integer("batch_size", 16, "Images per encoder "
                                  "call.", lower_bound=1)


def setup(kind: str) -> experiment.Setup:
  """The experiment setup of the flags, for encoder `kind`.

  Raises:
    ArgumentError: for bad scales or layers.
  """
  try:
    scales = tuple(float(s) for s in SCALES.value)
  except ValueError:
    raise errors.ArgumentError(
        f"--scales must be numbers, not {','.join(SCALES.value)}") from None
  config = encoder.EncoderConfig(
      kind=kind, layers=tuple(LAYERS.value), order=int(ORDER.value),
      scales=scales, signed_sqrt=SIGNED_SQRT.value, l2=L2.value,
      gram_dim=GRAM_DIM.value)
  return experiment.Setup(config, IMAGE_SIZE.value, CLASSIFIER.value,
                          C.value, BATCH_SIZE.value)


def dataset(fold: int = 1) -> datasets.Dataset:
  """The dataset the flags name, with DTD fold `fold`."""
  return datasets.load(DATASET.value, fold, TEST_FRACTION.value, SEED.value,
                       TILES_PER_SIDE.value, TFDS_DATA_DIR.value,
                       TFDS_DOWNLOAD.value)

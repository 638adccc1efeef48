"""A user's own CNN, from a .keras file.

The file carries the architecture and, usually, the trained weights; an
HDF5 weights file in keras.applications' layout may replace them. The
model must be functional (or Sequential) with one RGB image input; what
input it expects is the caller's `preprocessing` mode (default `unit`: RGB in
[0, 1], unchanged).
"""

import os
from typing import Optional
import zipfile

import keras

from fmi_tf import errors
from fmi_tf.nets import feature_model
from fmi_tf.nets import preprocessing as preprocessing_modes
from fmi_tf.nets import weights as weights_files

SUFFIX = ".keras"
DEFAULT_PREPROCESSING = "unit"
_CONFIG = "config.json"


def read_model(path: str) -> keras.Model:
  """Loads the model of a .keras file, without its training configuration.

  Raises:
    ArgumentError: if the file is missing, corrupt, unreadable or not an
      image model.
  """
  if not os.path.isfile(path):
    raise errors.ArgumentError(f"model file not found: {path}")
  check_archive(path)
  try:
    model = keras.models.load_model(path, compile=False)
  except Exception as e:  # Keras raises many kinds for a bad archive.
    raise errors.ArgumentError(
        f"cannot load the model {path}: {weights_files.first_line(e)}"
    ) from None
  check_image_model(model, path)
  return model


def check_archive(path: str) -> None:
  """Raises ArgumentError, saying the file is corrupt, unless `path` is a
  whole zip archive with the `config.json` of a .keras file (Keras itself
  reports a corrupt archive as a file not found)."""
  try:
    with zipfile.ZipFile(path) as archive:
      if _CONFIG not in archive.namelist():
        raise errors.ArgumentError(
            f"model file {path} is corrupt: it has no {_CONFIG}")
      broken = archive.testzip()
  except (zipfile.BadZipFile, EOFError, ValueError) as e:
    raise errors.ArgumentError(
        f"model file {path} is corrupt: not a whole .keras (zip) archive "
        f"({weights_files.first_line(e)})") from None
  if broken is not None:
    raise errors.ArgumentError(
        f"model file {path} is corrupt: {broken} fails its checksum")


def check_image_model(model: keras.Model, what: str) -> None:
  """Raises ArgumentError unless `model` has one [B, H, W, 3] image input.

  Args:
    model: a Keras model.
    what: the model's name or file, for the message.
  """
  inputs = getattr(model, "inputs", None) or []
  if len(inputs) != 1 or len(inputs[0].shape) != 4 or inputs[0].shape[-1] != 3:
    raise errors.ArgumentError(
        f"{what}: the model must take one [B, H, W, 3] image input")

def load(path: str, weights: Optional[str] = None,
         preprocessing: str = DEFAULT_PREPROCESSING) -> feature_model.Backbone:
  """Builds the backbone of a .keras file.

  Args:
    path: the .keras file.
    weights: an HDF5 weights file replacing the file's weights (layers
      matched by name), or None to keep the file's own.
    preprocessing: the model's input, a mode of `preprocessing.MODES`.

  Returns:
    The backbone; with the file's own weights every layer is covered.

  Raises:
    ArgumentError: for a bad model file or preprocessing mode.
    WeightsError: for a bad weights file or one that covers no layer.
  """
  return backbone(read_model(path), path, path, weights, preprocessing)


def backbone(model: keras.Model, network: str, source: str,
             weights: Optional[str] = None,
             preprocessing: str = DEFAULT_PREPROCESSING
             ) -> feature_model.Backbone:
  """The backbone of a model with one image input, file or in memory.

  Args:
    model: the model, with its own weights.
    network: its name in records (a .keras path, or an in-memory name).
    source: where its own weights came from, for messages.
    weights: an HDF5 weights file replacing the model's own (layers matched
      by name), or None to keep them.
    preprocessing: the model's input, a mode of `preprocessing.MODES`.

  Raises:
    ArgumentError: for a model without one image input, or a bad mode.
    WeightsError: for a bad weights file or one that covers no layer.
  """
  preprocessing_modes.check_mode(preprocessing)
  check_image_model(model, network)
  if weights is None:
    covered = frozenset(layer.name for layer in model.layers if layer.weights)
  else:
    covered = weights_files.assign(model, weights_files.read_weights(weights))
    if not covered:
      raise errors.WeightsError(f"{weights} holds no weights of {network}")
    source = weights
  return feature_model.Backbone(model, covered, source, network, preprocessing)

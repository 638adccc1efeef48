"""Weights files: where they come from and which layers they cover.

Weights are HDF5 files in keras.applications' legacy layout: a root attribute
`layer_names` and, per layer, a group whose attribute `weight_names` lists the
layer's datasets (kernel and bias, batch-norm statistics, ...). A file may
cover only some layers (the VGG19 blocks 1-3 file, say);
`LoadedWeights.covered_layers` records which, so that a layer the file lacks
is refused instead of silently keeping random weights.
"""

import dataclasses
import os
import re

import h5py
import keras
import numpy as np

from fmi_tf import errors

IMAGENET = "imagenet"
IMAGENET_FILENAME = "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
IMAGENET_MD5 = "253f8cb515780f3b799900260a226db6"
IMAGENET_URL = ("https://storage.googleapis.com/tensorflow/keras-applications/"
                "vgg19/" + IMAGENET_FILENAME)
WEIGHTS_ENV_VAR = "FMI_VGG19_WEIGHTS"
KERAS_CACHE = os.path.join("~", ".keras", "models")


@dataclasses.dataclass(frozen=True)
class LoadedWeights:
  """The weights of a network's layers read from one file.

  Attributes:
    path: the HDF5 file they were read from.
    tensors: layer name -> the layer's arrays, in the file's order.
  """
  path: str
  tensors: dict[str, tuple[np.ndarray, ...]]

  @property
  def covered_layers(self) -> frozenset[str]:
    return frozenset(self.tensors)


def imagenet_weights_path() -> str:
  """Returns the path of Keras's ImageNet VGG19 file, downloading it if needed.

  Raises:
    WeightsError: if the file is neither cached nor downloadable.
  """
  try:
    return keras.utils.get_file(
        IMAGENET_FILENAME, IMAGENET_URL, cache_subdir="models",
        file_hash=IMAGENET_MD5)
  except Exception as e:  # Keras raises bare Exceptions for network errors.
    raise errors.WeightsError(
        f"cannot get the ImageNet VGG19 weights ({first_line(e)}); get "
        f"{IMAGENET_FILENAME} (md5 {IMAGENET_MD5}) and put it in "
        f"{os.path.expanduser(KERAS_CACHE)}/, or pass --weights=PATH or set "
        f"{WEIGHTS_ENV_VAR}=PATH") from None


def download_failure(network: str, error: Exception) -> errors.WeightsError:
  """The error for Keras's failed download of a network's ImageNet weights.

  Keras names the file's address in its message; the error names the file
  to get and where Keras looks for it.
  """
  match = re.search(r"https?://\S+?\.h5", str(error))
  wanted = (f"get {match[0].rsplit('/', 1)[-1]} and put it in "
            f"{os.path.expanduser(KERAS_CACHE)}/, or " if match else "")
  return errors.WeightsError(
      f"cannot get the ImageNet weights of {network} ({first_line(error)}); "
      f"{wanted}pass --weights=PATH")


def first_line(error: Exception) -> str:
  """The first line of an exception's message (or its type's name)."""
  text = str(error).strip() or type(error).__name__
  return text.splitlines()[0]


def resolve_weights(weights: str) -> str:
  """Returns the HDF5 path for a VGG19 weights source.

  Args:
    weights: a path, or `"imagenet"` for Keras's cached or downloaded file.

  Returns:
    The path of an HDF5 weights file (not yet validated).
  """
  if weights == IMAGENET:
    return imagenet_weights_path()
  return weights


def read_weights(path: str) -> LoadedWeights:
  """Reads every layer a keras.applications-layout HDF5 file holds.

  Args:
    path: the HDF5 file.

  Returns:
    The weights, keyed by layer name.

  Raises:
    WeightsError: if the file is missing or not in that layout.
  """
  if not os.path.isfile(path):
    raise errors.WeightsError(f"weights file not found: {path}")
  if not h5py.is_hdf5(path):
    raise errors.WeightsError(
        f"{path} is not an HDF5 weights file (expected keras.applications' "
        f"layout, like {IMAGENET_FILENAME})")
  tensors = {}
  try:
    with h5py.File(path, "r") as f:
      for name in _names(f, "layer_names"):
        group = f[name]
        if not isinstance(group, h5py.Group):
          raise ValueError(f"{name} is no group of weights")
        weight_names = _names(group, "weight_names")
        for n in weight_names:
          if not isinstance(group[n], h5py.Dataset) or (
              group[n].dtype.kind not in "fiu"):
            raise ValueError(f"{name}/{n} is no numeric array")
        if weight_names:
          tensors[name] = tuple(np.asarray(group[n]) for n in weight_names)
  except (KeyError, OSError, ValueError, TypeError) as e:
    raise errors.WeightsError(
        f"{path} is not in keras.applications' HDF5 weights layout "
        f"({first_line(e)})") from None
  return LoadedWeights(path, tensors)


def _names(node, attribute: str) -> list[str]:
  """The list of names in an HDF5 attribute.

  Raises:
    KeyError: if it is missing; ValueError: if it is no list of strings.
  """
  value = node.attrs[attribute]
  if not (isinstance(value, np.ndarray) and value.ndim == 1 and all(
      isinstance(n, (bytes, str)) for n in value)):
    raise ValueError(f"attribute {attribute} of {node.name} is no list of "
                     f"names: {str(value)[:60]}")
  return [_text(n) for n in value]


def _text(value) -> str:
  return value.decode("utf8") if isinstance(value, bytes) else str(value)


def assign(model: keras.Model, weights: LoadedWeights) -> frozenset[str]:
  """Sets the weights of `model`'s layers that `weights` covers.

  Layers are matched by name, a nested model (such as a Sequential block) as
  one layer, as in keras.applications' files.

  Returns:
    The names of the layers that were set.

  Raises:
    WeightsError: if a covered layer's shapes do not match the model's.
  """
  assigned = set()
  for layer in model.layers:
    if layer.name not in weights.tensors or not layer.weights:
      continue
    arrays = weights.tensors[layer.name]
    expected = tuple(tuple(w.shape) for w in layer.weights)
    if expected != tuple(a.shape for a in arrays):
      raise errors.WeightsError(
          f"{weights.path}: layer {layer.name} has shapes "
          f"{', '.join(str(a.shape) for a in arrays)}; the model needs "
          f"{', '.join(str(s) for s in expected)}")
    layer.set_weights(list(arrays))
    assigned.add(layer.name)
  return frozenset(assigned)


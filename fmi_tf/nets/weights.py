"""VGG19 weights: where they come from and which layers they cover.

Weights are HDF5 files in keras.applications' legacy layout: a root attribute
`layer_names` and, per layer, a group whose attribute `weight_names` lists the
kernel and bias datasets. A file may cover only some layers (the blocks 1-3
file, say); `Vgg19Weights.covered_layers` records which, so that a layer the
file lacks is refused instead of silently keeping random filters.
"""

import dataclasses
import os

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


@dataclasses.dataclass(frozen=True)
class Vgg19Weights:
  """Kernels and biases of VGG19 convolutions read from one file.

  Attributes:
    path: the HDF5 file they were read from.
    tensors: layer name -> (kernel, bias) arrays.
  """
  path: str
  tensors: dict[str, tuple[np.ndarray, np.ndarray]]

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
    cache = os.path.join(os.path.expanduser("~"), ".keras", "models")
    raise errors.WeightsError(
        f"cannot get the ImageNet VGG19 weights ({_first_line(e)}); get "
        f"{IMAGENET_FILENAME} (md5 {IMAGENET_MD5}) and put it in {cache}/, "
        f"or pass --weights=PATH or set {WEIGHTS_ENV_VAR}=PATH") from None


def _first_line(error: Exception) -> str:
  text = str(error).strip() or type(error).__name__
  return text.splitlines()[0]


def resolve_weights(weights: str) -> str:
  """Returns the HDF5 path for a weights source.

  Args:
    weights: a path, or `"imagenet"` for Keras's cached or downloaded file.

  Returns:
    The path of an HDF5 weights file (not yet validated).
  """
  if weights == IMAGENET:
    return imagenet_weights_path()
  return weights


def read_weights(path: str) -> Vgg19Weights:
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
      names = [_text(n) for n in f.attrs["layer_names"]]
      for name in names:
        group = f[name]
        weight_names = [_text(n) for n in group.attrs["weight_names"]]
        if len(weight_names) == 2:
          kernel, bias = (np.asarray(group[n], np.float32) for n in weight_names)
          tensors[name] = (kernel, bias)
  except (KeyError, OSError, ValueError) as e:
    raise errors.WeightsError(
        f"{path} is not in keras.applications' HDF5 weights layout "
        f"({e})") from None
  return Vgg19Weights(path, tensors)


def _text(value) -> str:
  return value.decode("utf8") if isinstance(value, bytes) else str(value)


def assign(model: keras.Model, weights: Vgg19Weights) -> None:
  """Sets the kernels and biases of `model`'s layers that `weights` covers.

  Raises:
    WeightsError: if a covered layer's shapes do not match the model's.
  """
  for layer in model.layers:
    if layer.name not in weights.tensors:
      continue
    kernel, bias = weights.tensors[layer.name]
    expected = tuple(tuple(w.shape) for w in layer.weights)
    if expected != (kernel.shape, bias.shape):
      raise errors.WeightsError(
          f"{weights.path}: layer {layer.name} has shapes "
          f"{kernel.shape}, {bias.shape}; the model needs {expected}")
    layer.set_weights([kernel, bias])

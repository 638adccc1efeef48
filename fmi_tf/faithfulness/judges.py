"""Judges: texture descriptors that say how alike two images look.

A judge describes images by parts (a network layer's channel means, its
Gram matrix, colour moments, ...). Descriptors are standardised by the
statistics of the query images and each part is weighted by the inverse
root of its size, so that every part counts alike; similarity is minus the
Euclidean distance. A judge should be independent of the network under
test: another network's texture statistics (`network_judge`, e.g.
MobileNet's), or statistics of the pixels alone (`image_statistics_judge`).
The network under test judging its own pictures (`same_network_judge`) is
marked circular: part of any match is built in.
"""

import dataclasses
from typing import Callable, Optional, Sequence

import numpy as np
import tensorflow as tf

from fmi_tf import errors
from fmi_tf import texture
from fmi_tf.nets import default_layers
from fmi_tf.nets import feature_model
from fmi_tf.nets import networks

# Images described per call of a judge's network.
_BATCH = 16
# The default layers of the second network (keras.applications' MobileNet).
MOBILENET_LAYERS = ("conv_pw_1_relu", "conv_pw_3_relu", "conv_pw_5_relu")
# Layers of the same-network statistic: on VGG19 relu1_1, relu2_1, relu3_1.
_SAME_NETWORK_LAYERS = 3
# Oriented band energies: octave bands of the spectrum by orientation.
_BANDS = 4
_ORIENTATIONS = 4
_HISTOGRAM_BINS = 8


@dataclasses.dataclass(frozen=True)
class Judge:
  """A texture descriptor that judges similarity.

  Attributes:
    name: how results name it.
    describe: [N, H, W, 3] RGB in [0, 1] -> a list of [N, D_i] parts.
    circular: whether it is the network under test judging itself.
  """
  name: str
  describe: Callable[[np.ndarray], list[np.ndarray]]
  circular: bool = False


@dataclasses.dataclass(frozen=True)
class Standardiser:
  """Per-dimension centring and scaling fitted on reference descriptors,
  each part weighted by 1/sqrt(its size)."""
  mean: np.ndarray
  scale: np.ndarray

  @classmethod
  def fit(cls, parts: list[np.ndarray]) -> "Standardiser":
    joined = np.concatenate(parts, axis=1)
    std = joined.std(axis=0)
    weight = np.concatenate([np.full(p.shape[1], 1 / np.sqrt(p.shape[1]))
                             for p in parts])
    return cls(joined.mean(axis=0),
               weight / np.where(std > 1e-12, std, 1.0))

  def __call__(self, parts: list[np.ndarray]) -> np.ndarray:
    return (np.concatenate(parts, axis=1) - self.mean) * self.scale


def _batched(describe_batch, images: np.ndarray) -> list[np.ndarray]:
  chunks = [describe_batch(images[i:i + _BATCH])
            for i in range(0, len(images), _BATCH)]
  return [np.concatenate(parts) for parts in zip(*chunks)]


def network_judge(net, layers: Sequence[str], name: str = "",
                  circular: bool = False) -> Judge:
  """A network's texture statistics: channel means and Gram matrices.

  Examples:
    >>> judge = network_judge(fmi_tf.network("mobilenet", weights=path),
    ...                       MOBILENET_LAYERS)
    >>> parts = judge.describe(images)

  Args:
    net: a backbone or anything `fmi_tf.network` takes.
    layers: the layers whose statistics describe an image.
    name: the judge's name (default: the network's).
    circular: set when `net` is the network under test.

  Returns:
    The judge; two parts per layer (means, the Gram's upper triangle).

  Raises:
    LayerError, WeightsError: for a layer the network lacks or its weights
      do not cover.
  """
  backbone = networks.network(net)
  model = feature_model.feature_model(backbone, layers, precision="float32")
  wanted = backbone.canonical_names(layers)

  def describe_batch(images: np.ndarray) -> list[np.ndarray]:
    codes = model(tf.constant(images, tf.float32), training=False)
    parts = []
    for layer in wanted:
      gram = texture.gram(codes[layer]).numpy()
      upper = np.triu_indices(gram.shape[-1])
      parts += [texture.energies(codes[layer]).numpy(), gram[:, upper[0],
                                                              upper[1]]]
    return [p.astype(np.float64) for p in parts]

  return Judge(name or backbone.network,
               lambda images: _batched(describe_batch, images), circular)


def resolve(spec: "str | Judge", net) -> Judge:
  """A judge given as such or by name.

  Args:
    spec: a `Judge`; `image-statistics`; `same-network` (circular); or
      `<network>:<weights>`, another network's texture statistics at its
      `MOBILENET_LAYERS` (MobileNet) or first three invertible layers, e.g.
      `mobilenet:mobilenet_2_5_224_tf_no_top.h5`.
    net: the network under test (for `same-network`).

  Raises:
    ArgumentError: for an unknown name. WeightsError: for weights that are
      missing or do not fit the network.
  """
  if isinstance(spec, Judge):
    return spec
  if spec == "image-statistics":
    return image_statistics_judge()
  if spec == "same-network":
    return same_network_judge(net)
  model, _, weights = spec.partition(":")
  if model not in networks.names() or not weights:
    raise errors.ArgumentError(
        f"unknown judge {spec!r}; known: image-statistics, same-network, "
        "<network>:<weights file> with a network of "
        f"{', '.join(networks.names())}")
  backbone = networks.load(model, weights)
  layers = (MOBILENET_LAYERS if model == "mobilenet"
            else backbone.invertible_layers[:3])
  return network_judge(backbone, layers)


def same_network_judge(net, layers: Optional[Sequence[str]] = None
                       ) -> Judge:
  """The network under test judging its own pictures (circular).

  Args:
    net: the network under test.
    layers: its layers to describe with; default: relu1_1, relu2_1 and
      relu3_1 of VGG19, the first three invertible layers of another.
  """
  backbone = networks.network(net)
  if layers is None:
    layers = default_layers.shallowest(backbone, _SAME_NETWORK_LAYERS)
  return network_judge(backbone, layers, "same-network", circular=True)


def _opponent_moments(images: np.ndarray) -> np.ndarray:
  """Mean, standard deviation and skewness of three opponent channels."""
  r, g, b = np.moveaxis(images.astype(np.float64), -1, 0)
  channels = np.stack([(r - g) / np.sqrt(2), (r + g - 2 * b) / np.sqrt(6),
                       (r + g + b) / np.sqrt(3)], axis=1)
  flat = channels.reshape(len(images), 3, -1)
  mean = flat.mean(axis=2)
  std = flat.std(axis=2)
  centred = flat - mean[..., None]
  skew = (centred ** 3).mean(axis=2) / np.maximum(std, 1e-6) ** 3
  return np.concatenate([mean, std, skew], axis=1)


def _luminance(images: np.ndarray) -> np.ndarray:
  return images.astype(np.float64) @ np.array([0.299, 0.587, 0.114])


def _band_energies(images: np.ndarray) -> np.ndarray:
  """Log power of the luminance in octave bands x orientations."""
  lum = _luminance(images)
  lum = lum - lum.mean(axis=(1, 2), keepdims=True)
  power = np.abs(np.fft.fft2(lum)) ** 2
  height, width = lum.shape[1:]
  fy, fx = np.meshgrid(np.fft.fftfreq(height), np.fft.fftfreq(width),
                       indexing="ij")
  radius = np.hypot(fx, fy)
  angle = np.mod(np.arctan2(fy, fx), np.pi)
  features = []
  for band in range(_BANDS):
    ring = (radius > 0.5 / 2 ** (band + 1)) & (radius <= 0.5 / 2 ** band)
    for o in range(_ORIENTATIONS):
      sector = (angle >= o * np.pi / _ORIENTATIONS) & (
          angle < (o + 1) * np.pi / _ORIENTATIONS)
      mask = ring & sector  # Empty in the lowest bands of a small image.
      energy = power[:, mask].sum(axis=1) / max(mask.sum(), 1)
      features.append(np.log1p(energy / lum[0].size))
  return np.stack(features, axis=1)


def _orientation_histogram(images: np.ndarray) -> np.ndarray:
  """Gradient orientations (mod pi), weighted by magnitude, normalised."""
  lum = _luminance(images)
  gy = lum[:, 2:, 1:-1] - lum[:, :-2, 1:-1]
  gx = lum[:, 1:-1, 2:] - lum[:, 1:-1, :-2]
  magnitude = np.hypot(gx, gy).reshape(len(images), -1)
  bins = (np.mod(np.arctan2(gy, gx), np.pi) / np.pi * _HISTOGRAM_BINS
          ).astype(int).clip(0, _HISTOGRAM_BINS - 1).reshape(len(images), -1)
  histogram = np.stack([(magnitude * (bins == b)).sum(axis=1)
                        for b in range(_HISTOGRAM_BINS)], axis=1)
  return histogram / np.maximum(histogram.sum(axis=1, keepdims=True), 1e-12)


def image_statistics_judge() -> Judge:
  """A judge free of any network: opponent-colour moments, oriented band
  energies of the luminance and its gradient-orientation histogram."""
  return Judge("image-statistics", lambda images: [
      _opponent_moments(images), _band_energies(images),
      _orientation_histogram(images)])

"""How the optimised variables become images: a spatial part times a colour part.

A `Parameterization` maps a batch of parameter tensors to RGB images in
[0, 1] and back (for the starting images), keeps the parameters valid after
each step (`project`), and applies its list of random transforms (see
`transforms`) to the images before the network sees them, so that the
optimum cannot rely on exact pixel positions. It is made of two parts that
compose, as in lucid's `param`:

* a spatial part: `PixelSpace` (the values are the pixels),
  `FourierSpace` (the 2-D spectrum of each channel, scaled by 1/f so that
  Adam's equal steps per coefficient give natural-image-like, 1/f images) or
  `PhaseSpace` (the spectrum's phase, its magnitude fixed);
* a colour part: `PlainColor` (the channels are RGB, kept in [0, 1]) or
  `DecorrelatedColor` (three decorrelated channels mapped to RGB with the
  square root of ImageNet's colour correlation matrix, then a sigmoid).

The named ones:

* `pixel`: pixels of plain colour, clipped to [0, 1] after each step; no
  transform.
* `fourier`: as in lucid (Olah et al., "Feature Visualization", 2017), a
  spectrum of decorrelated colour; each step the image is shifted by up to
  2 % of its side and scaled by up to 5 % (bilinear, reflected borders),
  with draws from each element's own seed and step, so an element's result
  never depends on its batch.
* `maco`: MaCo (Fel et al. 2023): the phase of a spectrum of decorrelated
  colour whose magnitude is fixed to a 1/f power law, with `fourier`'s
  transforms. `maco(magnitude)` fixes another magnitude, such as a
  dataset's (`fmi_tf.natural_spectrum`).

A user's own parameterisation is a function `(height, width) ->
Parameterization`, passed wherever a name is taken.

Examples:
  >>> from fmi_tf.optim import parameterization, transforms
  >>> def rotating_fourier(height, width):
  ...   return parameterization.Parameterization(
  ...       parameterization.FourierSpace(height, width),
  ...       parameterization.DecorrelatedColor(),
  ...       [transforms.jitter(0.02), transforms.rotate(10.0)])
"""

from typing import Callable, Protocol, Sequence

import numpy as np
import tensorflow as tf

from fmi_tf import errors
from fmi_tf.optim import transforms
# The spatial parts in the frequency domain, also named here.
# pylint: disable=unused-import
from fmi_tf.optim.spectral import FourierSpace
from fmi_tf.optim.spectral import PhaseSpace
# pylint: enable=unused-import
from fmi_tf.optim import spectral

PARAMS = ("pixel", "fourier", "maco")
# The named parameterisations that can match a given code (inversion,
# reallocation, style transfer): MaCo fixes the spectrum's magnitude, so its
# inversions of a photo's code fall short of it (on the tiny test network,
# energy-share gains mostly below 1 where pixel and Fourier reach 1-30).
CODE_PARAMS = ("pixel", "fourier")

# Square root of ImageNet's RGB colour correlation matrix (from lucid).
_COLOR_CORRELATION_SQRT = np.array([[0.26, 0.09, 0.02],
                                    [0.27, 0.00, -0.05],
                                    [0.27, -0.09, 0.03]], np.float32)
_COLOR = _COLOR_CORRELATION_SQRT / np.max(
    np.linalg.norm(_COLOR_CORRELATION_SQRT, axis=0))
_EDGE = 1e-3
_MAX_SHIFT = 0.02
_MAX_SCALE = 0.05


class Spatial(Protocol):
  """Values [B, H, W, 3] <-> the parameters that are optimised."""

  def to_values(self, parameters: tf.Tensor) -> tf.Tensor:
    """Returns [B, H, W, 3] values of the colour part (differentiable)."""

  def from_values(self, values: tf.Tensor) -> tf.Tensor:
    """Returns the parameters whose values are `values`."""


class Color(Protocol):
  """The colour part's values [B, H, W, 3] <-> RGB images in [0, 1]."""

  bounded: bool  # True: to_rgb maps any value into [0, 1] by itself.

  def to_rgb(self, values: tf.Tensor) -> tf.Tensor:
    """Returns [B, H, W, 3] RGB images (differentiable)."""

  def from_rgb(self, images: tf.Tensor) -> tf.Tensor:
    """Returns the values whose RGB images are `images`."""


class PixelSpace:
  """The values are the parameters themselves."""

  def to_values(self, parameters):
    return parameters

  def from_values(self, values):
    return values


class PlainColor:
  """The channels are RGB, clipped to [0, 1]."""

  bounded = False

  def to_rgb(self, values):
    return tf.clip_by_value(values, 0.0, 1.0)

  def from_rgb(self, images):
    return tf.clip_by_value(images, 0.0, 1.0)


class DecorrelatedColor:
  """Decorrelated channels, mixed into RGB by ImageNet's colour statistics
  and squashed into (0, 1) by a sigmoid."""

  bounded = True

  def __init__(self):
    self._color = tf.constant(_COLOR.T)
    self._color_inverse = tf.constant(np.linalg.inv(_COLOR.T))

  def to_rgb(self, values):
    return tf.sigmoid(values @ self._color)

  def from_rgb(self, images):
    images = tf.clip_by_value(images, _EDGE, 1.0 - _EDGE)
    return (tf.math.log(images) - tf.math.log1p(-images)) @ self._color_inverse


class Parameterization:
  """A spatial part, a colour part and the transforms of each step."""

  def __init__(self, spatial: Spatial, color: Color,
               transform_chain: Sequence[transforms.Transform] = ()):
    """Composes the parts.

    Args:
      spatial: how the parameters become values (`PixelSpace`,
        `FourierSpace`, or a user's own with the same two methods).
      color: how values become RGB (`PlainColor`, `DecorrelatedColor`, or a
        user's own).
      transform_chain: applied in order to the images the network sees.
    """
    self.spatial = spatial
    self.color = color
    self.transform_chain = tuple(transform_chain)
    self._transform = transforms.compose(self.transform_chain)

  def to_parameters(self, images: tf.Tensor) -> tf.Tensor:
    """Returns parameters whose images are `images` [B, H, W, 3]."""
    return self.spatial.from_values(self.color.from_rgb(images))

  def to_images(self, parameters: tf.Tensor) -> tf.Tensor:
    """Returns [B, H, W, 3] float32 images in [0, 1] (differentiable)."""
    return self.color.to_rgb(self.spatial.to_values(parameters))

  def project(self, parameters: tf.Tensor) -> tf.Tensor:
    """Returns the nearest valid parameters after a step.

    Pixels of plain colour are clipped to [0, 1], so that Adam's moments see
    the clipped values; every other composition is valid as it is (a
    bounded colour part, or a spectrum whose values are clipped in RGB).
    """
    if isinstance(self.spatial, PixelSpace) and not self.color.bounded:
      return tf.clip_by_value(parameters, 0.0, 1.0)
    return parameters

  def transform(self, images: tf.Tensor, seeds: tf.Tensor,
                steps: tf.Tensor) -> tf.Tensor:
    """Returns the images the network sees at this step.

    Args:
      images: [B, H, W, 3].
      seeds: [B, 2] int32, one stateless seed pair per element.
      steps: [B] float32, each element's step count.
    """
    return self._transform(images, seeds, steps)


# A user's own parameterisation: (height, width) -> Parameterization.
ParamFactory = Callable[[int, int], Parameterization]


def pixel(height: int, width: int) -> Parameterization:
  """The pixels, clipped to [0, 1]; no transform."""
  del height, width
  return Parameterization(PixelSpace(), PlainColor())


def fourier(height: int, width: int) -> Parameterization:
  """lucid's: a spectrum of decorrelated colour, jittered and scaled."""
  return Parameterization(
      FourierSpace(height, width), DecorrelatedColor(),
      [transforms.jitter(_MAX_SHIFT), transforms.scale(_MAX_SCALE)])


# A magnitude of [3, H, W // 2 + 1], or (height, width) -> one.
Magnitude = "np.ndarray | Callable[[int, int], np.ndarray]"


def maco(magnitude: Magnitude = spectral.power_law_magnitude
         ) -> ParamFactory:
  """MaCo's parameterisation with a given spectrum magnitude.

  Examples:
    >>> spectrum = fmi_tf.natural_spectrum("folder:textures/", 128, 128)
    >>> fmi_tf.render(net, "block4_conv1:7", param=param.maco(spectrum))

  Args:
    magnitude: [3, H, W // 2 + 1] magnitudes of `tf.signal.rfft2d` in the
      decorrelated colour space, or a function of (height, width) that
      returns them; default a 1/f power law.

  Returns:
    A `ParamFactory`: the phase of a spectrum of that magnitude, in
    decorrelated colour, jittered and scaled as `fourier`.
  """

  def factory(height: int, width: int) -> Parameterization:
    values = (magnitude(height, width) if callable(magnitude)
              else np.asarray(magnitude, np.float32))
    try:
      spatial = PhaseSpace(height, width, values)
    except ValueError as error:
      raise errors.ArgumentError(f"MaCo's magnitude: {error}") from None
    return Parameterization(
        spatial, DecorrelatedColor(),
        [transforms.jitter(_MAX_SHIFT), transforms.scale(_MAX_SCALE)])

  factory.__name__ = "maco"
  return factory


_NAMED = {"pixel": pixel, "fourier": fourier, "maco": maco()}


def make(param: "str | ParamFactory", height: int,
         width: int) -> Parameterization:
  """Returns the parameterisation `param` for [height, width] images.

  Args:
    param: a name of `PARAMS`, or a user's `ParamFactory`.
    height: image height.
    width: image width.

  Raises:
    ArgumentError: for an unknown name.
  """
  check(param)
  factory = _NAMED[param] if isinstance(param, str) else param
  return factory(height, width)


def name(param: "str | ParamFactory") -> str:
  """A name for records: the given name, or `custom:<function name>`."""
  if isinstance(param, str):
    return param
  return f"custom:{getattr(param, '__name__', type(param).__name__)}"


def check(param: "str | ParamFactory") -> None:
  """Raises ArgumentError unless `param` is a name of `PARAMS` or callable."""
  if not callable(param):
    errors.check_choice("param", param, PARAMS)

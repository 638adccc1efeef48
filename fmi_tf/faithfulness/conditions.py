"""Conditions: the ways a filter's picture is made, measured side by side.

A condition draws, for some filters of one layer, a set of square pictures
per filter ([F, P, S, S, 3] RGB in [0, 1]) from a `Request`: fmi_tf's
inversion of a photo's code (`inversion`, any parameterisation and mode),
activation maximisation of the filter's mean (`maximisation`: the channel
objective through `fmi_tf.render`, any parameterisation, MaCo included),
the filter's natural exemplars (`natural`: the top images of the
exemplar part, the ceiling), or pictures already drawn into a directory
(`picture_directory`: an atlas). A user's own method is a `Condition` with
its own `draw`; `by_name` reads the names that results carry.
"""

import dataclasses
import os
import re
from typing import Callable, Optional

import numpy as np

from fmi_tf import errors
from fmi_tf.inversion import defaults
from fmi_tf.inversion import files
from fmi_tf.inversion import invert as invert_lib
from fmi_tf.inversion import modified_code
from fmi_tf.io import images as image_io
from fmi_tf.nets import feature_model
from fmi_tf.nets import networks
from fmi_tf.optim import objectives
from fmi_tf.optim import optimization
from fmi_tf.optim import parameterization
from fmi_tf.optim import render as render_lib
from fmi_tf.optim import settings as settings_lib

INVERSION = "inversion"
NATURAL = "natural"
MAXIMISATION = "maximisation"
KINDS = (INVERSION, NATURAL, MAXIMISATION)


@dataclasses.dataclass(frozen=True)
class Request:
  """What a condition draws from.

  Attributes:
    backbone: the network under test.
    layer: its canonical layer name.
    filters: the filter indices.
    size: the side of the square pictures.
    photo: [S, S, 3] the photo whose code an inversion modifies.
    exemplars: [N_e, S, S, 3] the exemplar part of the dataset.
    exemplar_means: [N_e, C] each filter's spatial mean on each exemplar.
    seed: seeds any randomness of the method.
  """
  backbone: feature_model.Backbone
  layer: str
  filters: tuple[int, ...]
  size: int
  photo: np.ndarray
  exemplars: np.ndarray
  exemplar_means: np.ndarray
  seed: int = 0


@dataclasses.dataclass(frozen=True)
class Condition:
  """A way of drawing filters' pictures.

  Attributes:
    name: how results name it.
    kind: one of `KINDS`; `natural` conditions are the ceiling.
    draw: a `Request` -> [F, P, S, S, 3] pictures.
    from_photo: whether the pictures depend on `Request.photo` (the
      invariance check draws them again from other photos).
  """
  name: str
  kind: str
  draw: Callable[[Request], np.ndarray]
  from_photo: bool = False


def inversion(param: str = "pixel", mode: str = "transfer",
              name: Optional[str] = None, **settings) -> Condition:
  """fmi_tf's inversion of the photo's enhanced code (`fmi_tf.invert`).

  Examples:
    >>> fourier_gain = inversion("fourier", "gain", steps=60)

  Args:
    param: the parameterisation (`pixel`, `fourier`, ...).
    mode: `transfer` or `gain`.
    name: how results name it (default `invert-<param>-<mode>`).
    **settings: further settings of `fmi_tf.invert` (`steps=`, ...).
  """
  defaults.resolve(networks.DEFAULT, param=param, mode=mode, **settings)

  def draw(request: Request) -> np.ndarray:
    result = invert_lib.invert(
        request.backbone, request.layer, list(request.filters),
        image=request.photo, size=request.size, param=param, mode=mode,
        seed=request.seed, progress=False, **settings)
    return result.images[:, None]

  return Condition(name or f"invert-{param}-{mode}", INVERSION, draw,
                   from_photo=True)


def maximisation(param: str = "fourier", name: Optional[str] = None,
                 **settings) -> Condition:
  """Activation maximisation: the picture that maximises the filter's
  spatial mean (`objectives.channel`), from noise (`fmi_tf.render`).

  Examples:
    >>> maco = maximisation("maco", steps=128)

  Args:
    param: the parameterisation (`pixel`, `fourier`, `maco`).
    name: how results name it (default `maximise-<param>`).
    **settings: further settings of `fmi_tf.render` (`steps=`, ...).
  """
  settings_lib.apply(None, settings, optimization.OptimizerConfig())

  def draw(request: Request) -> np.ndarray:
    result = render_lib.render(
        request.backbone,
        objectives.channel(request.layer, list(request.filters)),
        size=request.size, seed=request.seed, param=param, progress=False,
        **settings)
    return result.images[:, None]

  return Condition(name or f"maximise-{param}", MAXIMISATION, draw)


def natural(top: int) -> Condition:
  """The filter's `top` natural exemplars: the exemplar part's images that
  activate it most (spatial mean after the ReLU)."""
  def draw(request: Request) -> np.ndarray:
    order = np.argsort(-request.exemplar_means[:, list(request.filters)],
                       axis=0, kind="stable")[:top]
    return request.exemplars[order.T]

  return Condition(f"natural-top{top}", NATURAL, draw)


def picture_directory(path: str, name: Optional[str] = None) -> Condition:
  """Pictures already drawn, one `<layer>_<filter:04d>.png` per filter (an
  atlas or `fmi-invert` directory), each cut to the measured square.

  Raises:
    ArgumentError: if `path` is no directory. Drawing raises ImageError for
      a missing, unreadable or corrupt picture, naming it.
  """
  if not os.path.isdir(path):
    raise errors.ArgumentError(f"picture directory {path} does not exist")

  def draw(request: Request) -> np.ndarray:
    pictures = []
    for k in request.filters:
      file = files.filter_stem(path, request.layer, k) + ".png"
      if not os.path.isfile(file):
        raise errors.ImageError(
            f"{path} has no picture of {request.layer} filter {k} ({file})")
      pictures.append(square_photo(file, request.size))
    return np.stack(pictures)[:, None]

  default_name = f"pictures-{os.path.basename(os.path.normpath(path))}"
  return Condition(name or default_name, INVERSION, draw)


def by_name(name: str, **settings) -> Condition:
  """The condition a result names: `invert-<param>-<mode>` (e.g.
  `invert-fourier-gain`; `settings` go to `fmi_tf.invert`),
  `maximise-<param>` (e.g. `maximise-maco`; `settings` go to
  `fmi_tf.render`), `natural-top<k>`, or `pictures:<directory>`
  (`picture_directory`).

  An inversion or maximisation name may end in its own settings,
  `@key=value,...`, which win over `settings`: `invert-pixel-transfer@steps=66`
  is the default inversion at 66 steps, named so in results. Values are
  read as integers, then numbers, else kept as strings.

  Examples:
    >>> by_name("invert-pixel-transfer@steps=66,init=image").name
    'invert-pixel-transfer@steps=66,init=image'

  Raises:
    ArgumentError: for another name, settings that are not `key=value`
      pairs, or settings the method does not have.
  """
  base, at, own = name.partition("@")
  if at:
    settings = {**settings, **_own_settings(name, own)}
  inverted = re.fullmatch(r"invert-(\w+)-(\w+)", base)
  if (inverted and inverted[1] in parameterization.CODE_PARAMS
      and inverted[2] in modified_code.MODES):
    return inversion(inverted[1], inverted[2], name=name, **settings)
  maximised = re.fullmatch(r"maximise-(\w+)", base)
  if maximised and maximised[1] in parameterization.PARAMS:
    return maximisation(maximised[1], name=name, **settings)
  if name.startswith("pictures:"):
    return picture_directory(name.removeprefix("pictures:"))
  top = re.fullmatch(r"natural-top([1-9][0-9]*)", name)
  if top:
    return natural(int(top[1]))
  raise errors.ArgumentError(
      f"unknown condition {name!r}; known: invert-<param>-<mode> with param "
      f"in {', '.join(parameterization.CODE_PARAMS)} and mode in "
      f"{', '.join(modified_code.MODES)}, maximise-<param>, natural-top<k>, "
      "pictures:<directory>, the first two optionally followed by "
      "@key=value,...")


def _own_settings(name: str, text: str) -> dict:
  """`key=value,...` of a condition's name, values as numbers where they
  read as numbers."""
  own = {}
  for pair in text.split(","):
    key, equals, value = pair.partition("=")
    if not equals or not re.fullmatch(r"[a-z_]+", key) or not value:
      raise errors.ArgumentError(
          f"condition {name!r}: settings after @ must be key=value pairs "
          "separated by commas")
    for kind in (int, float):
      try:
        own[key] = kind(value)
        break
      except ValueError:
        continue
    else:
      own[key] = value
  return own


def default_conditions(**settings) -> tuple[Condition, ...]:
  """fmi_tf's inversion (pixel and Fourier, transfer and gain), activation
  maximisation (pixel, Fourier, MaCo) and the natural exemplars (top 1 and
  top 9); `settings` (`steps=`) go to the inversions and maximisations."""
  return (*(inversion(param, mode, **settings)
            for param in ("pixel", "fourier") for mode in ("transfer", "gain")),
          *(maximisation(param, **settings)
            for param in ("pixel", "fourier", "maco")),
          natural(1), natural(9))


def square_photo(image, size: int) -> np.ndarray:
  """A photo (as `fmi_tf.invert` takes it) scaled to cover a square of
  `size` and cut to it: [S, S, 3]."""
  return image_io.fit_photo(image, size, square=True, what="photo")

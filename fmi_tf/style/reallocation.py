"""Energy reallocation: diverse textures from one image's code.

An image's code at each layer is given new energies (`energy_codes`: random
Dirichlet shares of the layer's total, or the style's energies by rank) and
the reallocated codes are inverted to images with `minimizer.Minimizer`,
one batch element per seed, minimising `objectives.code_distance` summed over
the layers (plus the priors and a user's objective, `composition`): by
default the network's two shallowest style layers
(`default_layers.style_layers`; on VGG19 relu1_1 and relu2_1). A long seed
list runs in chunks of `batch_size`.
"""

import dataclasses
from typing import Callable, Optional, Sequence

import numpy as np
import tensorflow as tf

from fmi_tf import errors
from fmi_tf import texture
from fmi_tf.optim import chunking
from fmi_tf.optim import composition
from fmi_tf.optim import minimizer
from fmi_tf.optim import objectives
from fmi_tf.optim import optimization
from fmi_tf.io import index_lists
from fmi_tf.nets import default_layers
from fmi_tf.nets import feature_model
from fmi_tf.nets import input_size
from fmi_tf.style import energy_codes

MODES = ("random", "rank")

# Called between compiled calls with (steps taken in the whole run, the
# seeds of the chunk, their images, their losses); a run of n chunks takes
# n times the optimiser's steps.
SeedProgressFn = Callable[[int, Sequence[int], np.ndarray, np.ndarray], None]


def parse_seeds(spec: str) -> list[int]:
  """Parses `0:8`, `3` or `0,4,7` (or a mix: `0:4,9`) into seeds.

  Raises:
    ArgumentError: if the text is malformed or names no seed or a negative one.
  """
  def non_negative(seed: int) -> None:
    if not 0 <= seed <= optimization.MAX_SEED:
      raise errors.ArgumentError(
          f"seed list {spec!r} must name seeds from 0 to "
          f"{optimization.MAX_SEED}")

  return index_lists.parse(spec, "seed", "0:8 or 0,4,7", non_negative)


def check_style(mode: str, has_style: bool) -> None:
  """Raises ArgumentError unless a style image is given exactly for `rank`."""
  if (mode == "rank") != has_style:
    raise errors.ArgumentError(
        "mode rank needs a style image (--style); mode random takes none")


@dataclasses.dataclass(frozen=True)
class ReallocationConfig:
  """Settings of energy reallocation and the inversion of its codes.

  Attributes:
    mode: `"random"` or `"rank"`.
    layers: layers whose codes are reallocated and matched (VGG19's names
      in either spelling); empty for the network's two shallowest style
      layers (`default_layers.style_layers`).
    concentration: Dirichlet parameter of the random shares (`random` only):
      below 1 the energy gathers on a few maps per layer.
    tv_weight: weight of the total-variation prior.
    noise_std: standard deviation of the initial noise around mid-grey.
    pooling: `"max"` or `"avg"` pooling in the feature model.
    batch_size: seeds inverted together; a longer seed list runs in chunks
      of this many, which bounds memory (each seed's result depends on its
      own seed only, never on its chunk).
    optimizer: the loop's settings.
  """
  mode: str = "random"
  layers: tuple[str, ...] = ()
  concentration: float = 0.1
  tv_weight: float = 0.0
  noise_std: float = 0.1
  pooling: str = "avg"
  batch_size: int = 16
  optimizer: optimization.OptimizerConfig = optimization.OptimizerConfig(
      steps=200, learning_rate=0.05, tolerance=0.0)

  def __post_init__(self):
    errors.check_choice("mode", self.mode, MODES)
    if (isinstance(self.layers, (str, bytes))
        or not isinstance(self.layers, (list, tuple))):
      raise errors.LayerError(
          f"layers must be a list of layer names, not "
          f"{errors.shown(self.layers)}")
    for layer in self.layers:
      errors.check_text("layer", layer, errors.LayerError)
    errors.check_non_negative("concentration", self.concentration)
    if not self.concentration > 0:
      raise errors.ArgumentError("concentration must be positive")
    composition.check_settings(tv_weight=self.tv_weight,
                               noise_std=self.noise_std,
                               batch_size=self.batch_size)

  def for_network(self, backbone: feature_model.Backbone
                  ) -> "ReallocationConfig":
    """This config with the network's default layers if none are given,
    and every layer under the network's own name, in network order.

    Raises:
      LayerError: for a layer the network does not have.
    """
    layers = self.layers or default_layers.style_layers(backbone)[:2]
    return dataclasses.replace(self, layers=tuple(
        backbone.network_order(backbone.canonical_names(layers))))


class Reallocator:
  """Reallocates an image's energies and inverts the codes to images."""

  def __init__(self, backbone: feature_model.Backbone,
               config: ReallocationConfig = ReallocationConfig(),
               objective: Optional[objectives.Objective] = None):
    """Builds the feature model and the compiled loop.

    Args:
      backbone: the network and its weight coverage.
      config: settings.
      objective: a user's own objective, added to the code distances; the
        layers it reads join the feature model.

    Raises:
      LayerError: for a layer the network does not have.
      WeightsError: for a layer the weights do not cover.
    """
    config = config.for_network(backbone)
    self.config = config
    self.layers = list(config.layers)
    total = composition.compose(
        sum((objectives.code_distance(layer) for layer in self.layers),
            objectives.Objective(())),
        tv_weight=config.tv_weight, user=objective)
    self._minimizer = minimizer.Minimizer.for_objective(
        backbone, total, config.optimizer, pooling=config.pooling)
    self._features = self._minimizer.features
    self._model = backbone.model

  def check_images(self, image: np.ndarray,
                   style: Optional[np.ndarray] = None) -> None:
    """Raises ImageError if the image (or the style image) is too small for
    a layer (see `input_size`)."""
    input_size.check_fits(self._model, self.layers, image.shape)
    if style is not None:
      input_size.check_fits(self._model, self.layers, style.shape,
                            "style image")

  def codes(self, images: np.ndarray) -> dict[str, tf.Tensor]:
    """Returns {layer: activations} of [B, H, W, 3] images."""
    return self._features(tf.convert_to_tensor(images, tf.float32))

  def targets(self, image: np.ndarray, seeds: Sequence[int],
              style: Optional[np.ndarray] = None) -> dict[str, tf.Tensor]:
    """Returns the reallocated codes {layer: [len(seeds), H, W, C]}.

    Raises:
      ArgumentError: if `rank` has no style image or `random` has one.
    """
    check_style(self.config.mode, style is not None)
    self.check_images(image, style)
    codes = self.codes(image[None])
    if self.config.mode == "random":
      return {layer: energy_codes.random_code(codes[layer], seeds, index,
                                 self.config.concentration)
              for index, layer in enumerate(self.layers)}
    style_codes = self.codes(style[None])
    return {layer: tf.repeat(energy_codes.rank_code(
        codes[layer], texture.energies(style_codes[layer])), len(seeds), 0)
            for layer in self.layers}

  def total_steps(self, num_seeds: int) -> int:
    """The steps of a run of `num_seeds` seeds: the optimiser's steps once
    per chunk of `batch_size` seeds."""
    return (len(chunking.chunks(range(num_seeds), self.config.batch_size))
            * self.config.optimizer.steps)

  def invert(self, image: np.ndarray, seeds: Sequence[int],
             style: Optional[np.ndarray] = None,
             on_progress: Optional[SeedProgressFn] = None
             ) -> minimizer.MinimizeResult:
    """Reallocates and inverts: one image per seed, seeded noise start.

    The seeds run in chunks of `batch_size`; the results are those of one
    batch of all seeds.

    Args:
      image: [H, W, 3] RGB in [0, 1] whose energies are reallocated.
      seeds: seeds of the shares (`random`), of the initial noise and of
        the parameterisation's random transforms.
      style: [H', W', 3] style image, for `rank` only.
      on_progress: called between compiled calls (see `SeedProgressFn`).

    Returns:
      The images [len(seeds), H, W, 3], losses and steps.

    Raises:
      ArgumentError: for a bad seed, or a result that went non-finite.
      ImageError: for an image too small for a layer.
    """
    if not seeds:
      raise errors.ArgumentError("give at least one seed")
    for seed in seeds:
      optimization.check_seed(seed)
    check_style(self.config.mode, style is not None)
    self.check_images(image, style)
    parts = []
    for index, chunk in enumerate(chunking.chunks(seeds,
                                                  self.config.batch_size)):
      offset = index * self.config.optimizer.steps
      report = _chunk_progress(on_progress, chunk, offset)
      targets = self.targets(image, chunk, style)
      pairs = [(seed, 0) for seed in chunk]
      initial = composition.grey_noise_images(image.shape, pairs,
                                               self.config.noise_std)
      parts.append(self._minimizer.minimize(initial, targets, report, pairs))
    return minimizer.MinimizeResult(
        *(np.concatenate(field) for field in zip(*parts)))


def _chunk_progress(on_progress: Optional[SeedProgressFn],
                    chunk: Sequence[int], offset: int
                    ) -> Optional[minimizer.ProgressFn]:
  """The minimiser's callback for one chunk of seeds, reporting the steps
  of the whole run."""
  if on_progress is None:
    return None

  def report(step, images, losses):
    on_progress(offset + step, chunk, images, losses)

  return report

"""Style transfer and texture synthesis by matching texture statistics.

The result minimises `style_weight * sum_l w_l * style_l + content_weight *
content + tv_weight * tv` (see `style_losses`) with `minimizer.Minimizer`.
Without a content image it is a texture synthesised from the style's
representation alone, at the style image's size, from mid-grey plus noise.

Defaults: the network's style and content layers (`default_layers`: on
VGG19 style at relu1_1, relu2_1, relu3_1, relu4_1, relu5_1 as Gatys et al.,
content at relu4_2; on another network five style layers spread over its
invertible layers and content three fifths of the way down), starting from
the content image; the weights were chosen with `benchmarks/style.py
--part=transfer` on real photos and DTD styles (docs/results/style.md).
"""

import dataclasses
from typing import Callable, Mapping, NamedTuple, Optional

import numpy as np
import tensorflow as tf

from fmi_tf import errors
from fmi_tf.optim import composition
from fmi_tf.optim import minimizer
from fmi_tf.optim import objectives
from fmi_tf.optim import optimization
from fmi_tf.io import summaries
from fmi_tf.nets import default_layers
from fmi_tf.nets import feature_model
from fmi_tf.nets import input_size
from fmi_tf.style import losses as style_losses

INITS = ("content", "noise")
DEFAULT_OPTIMIZER = optimization.OptimizerConfig(
    steps=300, learning_rate=0.02, schedule="cosine", steps_per_call=25,
    tolerance=0.0)


@dataclasses.dataclass(frozen=True)
class StyleConfig:
  """Settings of style transfer and texture synthesis.

  Attributes:
    method: `"energy"` or `"gram"`.
    style_layers: (layer, weight) pairs (VGG19's names in either spelling);
      empty for the network's `default_layers.style_layers`, weight 1 each.
    content_layer: the layer whose code keeps the content; None for the
      network's `default_layers.content_layer`.
    content_weight: weight of the content term.
    style_weight: weight of the sum of style terms.
    tv_weight: weight of the total-variation prior.
    energy_order: 1 (spatial mean) or 2 (root mean square) for `"energy"`.
    init: `"content"` or `"noise"` (always noise without a content image).
    noise_std: standard deviation of the noise around mid-grey.
    seed: seeds the noise and the parameterisation's random transforms.
    pooling: `"max"` or `"avg"` pooling in the feature model.
    optimizer: the loop's settings.
  """
  method: str = "energy"
  style_layers: tuple[tuple[str, float], ...] = ()
  content_layer: Optional[str] = None
  content_weight: float = 3.0
  style_weight: float = 10.0
  tv_weight: float = 1.0
  energy_order: int = 1
  init: str = "content"
  noise_std: float = 0.1
  seed: int = 0
  pooling: str = "avg"
  optimizer: optimization.OptimizerConfig = DEFAULT_OPTIMIZER

  def __post_init__(self):
    style_losses.check_method(self.method)
    errors.check_choice("init", self.init, INITS)
    if not (isinstance(self.style_layers, (list, tuple))
            and all(isinstance(pair, (list, tuple)) and len(pair) == 2
                    for pair in self.style_layers)):
      raise errors.ArgumentError(
          "style_layers must be (layer, weight) pairs, not "
          f"{errors.shown(self.style_layers)}")
    for layer, _ in self.style_layers:
      errors.check_text("style layer", layer, errors.LayerError)
    if self.content_layer is not None:
      errors.check_text("content layer", self.content_layer,
                        errors.LayerError)
    for name in ("content_weight", "style_weight"):
      errors.check_non_negative(name, getattr(self, name))
    composition.check_settings(tv_weight=self.tv_weight,
                               noise_std=self.noise_std, seed=self.seed)
    for layer, weight in self.style_layers:
      errors.check_non_negative(f"the weight of style layer {layer}", weight)
    if self.style_layers and not any(
        weight > 0 for _, weight in self.style_layers):
      raise errors.ArgumentError("all style layer weights are zero")
    if self.style_weight == 0:
      raise errors.ArgumentError("style weight is zero: nothing to match")

  def for_network(self, backbone: feature_model.Backbone) -> "StyleConfig":
    """This config with the network's default layers where none are given
    and every layer under the network's own name.

    Raises:
      LayerError: for a layer the network does not have.
    """
    style_layers = self.style_layers or tuple(
        (layer, 1.0) for layer in default_layers.style_layers(backbone))
    return dataclasses.replace(
        self, style_layers=tuple(
            (backbone.canonical_name(layer), weight)
            for layer, weight in style_layers),
        content_layer=backbone.canonical_name(
            self.content_layer or default_layers.content_layer(backbone)))


def parse_style_layer(spec: str) -> tuple[str, float]:
  """Parses `relu1_1=1.0` (or a bare `relu1_1`, weight 1) into (layer, weight).

  The layer is checked against the network when the config meets it
  (`StyleConfig.for_network`).

  Raises:
    ArgumentError: if the weight is not a number.
  """
  name, _, weight_text = spec.partition("=")
  layer = name.strip()
  if not weight_text.strip():
    return layer, 1.0
  try:
    weight = float(weight_text)
  except ValueError:
    raise errors.ArgumentError(
        f"style layer weight {weight_text!r} in {spec!r} is not a number; "
        "use layer=weight, e.g. relu1_1=1.0") from None
  if not np.isfinite(weight):
    raise errors.ArgumentError(
        f"style layer weight in {spec!r} is not a finite number")
  return layer, weight


class StyleResult(NamedTuple):
  """Outcome of `Stylizer.stylize`.

  Attributes:
    image: [H, W, 3] float32 RGB in [0, 1].
    initial_losses: {term name: value} at the start.
    losses: {term name: value} at the end; `"loss/total"` is their sum.
    steps: optimisation steps taken.
  """
  image: np.ndarray
  initial_losses: dict[str, float]
  losses: dict[str, float]
  steps: int


class Stylizer:
  """Builds the feature model, objective and compiled loop once; reusable."""

  def __init__(self, backbone: feature_model.Backbone,
               config: StyleConfig = StyleConfig(),
               writer: Optional[summaries.SummaryWriter] = None,
               objective: Optional[objectives.Objective] = None):
    """Checks the layers and builds the loop.

    Args:
      backbone: the network and its weight coverage.
      config: settings.
      writer: TensorBoard writer; None writes nothing.
      objective: a user's own objective, added to the style (and content)
        terms; the layers it reads join the feature model.

    Raises:
      LayerError: for a layer the network does not have.
      WeightsError: for a layer the weights do not cover.
    """
    config = config.for_network(backbone)
    self.config = config
    self._writer = writer or summaries.SummaryWriter(None)
    self.style_layers = {layer: weight for layer, weight in config.style_layers
                         if weight > 0}
    self.content_layer = config.content_layer
    self._style_objective = sum(
        (weight * style_losses.style(layer, config.method,
                                     config.energy_order)
         for layer, weight in self.style_layers.items()),
        objectives.Objective(()))
    self._user_objective = objective
    self._layers = backbone.canonical_names(
        [*self.objective(True).layers, self.content_layer])
    self.features = feature_model.feature_model(
        backbone, self._layers, config.pooling)
    self._model = backbone.model
    self._minimizers = {}

  def check_images(self, style: np.ndarray,
                   content: Optional[np.ndarray] = None) -> None:
    """Raises ImageError if the style or content image is too small for a
    layer of the feature model (see `input_size`)."""
    input_size.check_fits(self._model, self._layers, style.shape,
                          "style image")
    if content is not None:
      input_size.check_fits(self._model, self._layers, content.shape,
                            "content image")

  def objective(self, with_content: bool) -> objectives.Objective:
    """Returns the weighted objective, with or without the content term."""
    config = self.config
    main = config.style_weight * self._style_objective
    if with_content and config.content_weight:
      main += config.content_weight * style_losses.content(
          self.content_layer)
    return composition.compose(main, tv_weight=config.tv_weight,
                               user=self._user_objective)

  def targets(self, style: np.ndarray,
              content: Optional[np.ndarray]) -> dict[str, tf.Tensor]:
    """Returns the style statistics and content code the losses read."""
    activations = self.features(tf.convert_to_tensor(style[None]))
    targets = {
        style_losses.style_key(layer): style_losses.statistic(
            self.config.method, activations[layer], self.config.energy_order)
        for layer in self.style_layers}
    if content is not None:
      code = self.features(tf.convert_to_tensor(content[None]))
      targets[style_losses.content_key(self.content_layer)] = code[
          self.content_layer]
    return targets

  def losses(self, objective: objectives.Objective, images: tf.Tensor,
             targets: Mapping) -> dict[str, float]:
    """Returns {term name: value} and `"loss/total"` for [1, H, W, 3] images."""
    total, terms = composition.total_and_terms(
        objective, self.features(images), images, targets)
    values = {name: float(value) for name, value in terms.items()}
    values["loss/total"] = float(total)
    return values

  def initial_image(self, style: np.ndarray,
                    content: Optional[np.ndarray]) -> tf.Tensor:
    """Returns the [1, H, W, 3] starting image."""
    if content is not None and self.config.init == "content":
      return tf.convert_to_tensor(content[None])
    shape = (content if content is not None else style).shape
    return composition.grey_noise_images(
        shape, [(self.config.seed, 0)], self.config.noise_std)

  def stylize(self, style: np.ndarray, content: Optional[np.ndarray] = None,
              on_step: Optional[Callable[[int], None]] = None
              ) -> StyleResult:
    """Paints `content` in the style of `style`, or synthesises the texture.

    Args:
      style: [H, W, 3] RGB in [0, 1].
      content: [H', W', 3] RGB in [0, 1], or None to synthesise a texture
        of the style's size.
      on_step: called with the number of steps done after every call of
        the compiled loop.

    Returns:
      The image and its losses.
    """
    self.check_images(style, content)
    with_content = content is not None
    objective = self.objective(with_content)
    if with_content not in self._minimizers:
      self._minimizers[with_content] = minimizer.Minimizer(
          self.features, objective, self.config.optimizer)
    targets = self.targets(style, content)
    initial = self.initial_image(style, content)
    initial_losses = self.losses(objective, initial, targets)

    def on_progress(step, images, losses):
      del losses
      if self._writer.enabled:
        if not self._writer.written:  # after the checks of the first call
          self._writer.images(0, {"image/1_style": style, **(
              {"image/0_content": content} if with_content else {})})
        self._writer.scalars(step, self.losses(
            objective, tf.convert_to_tensor(images), targets))
        self._writer.images(step, {"image/2_result": images[0]})
      if on_step:
        on_step(step)

    result = self._minimizers[with_content].minimize(
        initial, targets, on_progress, seeds=[(self.config.seed, 0)])
    return StyleResult(
        result.images[0], initial_losses,
        self.losses(objective, tf.convert_to_tensor(result.images), targets),
        int(result.steps[0]))

"""Feature-map inversion: the texture primitive each filter captures.

For each filter k of a layer, the image's code at that layer is modified to
enhance map k (see `modified_code`) and inverted back to an image by
minimising `modified_code.filter_code_distance` (plus optional priors) from
mid-grey plus noise. Filters are inverted in batches, one batch element per
filter; a long list runs in chunks of `batch_size`, which bounds memory.

Early stopping judges each filter's own energy share as well as the loss, so a
filter whose map has not yet fired goes on to the last step. A filter whose
map is still silent in its inverted image is reported as not activated.
"""

import dataclasses
import functools
import time
from typing import Iterator, Optional, Sequence

import numpy as np
import tensorflow as tf

from fmi_tf import errors
from fmi_tf import texture
from fmi_tf.inversion import filter_result
from fmi_tf.inversion import modified_code
from fmi_tf.optim import composition
from fmi_tf.optim import minimizer
from fmi_tf.optim import objectives
from fmi_tf.optim import optimization
from fmi_tf.optim import parameterization
from fmi_tf.optim import renderer
from fmi_tf.io import index_lists
from fmi_tf.io import summaries
from fmi_tf.nets import feature_model
from fmi_tf.nets import input_size
from fmi_tf.nets import networks
from fmi_tf.nets import precision as precision_lib

INITS = ("noise", "image")
DEFAULT_PRECISION = precision_lib.AUTO


@dataclasses.dataclass(frozen=True)
class InversionConfig:
  """Settings of feature-map inversion.

  Attributes:
    mode: `"transfer"` or `"gain"` (see `modified_code`).
    alpha: gain of the enhanced map in `gain` mode.
    beta: gain of the other maps in `gain` mode.
    tv_weight: weight of the total-variation prior; None: the
      parameterisation's (`defaults.resolve`).
    l2_weight: weight of the L2 prior (distance from mid-grey).
    init: `"noise"` (mid-grey plus noise, the authors' choice) or `"image"`.
    noise_std: standard deviation of the initial noise.
    seed: seeds the initial noise; filter k's noise depends only on
      (seed, k), never on its batch.
    batch_size: filters inverted together.
    pooling: `"max"` or `"avg"` pooling in the feature model.
    precision: the network's compute, `"float32"`, `"bfloat16"` (mixed) or
      `"auto"` (bfloat16 where the device has bfloat16 arithmetic; see
      `fmi_tf.nets.precision`).
    optimizer: the loop's settings, including the parameterisation; None:
      `OptimizerConfig()` with the network's parameterisation
      (`defaults.resolve`, which every entry point calls; `FilterInverter`
      takes a config so resolved).
  """
  mode: str = "transfer"
  alpha: float = modified_code.DEFAULT_ALPHA
  beta: float = modified_code.DEFAULT_BETA
  tv_weight: Optional[float] = None
  l2_weight: float = 0.0
  init: str = "noise"
  noise_std: float = 0.1
  seed: int = 0
  batch_size: int = 16
  pooling: str = "max"
  precision: str = DEFAULT_PRECISION
  optimizer: Optional[optimization.OptimizerConfig] = None

  def __post_init__(self):
    errors.check_choice("mode", self.mode, modified_code.MODES)
    errors.check_choice("init", self.init, INITS)
    if self.optimizer is not None and isinstance(self.optimizer.param, str):
      errors.check_choice("an inversion's param", self.optimizer.param,
                          parameterization.CODE_PARAMS)
    precision_lib.check(self.precision)
    for name in ("alpha", "beta"):
      errors.check_non_negative(name, getattr(self, name))
    # An unset tv_weight (None) is filled by `defaults.resolve`.
    composition.check_settings(
        tv_weight=0.0 if self.tv_weight is None else self.tv_weight,
        l2_weight=self.l2_weight, noise_std=self.noise_std, seed=self.seed,
        batch_size=self.batch_size)

  @functools.cached_property
  def compute_precision(self) -> precision_lib.Choice:
    """The precision the network computes in (`auto` resolved here)."""
    return precision_lib.resolve(self.precision)

  def record(self) -> dict:
    """Returns the settings as a flat JSON-ready dict.

    `precision` is the compute precision used (`auto` resolved) and
    `precision_reason` says why.
    """
    settings = dataclasses.asdict(self)
    settings.update(settings.pop("optimizer"))
    settings["param"] = parameterization.name(self.optimizer.param)
    settings["precision"] = self.compute_precision.name
    settings["precision_reason"] = self.compute_precision.reason
    return settings


# (status text, filter-steps of the budget used since the last call).
StepFn = renderer.StepFn


def parse_filters(spec: str, num_filters: int) -> list[int]:
  """Parses `0,5,9`, `0:64`, `all` (or a mix: `0:4,9`) into filter indices.

  Raises:
    LayerError: if an index is out of range.
    ArgumentError: if the text is malformed or names no filter.
  """
  if spec.strip() == "all":
    return list(range(num_filters))
  return index_lists.parse(spec, "filter", "0,5,9 or 0:64 or all",
                           lambda i: check_filter(i, num_filters))


def check_filter(index: int, num_filters: int) -> None:
  """Raises LayerError unless 0 <= index < num_filters."""
  if not 0 <= index < num_filters:
    raise errors.LayerError(
        f"filter {index} is out of range: the layer has {num_filters} "
        f"filters (0 to {num_filters - 1})")


def layer_record(backbone: feature_model.Backbone, layer: str) -> dict:
  """Returns what every record of a layer's inverted filters carries.

  Args:
    backbone: the network inverted.
    layer: canonical layer name.

  Returns:
    `{"network": ..., "layer_index": ...}`: the network as `networks.record`
    gives it plus the source of its weights (`"weights"`), and the layer's
    depth in it (`Backbone.depth`), by which a directory of records read back
    without the network orders its layers.
  """
  return {"network": {**networks.record(backbone), "weights": backbone.source},
          "layer_index": backbone.depth(layer)}


def filter_energy_share(layer: str) -> minimizer.MeasureFn:
  """The progress measure of filter inversion: the enhanced map's share.

  Args:
    layer: canonical layer name; `targets[layer]` is a `FilterTarget`.

  Returns:
    (activations, targets) -> [B], each element's share of the layer's
    first-order energy held by its own filter.
  """

  def share(activations, targets):
    target: modified_code.FilterTarget = targets[layer]
    shares = texture.energy_shares(activations[layer])
    return tf.gather(shares, target.filter_ids, axis=-1, batch_dims=1)

  return share


def initial_images(image: np.ndarray, filter_ids: Sequence[int],
                   config: InversionConfig) -> tf.Tensor:
  """Returns the starting images, one per filter, independent of batching."""
  if config.init == "image":
    return tf.repeat(tf.convert_to_tensor(image)[None], len(filter_ids), 0)
  return composition.grey_noise_images(
      image.shape, [(config.seed, k) for k in filter_ids], config.noise_std)


class FilterInverter:
  """Inverts enhanced codes of one layer, batch by batch, with one compiled loop.

  The feature model and the compiled loop are built once and reused for every
  batch of filters.
  """

  def __init__(self, backbone: feature_model.Backbone, layer: str,
               config: InversionConfig,
               writer: Optional[summaries.SummaryWriter] = None,
               objective: Optional[objectives.Objective] = None):
    """Builds the feature model and the loop.

    Args:
      backbone: the network and its weight coverage.
      layer: the layer whose filters are inverted (VGG19: either spelling).
      config: inversion settings, resolved: with every setting the network
        and the parameterisation decide filled in
        (`fmi_tf.inversion.defaults.resolve(...).config`).
      writer: TensorBoard writer; None writes nothing.
      objective: a user's own objective, added to the filter's code distance
        (and the priors of `config`); the layers it reads join the feature
        model.

    Raises:
      ArgumentError: for a config with settings left unset.
      LayerError, WeightsError: for a layer unknown or not covered.
    """
    unset = [name for name in ("optimizer", "tv_weight")
             if getattr(config, name) is None]
    if unset:
      raise errors.ArgumentError(
          f"the inversion config leaves {', '.join(unset)} unset; resolve it "
          "first with fmi_tf.inversion.defaults.resolve(net, config=...)")
    self.layer = backbone.canonical_name(layer)
    self.num_filters = backbone.num_filters(self.layer)
    self._model = backbone.model
    self.layer_record = layer_record(backbone, self.layer)
    self._config = config
    total = composition.compose(
        modified_code.filter_code_distance(self.layer),
        tv_weight=config.tv_weight, l2_weight=config.l2_weight,
        user=objective)
    self._renderer = renderer.Renderer(
        backbone, total, config.optimizer,
        measure=filter_energy_share(self.layer), writer=writer,
        pooling=config.pooling, relu_gradient="redirected",
        precision=config.compute_precision.name)

  @property
  def layers(self) -> tuple[str, ...]:
    """The layers the inversion reads: the inverted one, and those of the
    user's objective."""
    return tuple(dict.fromkeys(self._renderer.names.values()))

  def check_image(self, image: np.ndarray) -> None:
    """Raises ImageError if an [H, W, 3] image is too small for the layer
    (see `input_size`)."""
    input_size.check_fits(self._model, [self.layer], image.shape)

  def code(self, images) -> tf.Tensor:
    """Returns the layer's activations for [B, H, W, 3] images."""
    return self._renderer.features(
        tf.convert_to_tensor(images, tf.float32))[self.layer]

  @property
  def steps_per_filter(self) -> int:
    """The most steps a filter takes: its share of a run's step budget."""
    return self._config.optimizer.steps

  def invert(self, image: np.ndarray, filter_ids: Sequence[int],
             on_step: Optional[StepFn] = None
             ) -> Iterator[filter_result.FilterResult]:
    """Inverts the enhanced code of each filter, yielding results by batch.

    Args:
      image: [H, W, 3] float32 RGB in [0, 1], whose code is modified.
      filter_ids: the filters, inverted in chunks of `batch_size`.
      on_step: called between compiled calls with a short status text
        (filters of the batch, steps taken) and the filter-steps of the step
        budget (`steps_per_filter` per filter) used since its last call; a
        batch that stops early reports the rest of its budget as it ends, so
        the filter-steps of a run add up to `steps_per_filter` per filter.

    Yields:
      One `filter_result.FilterResult` per filter, in the order given.
    """
    config = self._config
    self.check_image(image)
    code = self.code(image[None])
    shares_before = texture.energy_shares(code)[0].numpy()
    began = time.perf_counter()
    for chunk, result in self._renderer.run(
        filter_ids, config.batch_size,
        initial=lambda chunk: initial_images(image, chunk, config),
        targets=lambda chunk: {self.layer: modified_code.filter_target(
            code, chunk, config.mode, config.alpha, config.beta)},
        seeds=lambda chunk: [(config.seed, k) for k in chunk],
        floors=lambda chunk: shares_before[chunk],
        on_step=on_step, label=lambda k: f"{self.layer}_{k:04d}"):
      shares_after = texture.energy_shares(self.code(result.images)).numpy()
      seconds = (time.perf_counter() - began) / len(chunk)
      for i, k in enumerate(chunk):
        yield filter_result.FilterResult(
            self.layer, k, result.images[i], float(result.losses[i]),
            int(result.steps[i]), seconds, float(shares_before[k]),
            float(shares_after[i, k]))
      began = time.perf_counter()

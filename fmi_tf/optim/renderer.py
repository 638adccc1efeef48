"""The engine of every render: an objective on a network, compiled once.

A `Renderer` builds the one feature model its objective reads (layers named
as the objective names them, the paper's VGG19 names and a head's logits
included), the compiled loop (`minimizer.Minimizer`), and runs a list of
items (images to render, filters to invert) in chunks of a batch size, each
chunk with its own starting images, targets, seeds and early-stop floors,
reporting progress in item-steps and TensorBoard summaries per item.
`fmi_tf.render` renders an objective with it; filter inversion
(`fmi_tf.invert`, atlases, Beam) renders the paper's objective, the distance
to an enhanced code, with it.
"""

from typing import Callable, Iterator, Mapping, Optional, Sequence

import numpy as np

from fmi_tf import errors
from fmi_tf.io import summaries
from fmi_tf.nets import feature_model
from fmi_tf.nets import input_size
from fmi_tf.optim import chunking
from fmi_tf.optim import minimizer
from fmi_tf.optim import objective as objective_lib
from fmi_tf.optim import objectives
from fmi_tf.optim import optimization

# (status text, item-steps of the budget used since the last call).
StepFn = Callable[[str, int], None]


class _AliasedFeatures:
  """A feature model whose outputs are also keyed by the objective's names."""

  def __init__(self, model, aliases: Mapping[str, str]):
    self.model = model
    self._aliases = dict(aliases)

  def __call__(self, images):
    outputs = self.model(images)
    return {**outputs, **{alias: outputs[name]
                          for alias, name in self._aliases.items()}}


def layer_names(backbone: feature_model.Backbone,
                objective: objective_lib.Objective) -> dict[str, str]:
  """{name in the objective: the network's name} of each layer it reads.

  Raises:
    LayerError: for a layer the network does not have.
    ArgumentError: for `class_logit` on a network without a head.
  """
  names = {}
  for layer in objective.layers:
    if layer == objectives.LOGITS:
      if backbone.logits is None:
        raise errors.ArgumentError(
            f"class_logit needs a network with a classification head; "
            f"{backbone.network} has none (its last layer outputs "
            "feature maps): give fmi_tf.network a model built with its top")
      names[layer] = backbone.logits[0]
    else:
      names[layer] = backbone.canonical_name(layer)
  return names


class Renderer:
  """Renders items in chunks for one objective on one network.

  Examples:
    >>> renderer = Renderer(net, objectives.channel("block4_conv1", 7))
    >>> renderer.check((128, 128, 3), batch=1)
    >>> for chunk, result in renderer.run(
    ...     [0], 1, initial=lambda chunk: noise, targets=lambda chunk: {},
    ...     seeds=lambda chunk: [(0, 0)]):
    ...   result.images
  """

  def __init__(self, backbone: feature_model.Backbone,
               objective: objective_lib.Objective,
               config: optimization.OptimizerConfig = (
                   optimization.OptimizerConfig()),
               *, measure: Optional[minimizer.MeasureFn] = None,
               writer: Optional[summaries.SummaryWriter] = None,
               **feature_options):
    """Builds the feature model and the loop.

    Args:
      backbone: the network.
      objective: the per-image loss.
      config: the optimiser settings.
      measure: a progress measure early stopping also judges (see
        `optimization`).
      writer: TensorBoard writer of per-item losses and progress grids.
      **feature_options: `pooling`, `relu_gradient`, `precision` of
        `feature_model.feature_model`.

    Raises:
      FmiError: for a layer unknown or not covered, or a bad option.
    """
    self.backbone = backbone
    self.objective = objective
    self.config = config
    self.names = layer_names(backbone, objective)
    model = feature_model.feature_model(
        backbone, list(dict.fromkeys(self.names.values())), **feature_options)
    self.features = _AliasedFeatures(model, self.names)
    self.minimizer = minimizer.Minimizer(self.features, objective, config,
                                            measure)
    self._writer = writer or summaries.SummaryWriter(None)

  @property
  def feature_maps(self) -> list[str]:
    """The network's names of the feature-map layers read (not a head)."""
    head = self.backbone.logits[0] if self.backbone.logits else None
    return [name for name in dict.fromkeys(self.names.values())
            if name != head]

  def check(self, shape: Sequence[int], batch: int) -> None:
    """Raises FmiError unless images of `shape` can be rendered `batch` at
    a time: large enough for every layer read, an objective the network can
    evaluate at that size, and a parameterisation of that size.

    Args:
      shape: [H, W, 3] of the images.
      batch: the most images rendered together.
    """
    input_size.check_fits(self.backbone.model, self.feature_maps, shape)
    shapes = {}
    for alias, value in self.features(np.zeros((1, *shape), np.float32)
                                      ).items():
      dims = tuple(int(d) for d in value.shape[1:])
      # A head's [B, classes] reads as a 1x1 map of `classes` channels.
      shapes[alias] = dims if len(dims) == 3 else (1, 1, dims[0])
    self.objective.check(self.backbone, shapes, batch)
    self.minimizer.prepare(int(shape[0]), int(shape[1]))

  def run(self, items: Sequence, batch_size: int,
          initial: Callable[[list], np.ndarray],
          targets: Callable[[list], Mapping],
          seeds: Callable[[list], list[tuple[int, int]]],
          floors: Optional[Callable[[list], Sequence[float]]] = None,
          on_step: Optional[StepFn] = None,
          label: Callable[[object], str] = str
          ) -> Iterator[tuple[list, minimizer.MinimizeResult]]:
    """Renders `items` in chunks of `batch_size`, yielding each chunk.

    Args:
      items: what each image is for (an index, a filter); the callbacks get
        a chunk of them.
      batch_size: items optimised together.
      initial: chunk -> [n, H, W, 3] starting images.
      targets: chunk -> the objective's targets; each item's position in
        `items` is added as `targets[objective.ELEMENT]`.
      seeds: chunk -> one stateless seed pair per item.
      floors: chunk -> the progress measure each item must pass before it
        may stop early (see `optimization`), or None.
      on_step: called between compiled calls with a status text and the
        item-steps of the budget (`config.steps` per item) used since its
        last call; a chunk that stops early reports the rest of its budget
        as it ends, so a run's item-steps add up to `config.steps` per item.
      label: an item's name in statuses and summaries.

    Yields:
      (chunk, the minimiser's result for it).
    """
    start = 0
    for chunk in chunking.chunks(items, batch_size):
      report = self._reporter(chunk, on_step, label)
      given = {objective_lib.ELEMENT: np.arange(
          start, start + len(chunk), dtype=np.int32), **targets(chunk)}
      result = self.minimizer.minimize(
          initial(chunk), given, on_progress=report, seeds=seeds(chunk),
          measure_floors=None if floors is None else floors(chunk))
      report(self.config.steps, None, None)
      yield chunk, result
      start += len(chunk)

  def _reporter(self, chunk: list, on_step: Optional[StepFn],
                label: Callable[[object], str]):
    """The minimiser's progress callback for one chunk; called once more
    with the step budget and no images when the chunk ends."""
    names = [f"loss/{label(item)}" for item in chunk]
    first, last = label(chunk[0]), label(chunk[-1])
    counter = chunking.StepCounter()

    def on_progress(step, images, losses):
      new = counter(step)
      if on_step is not None and new:
        on_step(f"{first}-{last}: step {step}/{self.config.steps}",
                len(chunk) * new)
      if images is not None:
        self._writer.scalars(step, dict(zip(names, losses)))
        self._writer.image_grid(step, f"image/{first}-{last}", images)

    return on_progress

"""`fmi_tf.render`: optimise images for any objective, as lucid's render_vis.

One call takes a network, an objective (`fmi_tf.objectives`, or a
`"layer:filter"` string), a parameterisation and its transforms, a size and
a step budget, and returns the images with one record per image
(`RenderResult`), a labelled grid that a notebook draws inline, and each
image's attribution (where the objective kept pulling: MaCo's transparency
map). It checks the objective against the network before any step, then
renders the images in chunks (`renderer.Renderer`) with a progress bar.

Examples:
  >>> net = fmi_tf.network("vgg19")
  >>> res = fmi_tf.render(net, "block4_conv1:0:8")   # 8 channels, batched
  >>> res.show()
  >>> res = fmi_tf.render(net, fmi_tf.objectives.channel("block4_conv1", 7),
  ...                     param="maco", size=224)
  >>> res.attribution.shape                           # [1, 224, 224]
"""

import dataclasses
from typing import Any, Optional

import numpy as np
import tensorflow as tf
from PIL import Image

from fmi_tf import errors
from fmi_tf import limits
from fmi_tf.io import display
from fmi_tf.io import grid
from fmi_tf.io import images as image_io
from fmi_tf.io import outputs
from fmi_tf.io import paths
from fmi_tf.io import progress as progress_lib
from fmi_tf.io import summaries
from fmi_tf.nets import networks
from fmi_tf.nets import precision as precision_lib
from fmi_tf.optim import composition
from fmi_tf.optim import dataset_spectrum
from fmi_tf.optim import objective as objective_lib
from fmi_tf.optim import objectives
from fmi_tf.optim import optimization
from fmi_tf.optim import parameterization
from fmi_tf.optim import renderer as renderer_lib
from fmi_tf.optim import settings as settings_lib

DEFAULT_SIZE = 128
DEFAULT_PARAM = "fourier"
DEFAULT_BATCH_SIZE = 16
# Channel maximisation ran faster in float32 than in bfloat16 even on a CPU
# with bfloat16 arithmetic (docs/results/speed.md#channel-maximisation-against-xplique).
DEFAULT_PRECISION = precision_lib.FLOAT32
NOISE_STD = 0.1
IMAGE_STEP = "image-step"


@dataclasses.dataclass(frozen=True)
class RenderResult:
  """Images optimised for an objective.

  Attributes:
    images: [N, H, W, 3] float32 RGB in [0, 1].
    records: one JSON-ready dict per image: `index`, `loss`, `terms` (each
      named term's final value; a channel term is minus the map's mean),
      `steps`, `seed`, and the run's `objective`, `network`, `size`,
      `init` and `parameters` (every setting).
    attribution: [N, H, W] float32 in [0, 1]: the magnitude of the loss's
      gradient with respect to each pixel, summed over the steps and
      scaled to a maximum of 1 per image.
  """
  images: np.ndarray
  records: tuple[dict, ...]
  attribution: np.ndarray

  def grid(self) -> Image.Image:
    """The images in a grid labelled with their index and final loss."""
    labels = [f"{r['index']}: {r['loss']:.3g}" for r in self.records]
    return grid.labelled_grid(list(self.images), labels,
                              f"{self.records[0]['objective']}")

  def show(self) -> None:
    """Draws the grid inline in a notebook (else in a matplotlib window)."""
    display.show(self.grid())

  def _repr_png_(self) -> bytes:
    return display.png_bytes(self.grid())

  def save(self, out: str) -> None:
    """Writes `out/image_<i:04d>.png` and `.json` per image, and
    `out/attribution_<i:04d>.png` (white where the objective pulled most).

    Raises:
      OutputError: if `out` cannot be created or written (checked first; a
        directory made for a run that fails is removed).
    """
    outputs.check_creatable(out)
    with outputs.removed_on_failure(out):
      outputs.prepare_directory(out)
      for image, record, attribution in zip(self.images, self.records,
                                            self.attribution):
        name = paths.join_under(out, f"image_{record['index']:04d}")
        outputs.write_png(name + ".png", image)
        outputs.write_json(name + ".json", record)
        outputs.write_png(paths.join_under(
            out, f"attribution_{record['index']:04d}.png"),
                          np.repeat(attribution[..., None], 3, axis=-1))


def _image_count(objective: objective_lib.Objective,
                 images: Optional[int]) -> int:
  if images is None:
    return objective.elements or 1
  images = limits.check_count("images", images, high=limits.MAX_CHANNELS)
  if objective.elements is not None and objective.elements != images:
    raise errors.ArgumentError(
        f"the objective has targets for {objective.elements} images, but "
        f"images={images}")
  return images


def render(net: Any,
           objective: Any,
           *,
           size: int = DEFAULT_SIZE,
           images: Optional[int] = None,
           init: Any = "noise",
           seed: int = 0,
           batch_size: int = DEFAULT_BATCH_SIZE,
           transforms: Optional[list] = None,
           precision: str = DEFAULT_PRECISION,
           relu_gradient: str = "redirected",
           config: Optional[optimization.OptimizerConfig] = None,
           logdir: Optional[str] = None,
           progress: bool = True,
           spectrum: Any = None,
           out: Optional[str] = None,
           **settings) -> RenderResult:
  """Optimises images for an objective: activation maximisation and more.

  Examples:
    >>> res = fmi_tf.render(net, "block4_conv1:0:16", steps=128)
    >>> res.images.shape                    # [16, 128, 128, 3]
    >>> both = (fmi_tf.objectives.channel("block4_conv1", [7] * 4)
    ...         + 0.5 * fmi_tf.objectives.diversity("block3_conv1"))
    >>> fmi_tf.render(net, both, param="maco").show()
    >>> fmi_tf.render(net, "block4_conv1:7", param="maco",
    ...               spectrum="folder:textures/", out="render/")
    >>> accentuated = fmi_tf.render(
    ...     net, fmi_tf.objectives.channel("block4_conv1", 7)
    ...     + 10.0 * fmi_tf.objectives.closeness("block2_conv1", "cat.jpg"),
    ...     init="cat.jpg", param="pixel")

  Args:
    net: a backbone (`fmi_tf.network`), or anything `fmi_tf.network` takes.
    objective: an `fmi_tf.objectives` value, a `"layer:filters"` string for
      `channel`, or a list of them (one per image).
    size: the side of the square images, pixels; with an image `init`, the
      image's longer side.
    images: how many images; default the objective's per-image targets
      (`channel(layer, range(8))`: 8), else 1.
    init: `"noise"` (mid-grey plus seeded noise) or an image to start every
      picture from (a path, an [H, W, 3] array in [0, 1], a Pillow image;
      None is the embedded photo).
    seed: image i draws its noise and transforms from (seed, i).
    batch_size: images optimised together; an objective that couples its
      batch (`diversity`, `alignment`) must fit in one.
    transforms: a list of `fmi_tf.transforms` replacing the
      parameterisation's own (`[]`: none).
    precision: the network's compute, `"float32"`, `"bfloat16"` or `"auto"`
      (see `fmi_tf.nets.precision`).
    relu_gradient: `"redirected"` lets the objective's rectifiers pass a
      gradient while they are off (`feature_model.feature_model`), or
      `"exact"`.
    config: the optimiser settings to start from (default
      `OptimizerConfig(param="fourier")`).
    logdir: a TensorBoard log directory, or None.
    progress: show a progress bar (a widget in a notebook).
    spectrum: with `param="maco"`, a dataset (`"folder:PATH"`, `"dtd:PATH"`,
      anything `fmi_tf.natural_spectrum` takes) whose mean spectrum MaCo
      keeps instead of a 1/f power law.
    out: a directory to write the result to (`RenderResult.save`), checked
      before anything is computed; or None.
    **settings: fields of `OptimizerConfig`: `steps`, `learning_rate`,
      `param` (`"pixel"`, `"fourier"`, `"maco"` or a `ParamFactory`),
      `method` (`"adam"`, `"sgd"` or an `optimizers.Optimizer`), ...

  Returns:
    The images, one record per image, and their attribution maps.

  Raises:
    FmiError: for a bad objective, layer, image or setting (nothing is
      computed then).
  """
  backbone = networks.network(net)
  objective = objectives.as_objective(objective)
  config = settings_lib.apply(
      config, settings, optimization.OptimizerConfig(param=DEFAULT_PARAM))
  count = _image_count(objective, images)
  optimization.check_seed(seed)
  batch_size = limits.check_count("batch_size", batch_size,
                                  high=limits.MAX_BATCH)
  if objective.couples_batch and count > batch_size:
    raise errors.ArgumentError(
        f"{objective!r} compares the images of a batch: render the "
        f"{count} images in one (batch_size >= {count})")
  if spectrum is not None:
    config = dataclasses.replace(
        config, param=_with_dataset_spectrum(config.param, spectrum))
  if transforms is not None:
    config = dataclasses.replace(
        config, param=_with_transforms(config.param, transforms))
  if out is not None:
    outputs.check_creatable(out)
  writer = summaries.SummaryWriter(logdir)
  renderer = renderer_lib.Renderer(
      backbone, objective, config, writer=writer,
      relu_gradient=relu_gradient, precision=precision)
  start = _start_images(init, size)
  renderer.check(start.shape, min(count, batch_size))
  references = {ref.key: renderer.features(_reference_image(
      ref, start.shape))[ref.layer] for ref in objective.references}
  run = {"objective": repr(objective), "network": networks.record(backbone),
         "size": list(start.shape[:2]), "init": _init_record(init),
         "parameters": {**dataclasses.asdict(config),
                        "param": parameterization.name(config.param),
                        "method": config.method_name,
                        "precision": precision_lib.resolve(precision).name,
                        "relu_gradient": relu_gradient,
                        "batch_size": batch_size}}
  images, attribution, records = [], [], []
  with progress_lib.Progress(count * config.steps, unit=IMAGE_STEP,
                             description="render",
                             enabled=progress) as bar:
    for chunk, result in renderer.run(
        range(count), batch_size,
        initial=lambda chunk: _initial(init, start, [(seed, i)
                                                      for i in chunk]),
        targets=lambda chunk: references,
        seeds=lambda chunk: [(seed, i) for i in chunk],
        on_step=lambda status, steps: bar.advance(steps, status),
        label=lambda i: f"image_{i:04d}"):
      terms = objective.terms(
          renderer.features(result.images), result.images,
          {**references, objective_lib.ELEMENT: np.asarray(chunk, np.int32)})
      for row, index in enumerate(chunk):
        records.append({
            "index": index, "loss": float(result.losses[row]),
            "terms": {name: float(value[row])
                      for name, value in terms.items()},
            "steps": int(result.steps[row]), "seed": [seed, index], **run})
      images.append(result.images)
      attribution.append(result.attribution)
  writer.flush()
  attribution = np.concatenate(attribution)
  peak = np.max(attribution, axis=(1, 2), keepdims=True)
  result = RenderResult(
      np.concatenate(images), tuple(records),
      np.divide(attribution, peak, out=np.zeros_like(attribution),
                where=peak > 0).astype(np.float32))
  if out is not None:
    result.save(out)
  return result


def _with_dataset_spectrum(param, dataset) -> parameterization.ParamFactory:
  """MaCo keeping `dataset`'s mean spectrum; `param` must be `"maco"`."""
  if not isinstance(param, str) or param != "maco":
    raise errors.ArgumentError(
        "spectrum needs param='maco' (MaCo keeps a spectrum's magnitude), "
        f"not param={errors.shown(parameterization.name(param))}")
  return parameterization.maco(
      lambda height, width: dataset_spectrum.natural_spectrum(
          dataset, height, width))


def _with_transforms(param, transforms: list) -> parameterization.ParamFactory:
  """The parameterisation `param` with `transforms` instead of its own."""
  if not isinstance(transforms, (list, tuple)) or not all(
      callable(transform) for transform in transforms):
    raise errors.ArgumentError(
        "transforms must be a list of functions (images, seeds, steps) -> "
        f"images (see fmi_tf.transforms), not {errors.shown(transforms)}")

  def factory(height: int, width: int) -> parameterization.Parameterization:
    base = parameterization.make(param, height, width)
    return parameterization.Parameterization(base.spatial, base.color,
                                             transforms)

  factory.__name__ = parameterization.name(param)
  return factory


def _start_images(init: Any, size: int) -> np.ndarray:
  """The [H, W, 3] image the run starts from (noise: its grey shape)."""
  size = limits.check_count("size", size, high=limits.MAX_SIZE)
  if isinstance(init, str) and init == "noise":
    return np.full((size, size, 3), 0.5, np.float32)
  return image_io.as_rgb(init, size, "init")


def _initial(init: Any, start: np.ndarray, seeds) -> tf.Tensor:
  if isinstance(init, str) and init == "noise":
    return composition.grey_noise_images(start.shape, seeds, NOISE_STD)
  return tf.repeat(tf.constant(start)[None], len(seeds), axis=0)


def _init_record(init: Any) -> str:
  if isinstance(init, str):
    return init
  return "default:chelsea" if init is None else "in-memory image"


def _reference_image(reference: objective_lib.Reference,
                     shape: tuple[int, ...]) -> np.ndarray:
  """A closeness term's image, at the run's image shape."""
  image = image_io.as_rgb(reference.image, max(shape[:2]))
  if image.shape != shape:
    raise errors.ImageError(
        f"the image compared at {reference.layer} is "
        f"{image.shape[1]}x{image.shape[0]} at this size, but the pictures "
        f"are {shape[1]}x{shape[0]}: start from an image of its shape "
        "(init=) or give one of the pictures' shape")
  return image[None]

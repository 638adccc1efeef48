"""The style stage's API, `fmi_tf.stylize` and `fmi_tf.reallocate`.

The Python API's entries to style: transfer a style image's texture
statistics onto a content image (or synthesise the texture alone), and
redistribute an image's feature-map energies (at random, or by rank toward a
style) and invert the codes. Both return plain values with a picture that a
notebook draws inline, and write their files given `out=`: `fmi-stylize` and
`fmi-reallocate` are each one call of them.
"""

import dataclasses
import os
from typing import Any, Iterable, Optional

import numpy as np
from PIL import Image

from fmi_tf import limits
from fmi_tf.io import display
from fmi_tf.io import grid
from fmi_tf.io import images as image_io
from fmi_tf.io import outputs
from fmi_tf.io import progress as progress_lib
from fmi_tf.io import summaries
from fmi_tf.nets import networks
from fmi_tf.optim import chunking
from fmi_tf.optim import objectives
from fmi_tf.optim import settings as settings_lib
from fmi_tf.style import reallocation
from fmi_tf.style import stylization

DEFAULT_STYLE_SIZE = 256
DEFAULT_REALLOCATION_SIZE = 128


@dataclasses.dataclass(frozen=True)
class Stylized:
  """A style transfer or texture synthesis.

  Attributes:
    image: [H, W, 3] float32 RGB in [0, 1].
    initial_losses: {term: value} of the starting image.
    losses: {term: value} of the result, `loss/total` among them.
    steps: optimisation steps taken.
  """
  image: np.ndarray
  initial_losses: dict
  losses: dict
  steps: int

  def show(self) -> None:
    """Draws the image inline in a notebook (else in a matplotlib window)."""
    display.show(Image.fromarray(image_io.to_uint8(self.image)))

  def _repr_png_(self) -> bytes:
    return display.png_bytes(Image.fromarray(image_io.to_uint8(self.image)))


def stylize(net: Any, style: Any, content: Any = None, *,
            method: Optional[str] = None, size: int = DEFAULT_STYLE_SIZE,
            objective: Optional[objectives.Objective] = None,
            config: Optional[stylization.StyleConfig] = None,
            logdir: Optional[str] = None, progress: bool = True,
            out: Optional[str] = None, **settings) -> Stylized:
  """Paints `content` in the style of `style`, or synthesises its texture.

  Examples:
    >>> net = fmi_tf.network("vgg19", weights="vgg19_imagenet_notop.h5")
    >>> styled = fmi_tf.stylize(net, content="cat.jpg", style="crystal.jpg",
    ...                         method="energy")
    >>> styled.show()
    >>> texture = fmi_tf.stylize(net, style="crystal.jpg", steps=200,
    ...                          out="texture.png")

  Args:
    net: a backbone (`fmi_tf.network`), or anything `fmi_tf.network` takes.
    style: the style image: a path, an [H, W, 3] array or a Pillow image.
    content: the content image, or None to synthesise the style's texture.
    method: `"energy"` (the per-filter energies) or `"gram"`; default: the
      config's (`"energy"`).
    size: cap on the images' longer side, pixels.
    objective: a user's own objective added to the style (and content)
      terms; its layers join the feature model.
    config: the settings to start from (default `StyleConfig()`).
    logdir: a TensorBoard log directory, or None.
    progress: show a progress bar.
    out: an image file to write the result to (`.png`, or `.jpg` / `.jpeg`
      for JPEG), checked before the run; None writes nothing.
    **settings: fields of `StyleConfig` or of its `OptimizerConfig`
      (`steps=200`, `style_weight=20.0`, `param="fourier"`, ...).

  Returns:
    The image and its losses.

  Raises:
    FmiError: for a bad image, layer or setting.
  """
  backbone = networks.network(net)
  config = settings_lib.apply(config, _given(method=method, **settings),
                              stylization.StyleConfig())
  if out is not None:
    outputs.check_image_file(out)
  style_rgb = _capped(style, size, "style")
  content_rgb = None if content is None else _capped(content, size,
                                                      "content")
  writer = summaries.SummaryWriter(logdir)
  stylizer = stylization.Stylizer(backbone, config, writer, objective)
  stylizer.check_images(style_rgb, content_rgb)
  with progress_lib.Progress(config.optimizer.steps, unit="step",
                             description=config.method,
                             enabled=progress) as bar:
    result = stylizer.stylize(style_rgb, content_rgb,
                              chunking.advancing(bar))
  if out is not None:
    outputs.write_image(outputs.prepare_file(out), result.image)
  writer.flush()
  return Stylized(result.image, result.initial_losses, result.losses,
                  result.steps)


@dataclasses.dataclass(frozen=True)
class Reallocated:
  """Images whose feature-map energies were redistributed.

  Attributes:
    image: the [H, W, 3] image whose energies were reallocated.
    seeds: one seed per result.
    images: [len(seeds), H, W, 3] float32 RGB in [0, 1].
    layers: the layers reallocated.
    mode: `"random"` or `"rank"`.
  """
  image: np.ndarray
  seeds: tuple[int, ...]
  images: np.ndarray
  layers: tuple[str, ...]
  mode: str

  def grid(self) -> Image.Image:
    """The image and every result, labelled with their seeds."""
    return grid.labelled_grid(
        [self.image, *self.images],
        ["image", *(f"seed {s}" for s in self.seeds)],
        f"{self.mode} reallocation at {', '.join(self.layers)}")

  def show(self) -> None:
    """Draws the grid inline in a notebook (else in a matplotlib window)."""
    display.show(self.grid())

  def write(self, out: str) -> None:
    """Writes `seed_<seed:04d>.png` for every seed and `grid.png` to the
    directory `out`; a directory it made is removed if writing fails."""
    with outputs.removed_on_failure(out):
      directory = outputs.prepare_directory(out)
      for seed, picture in zip(self.seeds, self.images):
        outputs.write_png(os.path.join(directory, f"seed_{seed:04d}.png"),
                          picture)
      outputs.write_png(os.path.join(directory, "grid.png"), self.grid())

  def _repr_png_(self) -> bytes:
    return display.png_bytes(self.grid())


def reallocate(net: Any, image: Any = None,
               seeds: "str | Iterable[int]" = range(4), *,
               mode: Optional[str] = None, style: Any = None,
               size: int = DEFAULT_REALLOCATION_SIZE,
               objective: Optional[objectives.Objective] = None,
               config: Optional[reallocation.ReallocationConfig] = None,
               logdir: Optional[str] = None, progress: bool = True,
               out: Optional[str] = None, **settings) -> Reallocated:
  """Redistributes an image's energies over its maps and inverts the codes.

  Examples:
    >>> net = fmi_tf.network("vgg19", weights="vgg19_imagenet_notop.h5")
    >>> fmi_tf.reallocate(net, "cat.jpg", seeds=range(8)).show()
    >>> fmi_tf.reallocate(net, "cat.jpg", seeds=[0], mode="rank",
    ...                   style="crystal.jpg", out="reallocated")

  Args:
    net: a backbone (`fmi_tf.network`), or anything `fmi_tf.network` takes.
    image: whose energies are reallocated (as for `fmi_tf.invert`).
    seeds: seeds, or text such as `"0:8"`; one result per seed.
    mode: `"random"` (Dirichlet shares) or `"rank"` (the style's energies
      given to the maps in the order of the image's); default: the config's
      (`"random"`).
    style: the style image, for `rank` only.
    size: the longer side of the images, pixels.
    objective: a user's own objective added to the code distances.
    config: the settings to start from (default `ReallocationConfig()`).
    logdir: a TensorBoard log directory, or None.
    progress: show a progress bar.
    out: a directory to write the results to (`Reallocated.write`: one
      `seed_<seed:04d>.png` per seed and `grid.png`), checked before the
      run; None writes nothing.
    **settings: fields of `ReallocationConfig` or of its `OptimizerConfig`
      (`layers=("block1_conv1",)`, `steps=100`, `concentration=0.5`, ...).

  Returns:
    The image, the seeds and one result per seed.

  Raises:
    FmiError: for a bad image, seed, layer or setting.
  """
  backbone = networks.network(net)
  config = settings_lib.apply(config, _given(mode=mode, **settings),
                              reallocation.ReallocationConfig())
  seed_list = (reallocation.parse_seeds(seeds) if isinstance(seeds, str)
               else limits.check_counts("seeds", seeds, 0, limits.MAX_SEED))
  if out is not None:
    outputs.check_creatable(out)
  rgb = image_io.as_rgb(image, size)
  reallocation.check_style(config.mode, style is not None)
  style_rgb = None if style is None else image_io.as_rgb(style, size,
                                                         "style")
  writer = summaries.SummaryWriter(logdir)
  reallocator = reallocation.Reallocator(backbone, config, objective)
  reallocator.check_images(rgb, style_rgb)
  with progress_lib.Progress(reallocator.total_steps(len(seed_list)),
                             unit="step", description=config.mode,
                             enabled=progress) as bar:
    counter = chunking.advancing(bar)

    def on_progress(step, seeds, results, losses):
      counter(step)
      writer.scalars(step, {f"loss/seed_{seed:04d}": loss
                            for seed, loss in zip(seeds, losses)})
      writer.image_grid(step, "image/results", results)

    result = reallocator.invert(rgb, seed_list, style_rgb, on_progress)
  reallocated = Reallocated(rgb, tuple(seed_list), result.images,
                            tuple(reallocator.layers), config.mode)
  if out is not None:
    reallocated.write(out)
  writer.flush()
  return reallocated


def _given(**settings) -> dict:
  """The settings whose value is not None."""
  return {k: v for k, v in settings.items() if v is not None}


def _capped(image: Any, size: int, what: str) -> np.ndarray:
  """The image with its longer side capped at `size` (never enlarged)."""
  size = limits.check_count("image size", size, 1, limits.MAX_SIZE)
  rgb = image_io.as_rgb(image, what=what)
  if max(rgb.shape[:2]) > size:
    rgb = image_io.resize_longer_side(rgb, size)
  return rgb



"""`fmi_tf.invert`: the texture primitives of chosen filters, as plain values.

The Python API's entry to feature-map inversion: a network, a layer, some
filters and an image in; the inverted images and one record per filter out
(`InversionResult`), with a labelled grid that a notebook draws inline;
with `out=`, also one PNG and one JSON record per filter in a directory
(`files`), which is what `fmi-invert` writes.
"""

import contextlib
import dataclasses
import hashlib
import itertools
import numbers
from typing import Any, Iterable, Optional

import numpy as np
from PIL import Image

from fmi_tf import errors
from fmi_tf import limits
from fmi_tf.inversion import filters as filters_lib
from fmi_tf.inversion import defaults
from fmi_tf.inversion import files
from fmi_tf.io import display
from fmi_tf.io import grid
from fmi_tf.io import images as image_io
from fmi_tf.io import outputs
from fmi_tf.io import progress as progress_lib
from fmi_tf.io import records as records_lib
from fmi_tf.io import summaries
from fmi_tf.nets import feature_model
from fmi_tf.nets import networks
from fmi_tf.optim import objectives

@dataclasses.dataclass(frozen=True)
class InversionResult:
  """The inversions of some filters of one layer.

  Attributes:
    layer: the network's name of the layer.
    images: [N, H, W, 3] float32 RGB in [0, 1], one per filter.
    records: one record per filter, in the same order (`FilterRecord`: the
      filter, loss, steps, energy shares and gain, whether it was
      activated, and how the run was made); `to_dict` gives the JSON
      `fmi-invert` writes.
  """
  layer: str
  images: np.ndarray
  records: tuple[records_lib.FilterRecord, ...]

  @property
  def filters(self) -> list[int]:
    """The filter indices, in order."""
    return [record.filter for record in self.records]

  def grid(self) -> Image.Image:
    """The images in a grid labelled with their filters (and `inactive`)."""
    labels = [f"{r.filter}" + (" inactive" if r.inactive else "")
              for r in self.records]
    return grid.labelled_grid(list(self.images), labels,
                              f"{self.layer}: {len(self.records)} filters")

  def show(self) -> None:
    """Draws the grid inline in a notebook (else in a matplotlib window)."""
    display.show(self.grid())

  def _repr_png_(self) -> bytes:
    return display.png_bytes(self.grid())


def _filter_list(filters: "str | int | Iterable[int]",
                 num_filters: int) -> list[int]:
  """The filter indices asked for, each checked, at most one per filter of
  the layer (read lazily: `range(10**12)` is refused after that many)."""
  if isinstance(filters, str):
    return filters_lib.parse_filters(filters, num_filters)
  if isinstance(filters, numbers.Integral) and not isinstance(filters, bool):
    filters = [filters]
  try:
    ids = list(itertools.islice(iter(filters), num_filters + 1))
  except TypeError:
    raise errors.ArgumentError(
        "filters must be an index, indices or text such as '0:64', not "
        f"{filters!r}") from None
  if not ids:
    raise errors.ArgumentError("give at least one filter")
  if len(ids) > num_filters:
    raise errors.ArgumentError(
        f"more filters asked for than the layer's {num_filters}")
  for k in ids:
    limits.check_count("a filter index", k, 0, limits.MAX_CHANNELS)
    filters_lib.check_filter(k, num_filters)
  return [int(k) for k in ids]


def invert(net: "feature_model.Backbone | str | Any",
           layer: str,
           filters: "str | int | Iterable[int]" = range(8),
           image: Any = None,
           size: Optional[int] = None,
           *,
           square: Optional[bool] = None,
           objective: Optional[objectives.Objective] = None,
           config: Optional[filters_lib.InversionConfig] = None,
           out: Optional[str] = None,
           logdir: Optional[str] = None,
           progress: bool = True,
           **settings) -> InversionResult:
  """Inverts the enhanced code of each filter: its texture primitive.

  Examples:
    >>> net = fmi_tf.network("vgg19", weights="vgg19_imagenet_notop.h5")
    >>> res = fmi_tf.invert(net, "relu4_1", filters=range(16),
    ...                     image="cat.jpg", steps=60, param="fourier")
    >>> res.images.shape, res.records[0].energy_share_gain
    >>> res.show()
    >>> fmi_tf.invert(net, "relu2_1", "0:8", out="out/")  # PNGs and records

  Args:
    net: a backbone (`fmi_tf.network`), or anything `fmi_tf.network`
      takes (a name, a .keras path, a `keras.Model`).
    layer: the layer whose filters are inverted (VGG19 also `relu4_1`,
      `conv4_1`).
    filters: indices, one index, or text such as `"0:64"` or `"all"`.
    image: whose code is modified: a path, an [H, W, 3] array, a Pillow
      image, or None for the embedded photo.
    size: the side of the image, pixels; None: the network's (128, or
      224 for keras.applications networks other than VGG; `defaults`).
    square: cut the photo to a central square of side `size`; False keeps
      its shape (`size` is then its longer side); None: the network's
      (square).
    objective: a user's own objective added to the filter's code distance
      (see `fmi_tf.optim.objectives`); its layers join the feature model.
    config: the settings to start from (default `InversionConfig()`).
    out: a directory (created) to write each filter's image and record to
      as its batch finishes, `<layer>_<filter:04d>.png` and `.json`
      (`files`), or None; if the run fails, the directories it made are
      removed again unless something was written into them.
    logdir: a TensorBoard log directory, or None.
    progress: show a progress bar (a widget in a notebook).
    **settings: fields of `InversionConfig` or of its `OptimizerConfig`
      (`steps=60`, `mode="gain"`, `alpha=5.0`, `precision="float32"`,
      `param="fourier"` or a `ParamFactory`, ...), replacing the config's.
      Settings left unset (None) are the network's, then the
      parameterisation's (`defaults.resolve`: `param="fourier"` on
      keras.applications networks other than VGG, `tv_weight=2.0` with
      `fourier`).

  Returns:
    The images and one record per filter.

  Raises:
    FmiError: for a bad layer, filter, image or setting, or an `out` that
      cannot be created.
  """
  backbone = networks.network(net)
  config, size, square = defaults.resolve(backbone, size, square, config,
                                         **settings)
  rgb = image_io.fit_photo(image, size, square)
  writer = summaries.SummaryWriter(logdir)
  inverter = filters_lib.FilterInverter(backbone, layer, config, writer,
                                        objective)
  ids = _filter_list(filters, inverter.num_filters)
  inverter.check_image(rgb)
  run = run_record(rgb, image, size, square, config).at_layer(
      **inverter.layer_record)
  if out is not None:
    outputs.check_creatable(out)
  with contextlib.ExitStack() as written:
    if out is not None:
      written.enter_context(outputs.removed_on_failure(out))
      out = outputs.prepare_directory(out)
    with progress_lib.Progress(len(ids) * inverter.steps_per_filter,
                               unit=progress_lib.FILTER_STEP,
                               description=inverter.layer,
                               enabled=progress) as bar:
      results = []
      for result in inverter.invert(
          rgb, ids,
          on_step=lambda status, steps: bar.advance(steps, status)):
        if out is not None:
          files.save_result(out, result, run)
        results.append(result)
  writer.flush()
  return InversionResult(
      inverter.layer, np.stack([r.image for r in results]),
      tuple(files.filter_record(r, run) for r in results))


def image_digest(rgb: np.ndarray) -> str:
  """The SHA-256 of an [H, W, 3] float32 image as inverted (after
  resizing), with its shape: equal exactly for the same pixels."""
  array = np.ascontiguousarray(rgb, np.float32)
  digest = hashlib.sha256(repr(array.shape).encode("ascii"))
  digest.update(array.tobytes())
  return digest.hexdigest()


def run_record(rgb: np.ndarray, image: Any, size: int, square: bool,
               config: filters_lib.InversionConfig) -> records_lib.RunRecord:
  """What every record of a run carries beside the layer's
  (`filters.layer_record`, added with `RunRecord.at_layer`): the image (how
  it was given, and the digest of the pixels inverted, `image_digest`), its
  size and shape and every setting."""
  return records_lib.RunRecord(
      image=image if isinstance(image, str) else (
          "default:chelsea" if image is None else "in-memory image"),
      image_sha256=image_digest(rgb), size=size, square=square,
      mode=config.mode, parameters=config.record())


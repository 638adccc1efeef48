"""Reading images into RGB float arrays in [0, 1], and the embedded default.

Any image Pillow reads is accepted: greyscale, RGBA and palette images are
converted to RGB, 16-bit images are scaled to [0, 1], and an EXIF
orientation (a phone photo taken sideways) is applied, so the image is seen
upright. The longer side is resized to the requested size. Missing,
unreadable, truncated or non-image files raise `ImageError` naming the file,
and so does an image of more than `MAX_PIXELS` pixels: its size is read from
the file's header, and it is refused before anything is decoded (a small
file can declare a huge image, a decompression bomb).
"""

import io
import os
from typing import Optional, Union
import warnings

import numpy as np
from PIL import Image
from PIL import ImageOps

from fmi_tf import errors
from fmi_tf import limits

# Chelsea the cat, by Stefan van der Walt, CC0 (shipped with scikit-image).
DEFAULT_IMAGE = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data",
                             "chelsea.jpg")

# The most pixels an image may have (8192 x 8192; a 48-megapixel photo
# passes): 768 MB as float RGB. Below Pillow's own bomb limit.
MAX_PIXELS = 8192 * 8192
# Images over MAX_PIXELS are refused here, so Pillow's warning about those
# over its own, higher limit would only add a line to the refusal.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
# EXIF's orientation tag; 1 is upright, 2-8 flips and quarter turns.
_ORIENTATION_TAG = 0x0112


def check_pixels(width: int, height: int, name: str) -> None:
  """Raises ImageError if a width x height image exceeds `MAX_PIXELS`."""
  if width * height > MAX_PIXELS:
    raise errors.ImageError(
        f"image {name} is {width} x {height} pixels, more than the limit of "
        f"{MAX_PIXELS} ({int(MAX_PIXELS ** 0.5)} x {int(MAX_PIXELS ** 0.5)})")


def header(source: Union[str, bytes], name: Optional[str] = None
           ) -> tuple[int, int, int]:
  """Reads an image's size and EXIF orientation, decoding no pixel.

  Args:
    source: a file path, or the file's bytes.
    name: what the messages call the image (default: the path).

  Returns:
    (width, height, orientation) as stored, orientation 1 (upright) to 8,
    1 when the file's header has none (EXIF that only a decode would reach,
    after a PNG's pixels, is not looked for).

  Raises:
    ImageError: for a file that is no image, or exceeds `MAX_PIXELS`.
  """
  name = name or (source if isinstance(source, str) else "in memory")
  opened = io.BytesIO(source) if isinstance(source, bytes) else source
  try:
    with Image.open(opened) as image:
      width, height = image.size
      check_pixels(width, height, name)
      # EXIF read at open (a JPEG's APP1 segment), never by decoding.
      orientation = (image.getexif().get(_ORIENTATION_TAG, 1)
                     if "exif" in image.info else 1)
  except Image.DecompressionBombError as e:
    raise errors.ImageError(
        f"image {name} has more than the limit of {MAX_PIXELS} pixels: "
        f"{e}") from None
  except (OSError, SyntaxError, ValueError) as e:
    raise errors.ImageError(f"cannot read image {name}: {e}") from None
  return width, height, (orientation if orientation in range(1, 9) else 1)


def load_image(path: Optional[str], size: Optional[int] = None,
               what: str = "image") -> np.ndarray:
  """Reads an image as float32 RGB in [0, 1].

  Args:
    path: the image file, or None for the embedded default photo.
    size: if given, the longer side is resized to this many pixels.
    what: the argument's name, for the messages.

  Returns:
    Array [H, W, 3], float32, in [0, 1].

  Raises:
    ImageError: if the file is missing, unreadable, truncated or no image.
    ArgumentError: if size is no integer from 1 to `limits.MAX_SIZE`.
  """
  path = path or DEFAULT_IMAGE
  if size is not None:
    size = limits.check_count("image size", size, 1, limits.MAX_SIZE)
  if not os.path.isfile(path):
    raise errors.ImageError(f"{what} not found: {path}")
  header(path)  # Refuses a bomb before Pillow decodes it.
  try:
    with Image.open(path) as image:
      image.load()
      rgb = _to_rgb_float(ImageOps.exif_transpose(image))
  except (OSError, SyntaxError, ValueError) as e:
    raise errors.ImageError(f"cannot read image {path}: {e}") from None
  if size is not None:
    rgb = resize_longer_side(rgb, size)
  return rgb


def as_rgb(image: "str | np.ndarray | Image.Image | None",
           size: Optional[int] = None, what: str = "image") -> np.ndarray:
  """An image given any way the Python API takes one, as float32 RGB.

  Args:
    image: a file path, None for the embedded photo, a Pillow image, or an
      array [H, W, 3] by the rule of `array_rgb` (uint8, or floats in
      [0, 1]).
    size: if given, the longer side is resized to this many pixels.
    what: the argument's name, for the messages (`style`, `init`, ...).

  Returns:
    Array [H, W, 3], float32, in [0, 1].

  Raises:
    ImageError: for a file that cannot be read, or an array outside the
      rule of `array_rgb`.
    ArgumentError: if size is no integer from 1 to `limits.MAX_SIZE`.
  """
  if image is None or isinstance(image, (str, os.PathLike)):
    return load_image(os.fspath(image) if image is not None else None, size,
                      what)
  if isinstance(image, Image.Image):
    check_pixels(*image.size, "given")
    rgb = _to_rgb_float(ImageOps.exif_transpose(image))
  else:
    rgb = array_rgb(image, what)
  if size is not None:
    rgb = resize_longer_side(rgb, limits.check_count("image size", size, 1,
                                                     limits.MAX_SIZE))
  return rgb


def array_rgb(image, what: str = "image") -> np.ndarray:
  """An image array by the one rule for arrays, as float32 RGB in [0, 1].

  The rule: an array [H, W, 3] (at most `MAX_PIXELS` pixels) of dtype uint8
  holds 0 to 255; of a float dtype, finite values in [0, 1]. Any other
  dtype (int64, uint16, bool, ...) is ambiguous (0 to 255, or 0 to 65535?)
  and refused, as is a float array with a value outside [0, 1] (an image of
  0 to 255 given as floats would otherwise be white), NaN or an infinity.

  Examples:
    >>> array_rgb(np.full((2, 2, 3), 255, np.uint8)).max()
    1.0

  Args:
    image: an array, or nested lists, of [H, W, 3].
    what: the argument's name, for the messages.

  Raises:
    ImageError: for any array outside the rule, saying what to give, and
      for anything that is no array (a number, a dict, a generator...).
  """
  if not (isinstance(image, (np.ndarray, list, tuple))
          or hasattr(image, "__array__")):
    raise errors.ImageError(
        f"{what} must be a file path, None, a Pillow image or an array "
        f"[H, W, 3], not {errors.shown(image)}")
  try:
    array = np.asarray(image)
  except (TypeError, ValueError) as e:
    raise errors.ImageError(f"{what}: cannot read an image array from "
                            f"{type(image).__name__}: {e}") from None
  if array.ndim != 3 or array.shape[-1] != 3 or 0 in array.shape:
    raise errors.ImageError(
        f"{what}: an image array must be [H, W, 3], not "
        f"{list(array.shape)}")
  check_pixels(array.shape[1], array.shape[0], f"{what} given")
  if array.dtype == np.uint8:
    return array.astype(np.float32) / 255.0
  if not np.issubdtype(array.dtype, np.floating):
    raise errors.ImageError(
        f"{what}: an image array of dtype {array.dtype} is ambiguous (0 to "
        "255, or 0 to 65535?): give uint8 in [0, 255] or floats in [0, 1]")
  if not np.isfinite(array).all():
    raise errors.ImageError(
        f"{what}: a float image array must hold finite values in [0, 1]; "
        "this one holds NaN or an infinity")
  low, high = float(array.min()), float(array.max())
  if low < 0 or high > 1:
    raise errors.ImageError(
        f"{what}: a float image array must hold values in [0, 1], not "
        f"{low:.4g} to {high:.4g} (divide 0-255 values by 255, or give "
        "uint8)")
  return array.astype(np.float32)


def _to_rgb_float(image: Image.Image) -> np.ndarray:
  """Converts any Pillow image mode to float32 RGB in [0, 1]."""
  if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
    grey = np.asarray(image, dtype=np.float32)
    peak = 65535.0 if image.mode.startswith("I;16") or grey.max() > 255 else 255.0
    return np.repeat(np.clip(grey / peak, 0, 1)[..., None], 3, axis=-1)
  if image.mode == "F":
    grey = np.clip(np.asarray(image, dtype=np.float32), 0, 1)
    return np.repeat(grey[..., None], 3, axis=-1)
  if image.mode in ("RGBA", "LA", "PA") or (
      image.mode == "P" and "transparency" in image.info):
    image = image.convert("RGBA")
    background = Image.new("RGBA", image.size, (255, 255, 255, 255))
    image = Image.alpha_composite(background, image)
  return np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0


def resize_longer_side(rgb: np.ndarray, size: int) -> np.ndarray:
  """Resizes an [H, W, 3] float image so that its longer side is `size`."""
  height, width = rgb.shape[:2]
  scale = size / max(height, width)
  new_size = (max(1, round(width * scale)), max(1, round(height * scale)))
  if new_size == (width, height):
    return rgb
  channels = [
      np.asarray(Image.fromarray(rgb[..., c]).resize(new_size, Image.BICUBIC))
      for c in range(3)
  ]
  return np.clip(np.stack(channels, axis=-1), 0, 1).astype(np.float32)


def fit_photo(image: "str | np.ndarray | Image.Image | None", size: int,
              square: bool, what: str = "image") -> np.ndarray:
  """The photo an inversion modifies, from anything `as_rgb` takes.

  Args:
    image: the photo (None: the embedded one).
    size: its side in pixels.
    square: scale it to cover a `size` square and cut the centre; else
      resize its longer side to `size`, keeping its shape.
    what: the argument's name, for errors.

  Returns:
    Array [H, W, 3], float32, in [0, 1].
  """
  size = limits.check_count("image size", size, 1, limits.MAX_SIZE)
  if square:
    return cover_and_crop(as_rgb(image, None, what), (size, size))
  return as_rgb(image, size, what)


def cover_and_crop(rgb: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
  """Scales an image to cover `shape`'s height and width; crops the centre."""
  height, width = shape[:2]
  scale = max(height / rgb.shape[0], width / rgb.shape[1])
  covered = resize_longer_side(rgb, round(max(rgb.shape[:2]) * scale))
  top = (covered.shape[0] - height) // 2
  left = (covered.shape[1] - width) // 2
  return covered[top:top + height, left:left + width]


def to_uint8(rgb: np.ndarray) -> np.ndarray:
  """Converts float RGB in [0, 1] to uint8, rounding."""
  return (np.clip(rgb, 0, 1) * 255.0 + 0.5).astype(np.uint8)

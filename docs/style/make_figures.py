r"""Makes the style figures of the manual (docs/style.md) from the tools.

Usage (from the repository root, real weights in $FMI_VGG19_WEIGHTS):
  python docs/style/make_figures.py --dtd10=/path/to/dtd10

Writes, under docs/style/: the style image, transfer.png (content | style |
energy | gram), synthesis.png (style | energy | gram textures), the grids
of fmi-reallocate in random and rank mode at its default layers, and the
same at relu1_1 ... relu5_1 (`reallocate_<mode>_deep.png`). Figures are
stored as 128-colour PNGs to keep them small.
"""

import os
import subprocess
import tempfile

from absl import app
from absl import flags
import numpy as np
from PIL import Image

from fmi_tf.io import grid
from fmi_tf.io import images

_DTD10 = flags.DEFINE_string("dtd10", None, "The dtd10 directory.",
                             required=True)
_STYLE = flags.DEFINE_string("style", "crystalline/crystalline_0102.jpg",
                             "Style image, relative to --dtd10.")
_SIZE = flags.DEFINE_integer("size", 256, "Longer side of the images.")
_PARTS = flags.DEFINE_multi_enum(
    "part", ["transfer", "reallocation", "deep_reallocation"],
    ["transfer", "reallocation", "deep_reallocation"], "Figures to make.")

_DEEP = "relu1_1,relu2_1,relu3_1,relu4_1,relu5_1"
_HERE = os.path.dirname(os.path.abspath(__file__))


def _save_small(path: str, picture: Image.Image) -> None:
  picture.quantize(128, dither=Image.Dither.FLOYDSTEINBERG).save(
      path, optimize=True)


def _stylize(work: str, name: str, *args: str) -> np.ndarray:
  out = os.path.join(work, f"{name}.png")
  subprocess.run(["fmi-stylize", f"--size={_SIZE.value}", f"--out={out}",
                  *args], check=True)
  return images.load_image(out)


def _reallocate(work: str, style_path: str, suffix: str,
                layers: list[str]) -> None:
  for mode, seeds, extra in (("random", "0:8", []),
                             ("rank", "0:4", [f"--style={style_path}"])):
    out = os.path.join(work, mode + suffix)
    subprocess.run(["fmi-reallocate", f"--mode={mode}", f"--seeds={seeds}",
                    "--size=128", f"--out={out}", *extra, *layers],
                   check=True)
    _save_small(os.path.join(_HERE, f"reallocate_{mode}{suffix}.png"),
                Image.open(os.path.join(out, "grid.png")).convert("RGB"))


def _transfer(work: str, style_path: str) -> None:
  content = images.load_image(None, _SIZE.value)
  style = images.load_image(style_path)
  transfer = [_stylize(work, method, f"--content={images.DEFAULT_IMAGE}",
                       f"--style={style_path}", f"--method={method}")
              for method in ("energy", "gram")]
  textures = [_stylize(work, f"texture_{method}", f"--style={style_path}",
                       f"--method={method}", "--tv_weight=0")
              for method in ("energy", "gram")]
  _save_small(os.path.join(_HERE, "transfer.png"), grid.labelled_grid(
      [content, images.cover_and_crop(style, content.shape), *transfer],
      ["content", "style (DTD)", "energy", "gram"],
      "style transfer: content | style | energy | gram", columns=4))
  _save_small(os.path.join(_HERE, "synthesis.png"), grid.labelled_grid(
      [style, *textures], ["style (DTD)", "energy", "gram"],
      "texture synthesis from the style alone", columns=3))


def main(argv):
  del argv
  style_path = os.path.join(_HERE, "style.jpg")
  Image.fromarray(images.to_uint8(images.load_image(
      os.path.join(_DTD10.value, _STYLE.value), _SIZE.value))).save(
          style_path, quality=90)
  with tempfile.TemporaryDirectory() as work:
    if "transfer" in _PARTS.value:
      _transfer(work, style_path)
    if "reallocation" in _PARTS.value:
      _reallocate(work, style_path, "", [])
    if "deep_reallocation" in _PARTS.value:
      _reallocate(work, style_path, "_deep", [f"--layers={_DEEP}"])


if __name__ == "__main__":
  app.run(main)

r"""fmi-texture-export: SavedModels of a trained texture classifier.

Usage:
  fmi-texture-export --model_dir=run/ --export_base=exports/ \
      [--name=texture]

Writes, in TF Serving's layout, exports/<name>_encoder/<v>/ (image ->
descriptor), exports/<name>_classifier/<v>/ (descriptor -> scores) and
exports/<name>/<v>/ (image bytes -> scores, class ids, class names), each at
the next free integer version v: all three, or on any error nothing.
"""

from absl import flags

from fmi_tf.serving import export
from fmi_tf.serving import image_headers
from . import cli

_MODEL_DIR = flags.DEFINE_string(
    "model_dir", None, "The --out directory of fmi-texture-train, or the "
    "model/ directory inside it.", required=True)
_EXPORT_BASE = flags.DEFINE_string(
    "export_base", None, "Base directory of the exports.", required=True)
_NAME = flags.DEFINE_string("name", "texture", "Model name.")
_MAX_PIXELS = flags.DEFINE_integer(
    "max_pixels", image_headers.MAX_PIXELS, "The served image models refuse "
    "a request whose image declares more pixels (height x width) in its "
    "header, before decoding it.", lower_bound=1, upper_bound=2**40)


def main(argv):
  cli.no_stray_arguments(argv)
  for name, path in export.export(_MODEL_DIR.value, _EXPORT_BASE.value,
                                  _NAME.value, _MAX_PIXELS.value).items():
    print(f"{name}: {path}")


def run():
  cli.run(main)


if __name__ == "__main__":
  run()

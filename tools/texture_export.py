r"""fmi-texture-export: SavedModels of a trained texture classifier.

Usage:
  fmi-texture-export --model_dir=run/ --export_base=exports/ \
      [--name=texture]

Writes, in TF Serving's layout, exports/<name>_encoder/<v>/ (image ->
descriptor), exports/<name>_classifier/<v>/ (descriptor -> scores) and
exports/<name>/<v>/ (image bytes -> scores, class ids, class names; and
the explain signature), each at the next free integer version v: all three,
or on any error nothing; each with its TF Serving warmup requests. Then
exports/models.config and exports/batching_parameters.txt, for

  tensorflow_model_server --port=8500 --rest_api_port=8501 \
      --model_config_file=exports/models.config --enable_batching \
      --batching_parameters_file=exports/batching_parameters.txt
"""

import os

from absl import flags

from fmi_tf.serving import export
from fmi_tf.serving import image_headers
from fmi_tf.serving import server_config
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
  for name in (server_config.MODEL_CONFIG_FILE, server_config.BATCHING_FILE):
    print(os.path.join(_EXPORT_BASE.value, name))


def run():
  cli.run(main)


if __name__ == "__main__":
  run()

r"""fmi-invert: the texture primitive of chosen filters, by feature-map inversion.

Usage:
  fmi-invert --image=cat.jpg --layer=block2_conv1 --filters=0,5,9 --out=out/
  fmi-invert --model=mobilenet --weights=mobilenet_2_5_224_tf_no_top.h5 \
      --layer=conv_pw_13_relu --out=out/
  fmi-invert --model=resnet50 --list_layers

Writes out/<layer>_<filter:04d>.png and .json for every filter, as
`fmi_tf.invert(..., out=...)` does.
"""

from absl import flags

from fmi_tf import errors
from fmi_tf.inversion import invert as invert_lib
from . import cli
from . import inversion_flags
from . import model_flags

_LAYER = flags.DEFINE_string(
    "layer", None, "Layer: block2_conv1, conv2_1 or relu2_1; another "
    "network's own names (--list_layers prints them).")
_FILTERS = flags.DEFINE_string(
    "filters", "0:8", "Filters: 0,5,9 or 0:64 or all.")


def main(argv):
  cli.no_stray_arguments(argv)
  inversion_flags.resolved(model_flags.MODEL.value)  # Bad settings fail first.
  if inversion_flags.LIST_LAYERS.value:
    model_flags.print_layers(model_flags.WEIGHTS.value)
    return
  backbone = model_flags.backbone(model_flags.WEIGHTS.value)
  if not _LAYER.value:
    raise errors.ArgumentError(
        "give --layer (--list_layers prints the layers of --model)")
  invert_lib.invert(backbone, _LAYER.value, _FILTERS.value,
                    inversion_flags.IMAGE.value,
                    out=inversion_flags.out_path(),
                    logdir=inversion_flags.LOGDIR.value,
                    **inversion_flags.given())
  inversion_flags.log_settings(backbone)


def run():
  cli.run(main)


if __name__ == "__main__":
  run()

"""The --layers and --all_layers flags of fmi-atlas, fmi-atlas-beam and
fmi-dataset-examples."""

from absl import flags

from fmi_tf import errors
from fmi_tf.atlas import draw

LAYERS = flags.DEFINE_list(
    "layers", None, "Layers, comma-separated: block1_conv1,conv2_1,...")
ALL_LAYERS = flags.DEFINE_bool(
    "all_layers", False, "Every invertible layer the weights reach, instead "
    "of --layers (VGG19: all 16 convolutions, 5,504 filters, with the full "
    "weights).")


def layers():
  """The `layers` argument the flags give: a list, or `draw.ALL_LAYERS`.

  Raises:
    ArgumentError: unless exactly one of --layers and --all_layers is given.
  """
  if bool(LAYERS.value) == ALL_LAYERS.value:
    raise errors.ArgumentError("give either --layers or --all_layers")
  return draw.ALL_LAYERS if ALL_LAYERS.value else LAYERS.value

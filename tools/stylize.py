r"""fmi-stylize: style transfer or texture synthesis by energy or Gram matching.

Usage:
  fmi-stylize --content=cat.jpg --style=bricks.jpg --method=energy --out=a.png
  fmi-stylize --style=bricks.jpg --method=gram --out=texture.png

Without --content, synthesises a texture from the style's statistics alone.
--style_layer repeats: --style_layer=relu1_1=1.0 --style_layer=relu2_1=0.5.
"""

from absl import flags

from fmi_tf.optim import optimization
from fmi_tf.style import api
from fmi_tf.style import losses as style_losses
from fmi_tf.style import stylization
from . import cli
from . import model_flags
from . import param_flags

_DEFAULTS = stylization.StyleConfig()

_CONTENT = flags.DEFINE_string(
    "content", None, "Content image; omit it to synthesise a texture.")
_STYLE = flags.DEFINE_string("style", None, "Style image.", required=True)
_OUT = flags.DEFINE_string(
    "out", None, "Output image: .png, or .jpg/.jpeg for JPEG.", required=True)
_METHOD = flags.DEFINE_enum("method", _DEFAULTS.method, style_losses.METHODS,
                            "Match energy vectors or Gram matrices.")
_CONTENT_LAYER = flags.DEFINE_string(
    "content_layer", None, "Layer whose code keeps the content; default: "
    "the network's (VGG19: relu4_2).")
_STYLE_LAYER = flags.DEFINE_multi_string(
    "style_layer", [], "Style layer and weight, layer=weight; repeat the "
    "flag for each layer. Default: the network's, weight 1 each (VGG19: "
    "relu1_1 to relu5_1).")
_CONTENT_WEIGHT = flags.DEFINE_float(
    "content_weight", _DEFAULTS.content_weight, "Weight of the content term.",
    lower_bound=0)
_STYLE_WEIGHT = flags.DEFINE_float(
    "style_weight", _DEFAULTS.style_weight, "Weight of the style terms.",
    lower_bound=0)
_TV_WEIGHT = flags.DEFINE_float("tv_weight", _DEFAULTS.tv_weight,
                                "Weight of the total-variation prior.",
                                lower_bound=0)
_ENERGY_ORDER = flags.DEFINE_enum(
    "energy_order", str(_DEFAULTS.energy_order), ("1", "2"),
    "Energy of a map: 1 spatial mean, 2 root mean square.")
_STEPS = flags.DEFINE_integer("steps", _DEFAULTS.optimizer.steps,
                              "Optimisation steps.", lower_bound=1,
                              upper_bound=cli.MAX_STEPS)
_LEARNING_RATE = flags.DEFINE_float(
    "learning_rate", _DEFAULTS.optimizer.learning_rate,
    "Adam's peak step size.")
_SIZE = flags.DEFINE_integer("size", api.DEFAULT_STYLE_SIZE,
                             "Cap on the longer side, pixels.",
                             lower_bound=16, upper_bound=cli.MAX_SIZE)
_INIT = flags.DEFINE_enum("init", _DEFAULTS.init, stylization.INITS,
                          "Start from the content image or from noise.")
_SEED = flags.DEFINE_integer("seed", _DEFAULTS.seed, "Seed of the noise.",
                             lower_bound=0, upper_bound=optimization.MAX_SEED)
_LOGDIR = flags.DEFINE_string(
    "logdir", None, "TensorBoard log directory: per-term losses and the "
    "content, style and result images.")


def main(argv):
  cli.no_stray_arguments(argv)
  api.stylize(
      model_flags.backbone(model_flags.WEIGHTS.value), _STYLE.value,
      _CONTENT.value, method=_METHOD.value, size=_SIZE.value,
      logdir=_LOGDIR.value, out=_OUT.value,
      style_layers=tuple(stylization.parse_style_layer(spec)
                         for spec in _STYLE_LAYER.value),
      content_layer=_CONTENT_LAYER.value,
      content_weight=_CONTENT_WEIGHT.value, style_weight=_STYLE_WEIGHT.value,
      tv_weight=_TV_WEIGHT.value, energy_order=int(_ENERGY_ORDER.value),
      init=_INIT.value, seed=_SEED.value, steps=_STEPS.value,
      learning_rate=_LEARNING_RATE.value, param=param_flags.PARAM.value)


def run():
  cli.run(main)


if __name__ == "__main__":
  run()

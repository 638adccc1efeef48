"""Flags shared by fmi-invert, fmi-atlas and fmi-atlas-beam.

A flag given is a setting given; a flag not given leaves its setting unset,
for the library to resolve as for a Python caller (`defaults.resolve`); the
defaults the help shows are what it resolves for --model's default.
"""

from absl import flags
from absl import logging

from fmi_tf import errors
from fmi_tf.inversion import defaults
from fmi_tf.inversion import filters
from fmi_tf.inversion import modified_code
from fmi_tf.nets import feature_model
from fmi_tf.nets import networks
from fmi_tf.nets import precision
from fmi_tf.optim import optimization
from fmi_tf.optim import parameterization
from . import cli
from . import param_flags

_GENERAL = defaults.resolve(networks.DEFAULT)
_DEFAULTS = _GENERAL.config
_OPTIMIZER = _DEFAULTS.optimizer

IMAGE = flags.DEFINE_string(
    "image", None, "Image whose code is modified; default: the embedded "
    "photo of Chelsea the cat.")
OUT = flags.DEFINE_string("out", None, "Output directory (required).")
LIST_LAYERS = flags.DEFINE_bool(
    "list_layers", False, "Print the invertible layers of --model with "
    "their filter counts, and stop.")
SIZE = flags.DEFINE_integer(
    "size", _GENERAL.size, "Side of the image, pixels (its longer side with "
    "--nosquare); keras.applications networks other than VGG: "
    f"{defaults.APPLICATION.size} unless given.", lower_bound=8,
    upper_bound=cli.MAX_SIZE)
SQUARE = flags.DEFINE_bool(
    "square", _GENERAL.square, "Cut the photo to a central square; "
    "--nosquare keeps its shape.")
MODE = flags.DEFINE_enum("mode", _DEFAULTS.mode, modified_code.MODES,
                         "How the code is modified.")
ALPHA = flags.DEFINE_float("alpha", _DEFAULTS.alpha,
                           "gain mode: factor of the enhanced map.",
                           lower_bound=0)
BETA = flags.DEFINE_float("beta", _DEFAULTS.beta,
                          "gain mode: factor of the other maps.", lower_bound=0)
STEPS = flags.DEFINE_integer("steps", _OPTIMIZER.steps,
                             "Most optimisation steps per filter.",
                             lower_bound=1, upper_bound=cli.MAX_STEPS)
LEARNING_RATE = flags.DEFINE_float("learning_rate", _OPTIMIZER.learning_rate,
                                   "Adam's peak step size.")
TOLERANCE = flags.DEFINE_float(
    "tolerance", _OPTIMIZER.tolerance, "A filter stalls when its loss "
    "falls, and its energy share rises, by less than this fraction over "
    "--summary_every steps; 0 never stops early.")
PATIENCE = flags.DEFINE_integer(
    "patience", _OPTIMIZER.patience, "A filter stops after stalling in this "
    "many checks in a row.", lower_bound=1, upper_bound=cli.MAX_STEPS)
SUMMARY_EVERY = flags.DEFINE_integer(
    "summary_every", _OPTIMIZER.steps_per_call, "Steps per compiled call: "
    "TensorBoard summaries and the early-stop test happen this often.",
    lower_bound=1, upper_bound=cli.MAX_STEPS)
TV_WEIGHT = flags.DEFINE_float(
    "tv_weight", _DEFAULTS.tv_weight, "Weight of the total-variation prior; "
    "unless given, "
    f"{defaults.PARAMS['fourier']['tv_weight']:g} with --param=fourier.",
    lower_bound=0)
L2_WEIGHT = flags.DEFINE_float("l2_weight", _DEFAULTS.l2_weight,
                               "Weight of the L2 prior.", lower_bound=0)
INIT = flags.DEFINE_enum("init", _DEFAULTS.init, filters.INITS,
                         "Start from mid-grey plus noise, or the image.")
POOLING = flags.DEFINE_enum("pooling", _DEFAULTS.pooling, ("max", "avg"),
                            "Pooling of the feature model.")
PRECISION = flags.DEFINE_enum(
    "precision", _DEFAULTS.precision, precision.PRECISIONS,
    "Compute of the network: float32, bfloat16 (mixed: float32 image and "
    "optimiser state), or auto: bfloat16 where the CPU or GPU has bfloat16 "
    "arithmetic, else float32 (the choice is logged and recorded).")
SEED = flags.DEFINE_integer("seed", _DEFAULTS.seed, "Seed of the noise.",
                            lower_bound=0, upper_bound=optimization.MAX_SEED)
BATCH_SIZE = flags.DEFINE_integer(
    "batch_size", _DEFAULTS.batch_size, "Filters inverted together; bounds "
    "memory.", lower_bound=1, upper_bound=cli.MAX_BATCH)
LOGDIR = flags.DEFINE_string(
    "logdir", None, "TensorBoard log directory: per-filter losses and "
    "progress grids every --summary_every steps.")


def _flags_by_setting() -> dict:
  """The flag of each keyword setting of `fmi_tf.invert` and `draw_atlas`."""
  return {"size": SIZE, "square": SQUARE, "mode": MODE, "alpha": ALPHA,
          "beta": BETA, "tv_weight": TV_WEIGHT, "l2_weight": L2_WEIGHT,
          "init": INIT, "pooling": POOLING, "precision": PRECISION,
          "seed": SEED, "batch_size": BATCH_SIZE, "steps": STEPS,
          "learning_rate": LEARNING_RATE, "steps_per_call": SUMMARY_EVERY,
          "tolerance": TOLERANCE, "patience": PATIENCE,
          "param": param_flags.PARAM}


def given() -> dict:
  """The settings of the flags given, as keyword arguments of
  `fmi_tf.invert`, `draw_atlas` and `draw_atlas_beam` (`size`, `square`,
  and fields of `InversionConfig` and `OptimizerConfig`); the library fills
  in the others."""
  return {setting: flag.value
          for setting, flag in _flags_by_setting().items() if flag.present}


def resolved(network: "feature_model.Backbone | str") -> defaults.Resolved:
  """The settings, image size and shape of a run on `network` (a network,
  or --model's value), as the library resolves them from the flags given.

  Raises:
    ArgumentError: for a bad setting.
  """
  settings = given()
  return defaults.resolve(network, settings.pop("size", None),
                          settings.pop("square", None), **settings)


def out_path() -> str:
  """Returns --out, which is required unless --list_layers.

  Raises:
    ArgumentError: if --out is missing.
  """
  if not OUT.value:
    raise errors.ArgumentError("flag --out must have a value")
  return OUT.value


def log_settings(network: feature_model.Backbone) -> None:
  """Logs the network's compute precision and why (`auto` resolved), and the
  settings of the flags not given that the network's defaults and the
  parameterisation's set to other values than the flags' defaults."""
  config, size, square = resolved(network)
  choice = config.compute_precision
  logging.info("precision %s (%s)", choice.name, choice.reason)
  flag_of = _flags_by_setting()
  param = parameterization.name(config.optimizer.param)
  for chosen, by in (
      ({"param": param, "size": size, "square": square},
       f"for {network.network}"),
      (defaults.for_param(config.optimizer.param), f"of --param={param}")):
    shown = [_flag_text(flag_of[setting], value)
             for setting, value in chosen.items()
             if not flag_of[setting].present
             and value != flag_of[setting].default]
    if shown:
      logging.info("%s (the defaults %s)", " ".join(shown), by)


def _flag_text(flag: flags.FlagHolder, value) -> str:
  """`--flag=value` as a user types it."""
  if isinstance(value, bool):
    return f"--{'' if value else 'no'}{flag.name}"
  return f"--{flag.name}={value:g}" if isinstance(value, float) else (
      f"--{flag.name}={value}")

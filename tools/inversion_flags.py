"""Flags shared by fmi-invert and fmi-atlas, and the settings they make."""

from absl import flags
from absl import logging

from fmi_tf import errors
from fmi_tf.inversion import filters
from fmi_tf.inversion import modified_code
from fmi_tf.inversion import defaults
from fmi_tf.inversion import param_defaults
from fmi_tf.optim import optimization
from fmi_tf.nets import precision
from . import cli
from . import param_flags

_DEFAULTS = filters.InversionConfig()
_OPTIMIZER = _DEFAULTS.optimizer

IMAGE = flags.DEFINE_string(
    "image", None, "Image whose code is modified; default: the embedded "
    "photo of Chelsea the cat.")
OUT = flags.DEFINE_string("out", None, "Output directory (required).")
LIST_LAYERS = flags.DEFINE_bool(
    "list_layers", False, "Print the invertible layers of --model with "
    "their filter counts, and stop.")
SIZE = flags.DEFINE_integer(
    "size", defaults.GENERAL_SIZE, "Side of the image, pixels (its "
    "longer side with --nosquare); keras.applications networks other than "
    "VGG: "
    f"{defaults.APPLICATION_SIZE} unless given.", lower_bound=8,
    upper_bound=cli.MAX_SIZE)
SQUARE = flags.DEFINE_bool(
    "square", defaults.GENERAL.square, "Cut the photo to a central "
    "square; --nosquare keeps its shape.")
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
    f"{param_defaults.FOURIER['tv_weight']:g} with --param=fourier.",
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


def inversion_config(chosen: defaults.NetworkDefaults = (
    defaults.GENERAL)) -> filters.InversionConfig:
  """Returns the settings the flags describe; `chosen` fill in `--param`
  when it is not given, and the parameterisation's settings
  (`param_defaults`) fill in the flags not given."""
  param = (param_flags.PARAM.value if param_flags.PARAM.present
           else chosen.param)
  brought = param_defaults.of(param)
  flag_of = _flags_by_setting()

  def value(setting):
    flag = flag_of[setting]
    return (brought[setting] if setting in brought and not flag.present
            else flag.value)

  return filters.InversionConfig(
      mode=MODE.value, alpha=value("alpha"), beta=value("beta"),
      tv_weight=value("tv_weight"), l2_weight=value("l2_weight"),
      init=INIT.value, seed=SEED.value, batch_size=BATCH_SIZE.value,
      pooling=POOLING.value, precision=PRECISION.value,
      optimizer=optimization.OptimizerConfig(
          steps=value("steps"), learning_rate=value("learning_rate"),
          steps_per_call=value("steps_per_call"),
          tolerance=value("tolerance"), patience=value("patience"),
          param=param))


def _flags_by_setting() -> dict:
  """The flag of each setting a parameterisation may bring."""
  return {"alpha": ALPHA, "beta": BETA, "tv_weight": TV_WEIGHT,
          "l2_weight": L2_WEIGHT, "steps": STEPS,
          "learning_rate": LEARNING_RATE, "steps_per_call": SUMMARY_EVERY,
          "tolerance": TOLERANCE, "patience": PATIENCE}


def network_settings(network: str
                     ) -> tuple[filters.InversionConfig, int, bool]:
  """The settings, image size and shape of a run on `network` (its
  `--model` name): the flags, and the network's defaults
  (`defaults`) for --param, --size and --square where they are not
  given."""
  chosen = defaults.for_network(network)
  size = SIZE.value if SIZE.present else chosen.size
  square = SQUARE.value if SQUARE.present else chosen.square
  return inversion_config(chosen), size, square


def out_path() -> str:
  """Returns --out, which is required unless --list_layers.

  Raises:
    ArgumentError: if --out is missing.
  """
  if not OUT.value:
    raise errors.ArgumentError("flag --out must have a value")
  return OUT.value


def log_settings(config: filters.InversionConfig, size: int,
                 network: str) -> None:
  """Logs the network's compute precision and why (`auto` resolved), the
  settings the network's defaults chose for flags not given, and those the
  parameterisation's defaults chose."""
  choice = config.compute_precision
  logging.info("precision %s (%s)", choice.name, choice.reason)
  param = config.optimizer.param
  chosen = [f"--{flag.name}={value}" for flag, value in (
      (param_flags.PARAM, param), (SIZE, size)) if not flag.present]
  if chosen and not defaults.for_network(network).general:
    logging.info("%s (the defaults for %s)", " ".join(chosen), network)
  flag_of = _flags_by_setting()
  brought = [f"--{flag_of[setting].name}={value:g}"
             for setting, value in param_defaults.of(param).items()
             if not flag_of[setting].present]
  if brought:
    logging.info("%s (the defaults of --param=%s)", " ".join(brought), param)

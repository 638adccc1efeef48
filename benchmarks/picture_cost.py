r"""What a filter's default picture costs, by shape and steps, in one run.

Inverts the same filters of each layer from the embedded photo at 128 px
(every other setting fmi_tf's default, the precision `auto` included) in each setting in turn,
interleaved over `--rounds`, and prints the median CPU seconds per filter
(process time, compiling included once per setting and layer), the mean
steps taken and each setting's cost over the first's:

* `photo shape, 100 steps`: the photo's shape kept (128 x 85), `--nosquare`;
* `square, 100 steps`: cut to a 128 px square;
* `square, <--square_steps> steps`.

Usage:
  python benchmarks/picture_cost.py --weights=PATH \
      [--layers=block1_conv1,...] [--filters=12] [--square_steps=66]
"""

import time

from absl import app
from absl import flags
import numpy as np

import fmi_tf
from fmi_tf.nets import feature_model
from fmi_tf.tools import cli

import machine

_LAYERS = flags.DEFINE_list(
    "layers", "block1_conv1,block2_conv1,block3_conv1,block4_conv1,"
    "block5_conv1", "Layers.")
_FILTERS = flags.DEFINE_integer("filters", 12, "Filters per layer (the "
                                "first ones).", lower_bound=1)
_SIZE = flags.DEFINE_integer("size", 128, "Picture side.", lower_bound=16)
_SQUARE_STEPS = flags.DEFINE_integer("square_steps", 66, "Steps of the "
                                     "third setting.", lower_bound=1)
_ROUNDS = flags.DEFINE_integer("rounds", 1, "Interleaved rounds.",
                               lower_bound=1)
_WEIGHTS = flags.DEFINE_string("weights", None, "VGG19 weights.")


def main(argv):
  cli.no_stray_arguments(argv)
  machine.print_header()
  backbone = feature_model.vgg19(cli.weights_source(_WEIGHTS.value))
  settings = {
      "photo shape, 100 steps": {"square": False, "steps": 100},
      "square, 100 steps": {"square": True, "steps": 100},
      f"square, {_SQUARE_STEPS.value} steps": {
          "square": True, "steps": _SQUARE_STEPS.value}}
  print(f"filters 0-{_FILTERS.value - 1} of each layer, embedded photo at "
        f"{_SIZE.value} px, one batch of 16 at most")
  print(f"{'layer':<14}{'setting':<26}{'CPU s/filter':>14}"
        f"{'mean steps':>12}{'x first':>9}  precision")
  for layer in _LAYERS.value:
    seconds = {name: [] for name in settings}
    steps = {}
    for _ in range(_ROUNDS.value):
      for name, setting in settings.items():
        started = time.process_time()
        result = fmi_tf.invert(backbone, layer, range(_FILTERS.value),
                               size=_SIZE.value, progress=False, **setting)
        seconds[name].append((time.process_time() - started)
                             / _FILTERS.value)
        steps[name] = np.mean([r.steps for r in result.records])
        precision = result.records[0].run.parameters["precision"]
    first = np.median(next(iter(seconds.values())))
    for name in settings:
      cost = np.median(seconds[name])
      print(f"{layer:<14}{name:<26}{cost:>14.2f}{steps[name]:>12.1f}"
            f"{cost / first:>9.2f}  {precision}")


if __name__ == "__main__":
  app.run(main)

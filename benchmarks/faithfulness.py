r"""Faithful pictures, measured: every condition on the same filters, one run.

Usage:
  python benchmarks/faithfulness.py --dataset=folder:dtd10/ \
      --judge=image-statistics \
      --judge=mobilenet:mobilenet_2_5_224_tf_no_top.h5 \
      --layers=block1_conv1,block2_conv1,block3_conv1,block4_conv1 \
      [--filters=32] [--size=128] [--images=1200] [--steps=100] \
      [--weights=vgg19.h5] [--out=faithfulness.json]

Prints the machine, then for each layer and judge every condition's 2-AFC
score, its gain over the method-matched null and that gain as a share of one
natural exemplar's (95 % bootstrap intervals over filters), then the
issue's targets: does fmi_tf's default picture (pixel, transfer) beat the
null at no less than half of one natural exemplar's normalised score under
every independent judge, and how it compares, paired by filter, with every
other condition. The sanity checks are summarised per condition.
"""

from absl import app
from absl import flags
import numpy as np

from fmi_tf.faithfulness import conditions
from fmi_tf.faithfulness import measure
from fmi_tf.nets import feature_model
from fmi_tf.tools import cli

import machine

_DATASET = flags.DEFINE_string("dataset", None, "Dataset spec.",
                               required=True)
_LAYERS = flags.DEFINE_list(
    "layers", "block1_conv1,block2_conv1,block3_conv1,block4_conv1,"
    "block5_conv1", "Layers.")
_JUDGES = flags.DEFINE_multi_string(
    "judge", ["image-statistics", "same-network"], "Judges (see "
    "fmi-faithfulness --judge).")
_CONDITIONS = flags.DEFINE_multi_string(
    "condition", None, "Conditions (default: the four inversions and the "
    "three maximisations).")
_FILTERS = flags.DEFINE_integer("filters", 32, "Filters per layer.",
                                lower_bound=2)
_QUERIES = flags.DEFINE_integer("queries", 8, "Images in Q+ and Q-.",
                                lower_bound=1)
_SIZE = flags.DEFINE_integer("size", 128, "Picture side.", lower_bound=16)
_IMAGES = flags.DEFINE_integer("images", None, "Dataset images used.",
                               lower_bound=1)
_STEPS = flags.DEFINE_integer("steps", None, "Inversion and maximisation "
                              "steps.",
                              lower_bound=1)
_WEIGHTS = flags.DEFINE_string("weights", None, "VGG19 weights.")
_OUT = flags.DEFINE_string("out", None, "Also write the record here.")

DEFAULT = "invert-pixel-transfer"
# The target: at least half of one natural exemplar's gain.
TARGET_SHARE = 0.5


def _targets(result) -> None:
  independent = [j for j, circular in result.judges.items() if not circular]
  print("\ntargets: fmi_tf's default picture "
        f"({DEFAULT}) beats the null at >= {TARGET_SHARE} of one natural "
        "exemplar's normalised score")
  rows = {(r["layer"], r["judge"], r["condition"]): r
          for r in result.summary()}
  for layer in result.filters:
    for judge in independent:
      row = rows.get((layer, judge, DEFAULT))
      if row is None:
        print(f"  {layer} {judge}: {DEFAULT} was not run")
        continue
      if not row["valid"]:
        print(f"  {layer} {judge}: untestable with this judge")
        continue
      normalised = row["normalised"]["mean"]
      met = row["gain"]["low"] > 0 and normalised is not None and (
          normalised >= TARGET_SHARE)
      shown = "-" if normalised is None else f"{normalised:.2f}"
      print(f"  {layer} {judge}: gain {row['gain']['mean']:.3f} "
            f"[{row['gain']['low']:.3f}, {row['gain']['high']:.3f}], "
            f"normalised {shown}: {'met' if met else 'NOT met'}")
  print(f"\npaired differences of the gain over the null, {DEFAULT} minus "
        "each condition (mean [95 % interval] over filters)")
  for layer in result.filters:
    for judge in independent:
      for other in result.conditions:
        if other != DEFAULT and DEFAULT in result.conditions:
          diff = result.compare(layer, judge, DEFAULT, other)
          print(f"  {layer} {judge} vs {other}: {diff.mean:+.3f} "
                f"[{diff.low:+.3f}, {diff.high:+.3f}]")
  if not any(kind == conditions.MAXIMISATION
             for kind in result.conditions.values()):
    print("  (no activation-maximisation condition in this run)")


def _sanity(result) -> None:
  print("\nsanity (median activation ratio, share selective, median path "
        "ratio)")
  for layer in result.filters:
    for condition in result.conditions:
      checks = [s.checks for s in result.sanity
                if (s.layer, s.condition) == (layer, condition)]
      paths = [c.path_ratio for c in checks if c.path_ratio is not None]
      print(f"  {layer} {condition}: "
            f"{np.median([c.activation_ratio for c in checks]):.2f}, "
            f"{np.mean([c.selective for c in checks]):.2f}, "
            f"{np.median(paths) if paths else float('nan'):.2f}")
  for (layer, condition, judge), value in result.invariance.items():
    print(f"  invariance {layer} {condition} {judge}: identification "
          f"{value.identification:.2f}, leak {value.leak:.2f}")


def main(argv):
  cli.no_stray_arguments(argv)
  machine.print_header()
  backbone = feature_model.vgg19(cli.weights_source(_WEIGHTS.value))
  result = measure.measure_faithfulness(
      backbone, _LAYERS.value, _DATASET.value, conditions=_CONDITIONS.value,
      judges=_JUDGES.value, filters=_FILTERS.value, queries=_QUERIES.value,
      size=_SIZE.value, images=_IMAGES.value, out=_OUT.value,
      **({"steps": _STEPS.value} if _STEPS.value else {}))
  settings = result.settings
  print(f"{settings['exemplars']} exemplars and {settings['query_images']} "
        f"query images of {settings['dataset']} at {settings['size']} px; "
        f"{_FILTERS.value} filters per layer, {_QUERIES.value} queries of each "
        f"kind; a judge counts where natural top-9 scores >= "
        f"{settings['valid_ceiling']} (interval's lower end)\n")
  print(result.table())
  _targets(result)
  _sanity(result)


if __name__ == "__main__":
  app.run(main)

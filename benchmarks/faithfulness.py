r"""Faithful pictures, measured: every condition on the same filters, one run.

Usage:
  python benchmarks/faithfulness.py --dataset=folder:dtd10/ \
      --judge=image-statistics \
      --judge=mobilenet:mobilenet_2_5_224_tf_no_top.h5 --judge=same-network \
      [--layers=block1_conv1,...,block5_conv1] [--filters=32] [--size=128] \
      [--large_size=224] [--images=1200] [--steps=100] \
      [--condition=invert-pixel-transfer@steps=66 ...] \
      [--weights=vgg19.h5] [--out=faithfulness.json]

Prints the machine, then, per picture size (a layer whose receptive field
is wider than `--size` is measured at `--large_size`), every condition's
2-AFC score, its gain over the method-matched null and that gain as a share
of one natural exemplar's (95 % bootstrap intervals over filters); the
verdict: does fmi_tf's default picture (pixel, transfer) beat the
null at no less than half of one natural exemplar's normalised score under
every independent judge, and how it compares, paired by filter, with every
other condition; the seconds each condition took per filter; the sanity
checks; and structure and colour with depth, measured at one size on the
pictures and on the natural exemplars (dataset images fitted to the
picture size, never upsampled).
"""

import dataclasses
import os
import time

from absl import app
from absl import flags
import numpy as np

from fmi_tf.atlas import texture_measures
from fmi_tf.faithfulness import conditions
from fmi_tf.faithfulness import measure
from fmi_tf.nets import feature_model
from fmi_tf.nets import receptive_field
from fmi_tf.tools import cli

import machine
import structure

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
    "three maximisations); a name may carry its own settings, "
    "invert-pixel-transfer@steps=66.")
_FILTERS = flags.DEFINE_integer("filters", 32, "Filters per layer.",
                                lower_bound=2)
_QUERIES = flags.DEFINE_integer("queries", 8, "Images in Q+ and Q-.",
                                lower_bound=1)
_SIZE = flags.DEFINE_integer("size", 128, "Picture side.", lower_bound=16)
_LARGE_SIZE = flags.DEFINE_integer(
    "large_size", 224, "Picture side for the layers whose receptive field "
    "is wider than --size.", lower_bound=16)
_IMAGES = flags.DEFINE_integer("images", None, "Dataset images used.",
                               lower_bound=1)
_STEPS = flags.DEFINE_integer("steps", None, "Inversion and maximisation "
                              "steps (default: each method's own).",
                              lower_bound=1)
_WEIGHTS = flags.DEFINE_string("weights", None, "VGG19 weights.")
_OUT = flags.DEFINE_string(
    "out", None, "Also write the record here (one per picture size, "
    "`<stem>-<size>px.json`, when the layers need two sizes).")

DEFAULT = "invert-pixel-transfer"
# The verdict's threshold: half of one natural exemplar's gain.
TARGET_SHARE = 0.5
# Structure and colour with depth: on these conditions' pictures.
_STRUCTURE_CONDITIONS = (DEFAULT, "maximise-pixel", "maximise-maco",
                         "natural-top9")


def _sizes(backbone, layers: list[str]) -> dict[int, list[str]]:
  """{picture size: layers}: `--size`, or `--large_size` for a layer whose
  receptive field is wider than `--size`."""
  groups = {}
  for layer in layers:
    field = receptive_field.receptive_field(backbone.model, layer).size
    size = _SIZE.value if field <= _SIZE.value else _LARGE_SIZE.value
    groups.setdefault(size, []).append(layer)
  return dict(sorted(groups.items()))


def _timed(condition: conditions.Condition, seconds: dict
           ) -> conditions.Condition:
  """`condition`, adding each draw's seconds per filter to
  `seconds[layer, name]`."""
  def draw(request):
    started = time.process_time()
    pictures = condition.draw(request)
    seconds[request.layer, condition.name] = (
        time.process_time() - started) / len(request.filters)
    return pictures
  return dataclasses.replace(condition, draw=draw)


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


def _cost(result, seconds: dict) -> None:
  print("\nCPU seconds per filter (process time, drawing only)")
  for layer in result.filters:
    cells = ", ".join(f"{name} {seconds[layer, name]:.2f}"
                      for name in result.conditions
                      if (layer, name) in seconds)
    print(f"  {layer}: {cells}")


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


def _central(pictures: np.ndarray, side: int) -> np.ndarray:
  """[..., S, S, 3] -> the central [..., side, side, 3] window (a cut,
  never a resampling)."""
  top = (pictures.shape[-3] - side) // 2
  return pictures[..., top:top + side, top:top + side, :]


def _structure(result, side: int) -> None:
  print(f"\nstructure and colour with depth, at {side} x {side} px (the "
        "central window of larger pictures): median [quartiles] over "
        "pictures")
  measures = {"colourfulness": texture_measures.colourfulness,
              "bits_per_pixel": structure.bits_per_pixel,
              "spectral_entropy": structure.spectral_entropy}
  for measure_name, function in measures.items():
    print(f"  {measure_name}")
    for layer in result.filters:
      cells = []
      for name in _STRUCTURE_CONDITIONS:
        if (layer, name) not in result.pictures:
          continue
        pictures = _central(result.pictures[layer, name], side)
        values = [function(p) for p in pictures.reshape(-1, side, side, 3)]
        q1, median, q3 = np.percentile(values, [25, 50, 75])
        cells.append(f"{name} {median:.2f} [{q1:.2f}, {q3:.2f}]")
      print(f"    {layer}: {'; '.join(cells)}")


def _out_file(size: int, several: bool) -> "str | None":
  if _OUT.value is None or not several:
    return _OUT.value
  stem, extension = os.path.splitext(_OUT.value)
  return f"{stem}-{size}px{extension or '.json'}"


def main(argv):
  cli.no_stray_arguments(argv)
  machine.print_header()
  started = time.perf_counter(), time.process_time()
  backbone = feature_model.vgg19(cli.weights_source(_WEIGHTS.value))
  settings = {"steps": _STEPS.value} if _STEPS.value else {}
  chosen = (conditions.default_conditions(**settings)
            if _CONDITIONS.value is None else
            [conditions.by_name(name, **settings)
             for name in _CONDITIONS.value])
  seconds = {}
  timed = [_timed(c, seconds) for c in chosen]
  groups = _sizes(backbone, backbone.canonical_names(_LAYERS.value))
  for size, layers in groups.items():
    result = measure.measure_faithfulness(
        backbone, layers, _DATASET.value, conditions=timed,
        judges=_JUDGES.value, filters=_FILTERS.value, queries=_QUERIES.value,
        size=size, images=_IMAGES.value, out=_out_file(size, len(groups) > 1))
    run = result.settings
    print(f"\n== {', '.join(layers)} at {size} x {size} px: "
          f"{run['exemplars']} exemplars and {run['query_images']} query "
          f"images of {run['dataset']}; {_FILTERS.value} filters per layer, "
          f"{_QUERIES.value} queries of each kind; a judge counts where one "
          f"natural exemplar scores >= {run['valid_ceiling']} and beats its "
          "null\n")
    print(result.table())
    _targets(result)
    _cost(result, seconds)
    _sanity(result)
    _structure(result, min(groups))
  wall, cpu = (time.perf_counter() - started[0],
               time.process_time() - started[1])
  print(f"\nwhole run: {wall / 60:.1f} min wall, {cpu / 60:.1f} min CPU")


if __name__ == "__main__":
  app.run(main)

r"""Does every filter extract a specific texture? Inversions vs dataset crops.

Usage:
  python benchmarks/claim.py --atlas=atlas/ --examples=examples/ \
      --layers=block1_conv1,block2_conv1,block3_conv1,block4_conv1 \
      [--filters=32] [--weights=vgg19.h5] [--plot=claim.png]

For each layer, the first --filters filters that have both an inversion in
--atlas and dataset examples in --examples (fmi-dataset-examples):

* Specificity. Each inversion and each filter's top crops, resized to 64 pixels
  square, are described by a texture statistic of VGG19's relu1_1, relu2_1 and
  relu3_1 (the Gram matrices, each layer's part L2-normalised; and the
  energies, the spatial means, likewise). A filter's crops are summarised by
  the mean of their descriptors. The rank of a filter's own crops among all the
  layer's filters' crops, by distance to its inversion, is 1 when its own are
  nearest. Printed: the share of filters ranked first and the median rank,
  against a shuffled baseline (crops assigned to filters at random, --shuffles
  times), and the share of shuffles whose median rank is as good (a permutation
  p-value).
* Structure. The median compressed bits per pixel and spectral entropy
  (`microscope.structure`) of the layer's inversions and of its crops (the
  part of each crop inside its image, at the image's own scale; not for
  receptive fields under 16 pixels, too small to measure).
"""

import os

from absl import app
from absl import flags
import matplotlib
import numpy as np
from PIL import Image
import tensorflow as tf

from fmi_tf.io import images as image_io
from fmi_tf.microscope import crop_sheets
from fmi_tf.microscope import examples_files
from fmi_tf.microscope import structure
from fmi_tf.nets import feature_model
from fmi_tf.tools import cli

import machine

matplotlib.use("Agg")
from matplotlib import pyplot  # pylint: disable=wrong-import-position

_ATLAS = flags.DEFINE_string("atlas", None, "Atlas directory.", required=True)
_EXAMPLES = flags.DEFINE_string("examples", None, "Examples directory.",
                                required=True)
_LAYERS = flags.DEFINE_list("layers", None, "Layers.", required=True)
_FILTERS = flags.DEFINE_integer("filters", 32, "Filters per layer.",
                                lower_bound=2)
_WEIGHTS = flags.DEFINE_string("weights", None, "VGG19 weights (blocks 1-3 "
                               "suffice).")
_SHUFFLES = flags.DEFINE_integer("shuffles", 1000, "Shuffled baselines.",
                                 lower_bound=1)
_PLOT = flags.DEFINE_string("plot", None, "Where to write the plot (PNG).")

_STATISTIC_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1")
# The side inversions and crops are resized to for the statistic.
_SIZE = 64
# Crops smaller than this (receptive fields of the first blocks) are too
# small for their structure to be measured.
_MIN_STRUCTURE_SIDE = 16


def _descriptors(features, pictures: np.ndarray) -> dict[str, np.ndarray]:
  """Gram and energy descriptors [N, D] of [N, S, S, 3] pictures."""
  codes = features(tf.constant(pictures, tf.float32))
  grams, energies = [], []
  for name in _STATISTIC_LAYERS:
    code = codes[name]
    flat = tf.reshape(code, [code.shape[0], -1, code.shape[-1]])
    gram = tf.einsum("bpc,bpd->bcd", flat, flat) / flat.shape[1]
    grams.append(tf.math.l2_normalize(tf.reshape(gram, [code.shape[0], -1]),
                                      axis=1))
    energies.append(tf.math.l2_normalize(tf.reduce_mean(flat, axis=1),
                                         axis=1))
  return {"gram": tf.concat(grams, 1).numpy(),
          "energy": tf.concat(energies, 1).numpy()}


def _ranks(distances: np.ndarray, own: np.ndarray) -> np.ndarray:
  """1 + how many candidates are nearer than the assigned one, per row."""
  assigned = distances[np.arange(len(own)), own]
  return 1 + (distances < assigned[:, None]).sum(axis=1)


def _specificity(inversions, prototypes, rng, shuffles) -> dict:
  distances = np.linalg.norm(inversions[:, None] - prototypes[None], axis=-1)
  n = len(distances)
  ranks = _ranks(distances, np.arange(n))
  shuffled = [_ranks(distances, rng.permutation(n)) for _ in range(shuffles)]
  medians = np.asarray([np.median(r) for r in shuffled])
  return {"first": float(np.mean(ranks == 1)),
          "median": float(np.median(ranks)),
          "first_shuffled": float(np.mean([np.mean(r == 1)
                                           for r in shuffled])),
          "median_shuffled": float(np.median(medians)),
          "p": float((np.sum(medians <= np.median(ranks)) + 1)
                     / (shuffles + 1))}


def _resized(picture: np.ndarray) -> np.ndarray:
  """A picture resized to the statistic's square side (`_SIZE`)."""
  picture = Image.fromarray(image_io.to_uint8(picture))
  return np.asarray(picture.resize((_SIZE, _SIZE), Image.NEAREST if max(
      picture.size) < _SIZE else Image.LANCZOS)) / 255.0


def _layer(name, features, rng):
  record = examples_files.read_layer(_EXAMPLES.value, name)
  k = record["k"]
  chosen, inversions, crops, structures = [], [], [], {"inv": [], "crop": []}
  for entry in record["filters"]:
    png = os.path.join(_ATLAS.value, f"{name}_{entry['filter']:04d}.png")
    if not os.path.isfile(png) or len(entry["top"]) < k:
      continue
    inversion = image_io.load_image(png)
    structures["inv"].append(structure.measure(inversion))
    inversions.append(_resized(inversion))
    sheet = np.asarray(Image.open(examples_files.sheet_path(
        _EXAMPLES.value, name, entry["filter"])).convert("RGBA"))
    native = [c / 255.0 for c in crop_sheets.cut_crops(sheet,
                                                          entry["top"])]
    crops.append([_resized(c) for c in native])
    if record["receptive_field"]["size"] >= _MIN_STRUCTURE_SIDE:
      structures["crop"] += [structure.measure(c) for c in native]
    chosen.append(entry["filter"])
    if len(chosen) == _FILTERS.value:
      break
  inverted = _descriptors(features, np.stack(inversions))
  cropped = _descriptors(features, np.concatenate(crops))
  row = {"layer": name, "filters": len(chosen)}
  for kind in ("gram", "energy"):
    prototypes = cropped[kind].reshape(len(chosen), k, -1).mean(axis=1)
    row[kind] = _specificity(inverted[kind], prototypes, rng,
                             _SHUFFLES.value)
  for source, values in structures.items():
    for measure in structure.MEASURES:
      row[f"{source}_{measure}"] = (float(np.median([v[measure]
                                                    for v in values]))
                                    if values else float("nan"))
  return row


def _plot(rows, path):
  figure, (left, right) = pyplot.subplots(1, 2, figsize=(10, 3.6))
  x = np.arange(len(rows))
  for kind, marker in (("gram", "o"), ("energy", "s")):
    left.plot(x, [r[kind]["first"] for r in rows], marker=marker,
              label=f"own crops nearest ({kind})")
  left.plot(x, [r["gram"]["first_shuffled"] for r in rows], "k--",
            label="shuffled baseline")
  left.set_ylabel("share of filters")
  left.set_title("Inversion nearest to its own top crops")
  for source, style in (("inv", "-"), ("crop", ":")):
    right.plot(x, [r[f"{source}_bits_per_pixel"] for r in rows], style,
               marker="o", label=f"bits/pixel, {source}")
  twin = right.twinx()
  for source, style in (("inv", "-"), ("crop", ":")):
    twin.plot(x, [r[f"{source}_spectral_entropy"] for r in rows], style,
              marker="^", color="tab:red",
              label=f"spectral entropy, {source}")
  right.set_ylabel("bits per pixel")
  twin.set_ylabel("spectral entropy", color="tab:red")
  right.set_title("Structure (median)")
  for axis in (left, right):
    axis.set_xticks(x, [r["layer"] for r in rows], rotation=30, fontsize=8)
  left.legend(fontsize=7)
  right.legend(fontsize=7, loc="upper left")
  twin.legend(fontsize=7, loc="lower right")
  figure.tight_layout()
  figure.savefig(path, dpi=100)


def main(argv):
  cli.no_stray_arguments(argv)
  machine.print_header()
  backbone = feature_model.vgg19(cli.weights_source(_WEIGHTS.value))
  features = feature_model.feature_model(backbone, _STATISTIC_LAYERS)
  summary = examples_files.read_summary(_EXAMPLES.value)
  examples_files.check_version(summary, _EXAMPLES.value)
  rng = np.random.default_rng(0)
  rows = [_layer(n, features, rng) for n in _LAYERS.value]
  print(f"{summary['images']} images of {summary['dataset']} at "
        f"{summary['image_size']} px, k = {summary['k']}; statistics at "
        f"{', '.join(_STATISTIC_LAYERS)}")
  print("| layer | filters | own first (Gram) | shuffled | median rank | "
        "shuffled | p | own first (energy) | median rank | p | "
        "bits/px inv | bits/px crops | spec. entropy inv | "
        "spec. entropy crops |")
  print("|---" * 14 + "|")
  for r in rows:
    g, e = r["gram"], r["energy"]
    print(f"| {r['layer']} | {r['filters']} | {g['first']:.2f} | "
          f"{g['first_shuffled']:.2f} | {g['median']:.1f} | "
          f"{g['median_shuffled']:.1f} | {g['p']:.3f} | {e['first']:.2f} | "
          f"{e['median']:.1f} | {e['p']:.3f} | "
          f"{r['inv_bits_per_pixel']:.2f} | {r['crop_bits_per_pixel']:.2f} | "
          f"{r['inv_spectral_entropy']:.3f} | "
          f"{r['crop_spectral_entropy']:.3f} |")
  if _PLOT.value:
    _plot(rows, _PLOT.value)
    print(f"wrote {_PLOT.value}")


if __name__ == "__main__":
  app.run(main)

r"""Which encoder recognises textures best? 10-fold accuracy of candidates.

Encodes every image of the dataset once per scale, for the per-layer
statistics of all candidates together (through the descriptor cache), then
fits and scores the linear SVM of `fmi-texture-eval` on every fold for each
candidate: energies (first and second order) of several layer sets, reduced
Gram matrices of deep layers, GAP of relu5_4, each at one scale and pooled
over two (FV-CNN style). Prints one row per candidate, mean +- std over the
folds, best first.

Usage:
  python benchmarks/recognition.py --dataset=dtd:../shared/data/dtd10 \
      --weights=$FMI_VGG19_WEIGHTS --cache_dir=/tmp/fmi_cache
"""

from absl import app
from absl import flags

from fmi_tf.nets import feature_model
from fmi_tf.recognition import datasets
from fmi_tf.recognition import encoder
from fmi_tf.recognition import experiment
from tools import cli

_DATASET = flags.DEFINE_string("dataset", None, "Dataset spec.",
                               required=True)
_WEIGHTS = flags.DEFINE_string("weights", None, "VGG19 weights (HDF5).")
_CACHE_DIR = flags.DEFINE_string("cache_dir", None, "Statistics cache.")
_FOLDS = flags.DEFINE_integer("folds", 10, "Folds 1..N.")
_IMAGE_SIZE = flags.DEFINE_integer("image_size", 224, "Image side.")
_SCALES = flags.DEFINE_list("scales", ["1", "0.5"],
                            "Scales; the first is the single-scale one.")

_CANDIDATE_NAMES = flags.DEFINE_list(
    "candidates", [], "Candidates to score (names of the table, with ' ms' "
    "for multi-scale); default all.")

_BLOCK_FIRST = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
_CANDIDATES = {
    "energy relu1_1..5_1": ("energy", _BLOCK_FIRST, 1),
    "energy relu3_1..5_1": ("energy", _BLOCK_FIRST[2:], 1),
    "energy relu4_1+5_1": ("energy", _BLOCK_FIRST[3:], 1),
    "energy relu5_1": ("energy", _BLOCK_FIRST[4:], 1),
    "energy relu4_x+5_x": ("energy", tuple(
        f"relu{b}_{i}" for b in (4, 5) for i in range(1, 5)), 1),
    "energy relu5_x": ("energy", tuple(f"relu5_{i}" for i in range(1, 5)),
                       1),
    "energy relu3_1+4_1+5_1+5_4": ("energy", _BLOCK_FIRST[2:] + ("relu5_4",),
                                   1),
    "energy2 relu1_1..5_1": ("energy", _BLOCK_FIRST, 2),
    "energy2 relu3_1..5_1": ("energy", _BLOCK_FIRST[2:], 2),
    "energy2 relu4_x+5_x": ("energy", tuple(
        f"relu{b}_{i}" for b in (4, 5) for i in range(1, 5)), 2),
    "energy2 relu3_1+4_1+5_1+5_4": ("energy",
                                    _BLOCK_FIRST[2:] + ("relu5_4",), 2),
    "gram64 relu4_1+5_1": ("gram", _BLOCK_FIRST[3:], 1),
    "gram64 relu3_1..5_1": ("gram", _BLOCK_FIRST[2:], 1),
    "gram64 relu5_4": ("gram", ("relu5_4",), 1),
    "gap relu5_4": ("gap", ("relu5_4",), 1),
}


def main(argv):
  cli.no_stray_arguments(argv)
  scales = [float(s) for s in _SCALES.value]
  backbone = feature_model.vgg19(cli.weights_source(_WEIGHTS.value))
  folds = [datasets.load(_DATASET.value, k)
           for k in range(1, _FOLDS.value + 1)]
  setups = {}
  for name, (kind, layers, order) in _CANDIDATES.items():
    for label, used in ((name, scales[:1]), (f"{name} ms", scales)):
      setups[label] = experiment.Setup(
          encoder.EncoderConfig(kind=kind, layers=layers, order=order,
                                scales=tuple(used)), _IMAGE_SIZE.value)
  if _CANDIDATE_NAMES.value:
    setups = {name: setups[name] for name in _CANDIDATE_NAMES.value}
  cache = experiment.cache_for(folds[0], next(iter(setups.values())),
                               backbone, _CACHE_DIR.value)
  for scale in scales:
    keys = {key for setup in setups.values() if scale in setup.encoder.scales
            for key in encoder.statistic_keys(setup.encoder)}
    for part, examples in (("train", folds[0].train),
                           ("test", folds[0].test)):
      cache.prefetch(backbone, examples, keys, scale, _IMAGE_SIZE.value,
                     16, f"encode {part}")
  rows = []
  for name, setup in setups.items():
    accuracies = [experiment.run(fold, setup, backbone, cache).report
                  for fold in folds]
    mean, std = experiment.mean_and_std([r["accuracy"] for r in accuracies])
    rows.append((mean, std, name, accuracies[0]["descriptor_size"]))
    print(f"{name:<36} {rows[-1][3]:>6}  {100 * mean:5.1f} +- "
          f"{100 * std:.1f} %", flush=True)
  print(f"\n{folds[0].name}, {len(folds)} folds, {_IMAGE_SIZE.value} px, "
        f"scales {','.join(_SCALES.value)} (ms), linear SVM C=100; best "
        "first")
  for mean, std, name, size in sorted(rows, reverse=True):
    print(f"{name:<36} {size:>6}  {100 * mean:5.1f} +- {100 * std:.1f} %")


if __name__ == "__main__":
  app.run(main)

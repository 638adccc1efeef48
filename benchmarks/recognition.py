r"""Which encoder recognises textures best? 10-fold accuracy of candidates.

Encodes every image of the dataset once per scale, for the per-layer
statistics of all candidates together (through the descriptor cache), then
fits and scores the linear SVM of `fmi-texture-eval` on every fold for each
candidate: energies (first and second order) of several layer sets, reduced
Gram matrices of deep layers, GAP of relu5_4, each at one scale and pooled
over two (FV-CNN style). Prints one row per candidate, mean +- std over the
folds, best first.

Usage:
  python benchmarks/recognition.py --dataset=dtd:$FMI_DTD10 \
      --weights=$FMI_VGG19_WEIGHTS --cache_dir=/tmp/fmi_cache
"""

from absl import app
from absl import flags

from fmi_tf.io import progress
from fmi_tf.nets import feature_model
from fmi_tf.recognition import comparison
from fmi_tf.recognition import encoder_config
from tools import cli

import machine

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
  machine.print_header()
  cli.no_stray_arguments(argv)
  scales = [float(s) for s in _SCALES.value]
  backbone = feature_model.vgg19(cli.weights_source(_WEIGHTS.value))
  candidates = {}
  for name, (kind, layers, order) in _CANDIDATES.items():
    for label, used in ((name, scales[:1]), (f"{name} ms", scales)):
      candidates[label] = encoder_config.EncoderConfig(
          kind=kind, layers=layers, order=order, scales=tuple(used))
  if _CANDIDATE_NAMES.value:
    candidates = {name: candidates[name] for name in _CANDIDATE_NAMES.value}
  rows = comparison.evaluate_texture_encoders(
      backbone, _DATASET.value, candidates, folds=_FOLDS.value,
      image_size=_IMAGE_SIZE.value, cache_dir=_CACHE_DIR.value,
      progress=progress.Progress)
  print(f"\n{rows[0]['dataset']}, {rows[0]['folds']} folds, "
        f"{_IMAGE_SIZE.value} px, scales {','.join(_SCALES.value)} (ms), "
        "linear SVM C=100; best first")
  for row in sorted(rows, key=lambda row: -row["accuracy_mean"]):
    print(f"{row['encoder']:<36} {row['descriptor_size']:>6}  "
          f"{100 * row['accuracy_mean']:5.1f} +- "
          f"{100 * row['accuracy_std']:.1f} %")


if __name__ == "__main__":
  app.run(main)

r"""fmi-faithfulness: does a filter's picture predict its real-image behaviour?

Usage:
  fmi-faithfulness --dataset=folder:dtd10/ --layers=block1_conv1,block3_conv1 \
      --judge=image-statistics \
      --judge=mobilenet:mobilenet_2_5_224_tf_no_top.h5 \
      --filters=8 --size=96 --images=240 --out=faithfulness.json
  fmi-faithfulness --dataset=folder:dtd10/ --layers=block4_conv1 \
      --condition=invert-fourier-gain --condition=pictures:atlas/ \
      --out=faithfulness.json

Prints the summary and writes every per-filter score, sanity check and the
summary to --out (`fmi_tf.measure_faithfulness`; docs/faithfulness.md).
"""

import inspect

from absl import flags

from fmi_tf.faithfulness import measure
from . import cli
from . import model_flags

# The library's defaults, so that the tool has none of its own.
_DEFAULTS = {name: parameter.default for name, parameter in inspect.signature(
    measure.measure_faithfulness).parameters.items()}

_DATASET = flags.DEFINE_string(
    "dataset", None, "folder:PATH, dtd:PATH, brodatz:PATH, tfds:NAME or a "
    "directory.", required=True)
_LAYERS = flags.DEFINE_list("layers", None, "Layers, comma-separated.",
                            required=True)
_CONDITIONS = flags.DEFINE_multi_string(
    "condition", None, "invert-<pixel|fourier>-<transfer|gain>, "
    "maximise-<pixel|fourier|maco>, natural-top<k>, or pictures:DIR (an "
    "atlas directory); repeat. Default: the four inversions and the three "
    "maximisations. Natural top-1 and top-9 always run.")
_JUDGES = flags.DEFINE_multi_string(
    "judge", None, "image-statistics, same-network (circular) or "
    "<network>:<weights> (mobilenet:mobilenet_2_5_224_tf_no_top.h5); "
    "repeat. Default: image-statistics and same-network.")
_FILTERS = flags.DEFINE_integer(
    "filters", _DEFAULTS["filters"], "Filters drawn per layer.",
    lower_bound=2, upper_bound=cli.MAX_CHANNELS)
_QUERIES = flags.DEFINE_integer(
    "queries", _DEFAULTS["queries"], "Images in Q+ and in Q-.",
    lower_bound=1, upper_bound=cli.MAX_BATCH)
_SIZE = flags.DEFINE_integer(
    "size", _DEFAULTS["size"], "Side of the square pictures and dataset "
    "images.", lower_bound=8, upper_bound=cli.MAX_SIZE)
_IMAGES = flags.DEFINE_integer("images", None, "Dataset images used "
                               "(default: all).", lower_bound=1,
                               upper_bound=cli.MAX_IMAGES_PER_ITEM)
_EXEMPLAR_FRACTION = flags.DEFINE_float(
    "exemplar_fraction", _DEFAULTS["exemplar_fraction"],
    "Share of the images in the exemplar part.", lower_bound=0.0,
    upper_bound=1.0)
_PHOTO = flags.DEFINE_string("photo", None, "Photo whose code the "
                             "inversions modify (default: the embedded one).")
_INVARIANCE_PHOTOS = flags.DEFINE_multi_string(
    "invariance_photo", [], "Photos to invert again for the invariance check "
    "(two or more).")
_STEPS = flags.DEFINE_integer(
    "steps", None, "Steps of the inversions and maximisations (default: "
    "their own).", lower_bound=1, upper_bound=cli.MAX_STEPS)
_SEED = flags.DEFINE_integer(
    "seed", _DEFAULTS["seed"], "Seed of the split, the filters and the "
    "intervals.", lower_bound=0, upper_bound=2**31 - 1)
_OUT = flags.DEFINE_string("out", None, "JSON file to write.", required=True)


def main(argv):
  cli.no_stray_arguments(argv)
  result = measure.measure_faithfulness(
      model_flags.backbone(model_flags.WEIGHTS.value), _LAYERS.value,
      _DATASET.value, conditions=_CONDITIONS.value, judges=_JUDGES.value,
      filters=_FILTERS.value, queries=_QUERIES.value, size=_SIZE.value,
      images=_IMAGES.value, exemplar_fraction=_EXEMPLAR_FRACTION.value,
      photo=_PHOTO.value, invariance_photos=_INVARIANCE_PHOTOS.value,
      seed=_SEED.value, out=_OUT.value,
      **({"steps": _STEPS.value} if _STEPS.value else {}))
  print(result.table())


def run():
  cli.run(main)


if __name__ == "__main__":
  run()

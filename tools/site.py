r"""fmi-site: a static site to browse an atlas and its dataset examples.

Usage:
  fmi-site --atlas=atlas/ --out=site/
  fmi-site --atlas=atlas_pixel/ --atlas=atlas_fft/ --examples=examples/ \
      --out=site/
  fmi-site --atlas=atlas/ --faithfulness=faithfulness.json --out=site/

Writes out/index.html, a page per layer and per filter, and copies of the
pictures (`fmi_tf.make_site`); the pages open from disk with no server.
"""

from absl import flags
from absl import logging

from fmi_tf.microscope import site
from . import cli

_ATLAS = flags.DEFINE_multi_string(
    "atlas", None, "Atlas directory (fmi-atlas); repeat for inversions of "
    "the same filters with other settings (pixel, Fourier).", required=True)
_EXAMPLES = flags.DEFINE_string(
    "examples", None, "Dataset-examples directory (fmi-dataset-examples).")
_OUT = flags.DEFINE_string("out", None, "Site directory.", required=True)
_CLASSIFIER = flags.DEFINE_string(
    "classifier", None, "A texture classifier of the atlas's network "
    "(fmi-texture-train's --out): adds its recognition page.")
_FAITHFULNESS = flags.DEFINE_string(
    "faithfulness", None, "A faithfulness record of the atlas's network "
    "(fmi-faithfulness --out, e.g. with --condition=pictures:<atlas>): "
    "its scores are shown on the pages.")
_TITLE = flags.DEFINE_string("title", "Filter atlas", "Title of the index.")
_NEIGHBOURS = flags.DEFINE_integer(
    "neighbours", 6, "Nearest filters shown on each filter page.",
    lower_bound=0, upper_bound=cli.MAX_BATCH)


def main(argv):
  cli.no_stray_arguments(argv)
  result = site.make_site(_ATLAS.value, _OUT.value, _EXAMPLES.value,
                          title=_TITLE.value, neighbours=_NEIGHBOURS.value,
                          classifier=_CLASSIFIER.value,
                          faithfulness=_FAITHFULNESS.value)
  logging.info("wrote %d filter pages of %d layers (%.1f MB, %d gaps); open "
               "%s", result.filters, len(result.layers), result.bytes / 1e6,
               len(result.gaps), result.index)


def run():
  cli.run(main)


if __name__ == "__main__":
  run()

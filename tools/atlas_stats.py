r"""fmi-atlas-stats: colourfulness, hues and structure of an atlas, by depth.

Usage:
  fmi-atlas-stats --atlas=atlas/
  fmi-atlas-stats --atlas=atlas/ --out=report/

Measures every inverted filter in --atlas: colourfulness (Hasler &
Süsstrunk's M), distinct hues, gradient-orientation entropy and dominant
period. Adds them to each filter's JSON record ("texture_measures") and
writes, in --out (default: the atlas directory), depth_stats.csv (per layer:
mean, std, min, quartiles, max of each measure) and depth_stats.png (each
measure against depth, a box plot per layer).
"""

from absl import flags
from absl import logging

from fmi_tf.atlas import depth_report
from . import cli

_ATLAS = flags.DEFINE_string(
    "atlas", None, "Atlas directory written by fmi-atlas or fmi-invert.",
    required=True)
_OUT = flags.DEFINE_string(
    "out", None, "Directory of depth_stats.csv and depth_stats.png; "
    "default: the atlas directory.")
_TITLE = flags.DEFINE_string(
    "title", None, "Title of the plot; default: the filter counts.")


def main(argv):
  cli.no_stray_arguments(argv)
  report = depth_report.measure_depth(_ATLAS.value, _OUT.value, _TITLE.value)
  logging.info("measured %d filters of %d layers; wrote %s and %s",
               report.filters, len(report.layers), report.csv, report.plot)


def run():
  cli.run(main)


if __name__ == "__main__":
  run()

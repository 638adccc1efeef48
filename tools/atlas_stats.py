r"""fmi-atlas-stats: colourfulness, hues and structure of an atlas, by depth.

Usage:
  fmi-atlas-stats --atlas=atlas/
  fmi-atlas-stats --atlas=atlas/ --out=report/

Measures every inverted filter in --atlas (the <layer>_<filter:04d>.png and
.json that fmi-atlas and fmi-invert write): colourfulness (Hasler &
Süsstrunk's M), distinct hues, gradient-orientation entropy and dominant
period. Adds them to each filter's JSON record ("texture_measures") and
writes, in --out (default: the atlas directory), depth_stats.csv (per layer:
mean, std, min, quartiles, max of each measure) and depth_stats.png (each
measure against depth, a box plot per layer).
"""

import os

from absl import flags
from absl import logging

from fmi_tf.atlas import depth_plot
from fmi_tf.atlas import depth_stats
from fmi_tf.io import directories
from fmi_tf.io import outputs
from fmi_tf.io import progress
from . import cli

_ATLAS = flags.DEFINE_string(
    "atlas", None, "Atlas directory written by fmi-atlas or fmi-invert.",
    required=True)
_OUT = flags.DEFINE_string(
    "out", None, "Directory of depth_stats.csv and depth_stats.png; "
    "default: the atlas directory.")
_TITLE = flags.DEFINE_string(
    "title", None, "Title of the plot; default: the filter counts.")

CSV_NAME = "depth_stats.csv"
PLOT_NAME = "depth_stats.png"


def main(argv):
  cli.no_stray_arguments(argv)
  atlas_dir = _ATLAS.value
  found = depth_stats.find_filters(atlas_dir)
  depth_stats.check_writable(atlas_dir)
  depth_stats.check_readable(atlas_dir, found)
  directories.check(_OUT.value or atlas_dir)
  total = sum(len(ids) for ids in found.values())
  with progress.Progress(total, unit="image", description="measures") as bar:
    measures = depth_stats.measure_atlas(atlas_dir, bar)
  # Made once everything is measured: a failure leaves no empty --out.
  out_dir = outputs.prepare_directory(_OUT.value or atlas_dir)
  csv_path = os.path.join(out_dir, CSV_NAME)
  depth_stats.write_measures(atlas_dir, measures, csv_path)
  plot_path = os.path.join(out_dir, PLOT_NAME)
  title = _TITLE.value or (
      f"Texture measures of {total} inverted filters in {len(found)} layers")
  depth_plot.write_plot(plot_path, measures, title)
  logging.info("measured %d filters of %d layers; wrote %s and %s", total,
               len(found), csv_path, plot_path)


def run():
  cli.run(main)


if __name__ == "__main__":
  run()

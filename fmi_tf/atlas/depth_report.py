"""The texture measures of an atlas against depth: records, CSV and plot.

`measure_depth` is what `fmi-atlas-stats` does: it measures every inverted
filter of an atlas directory (`depth_stats`), adds the measures to the
filters' records and writes `depth_stats.csv` (per layer and measure) and
`depth_stats.png` (each measure against depth, `depth_plot`). Every input is
checked and measured before anything is written, so a bad input leaves the
atlas as it was and makes no output directory.
"""

import dataclasses
import os
from typing import Optional

from fmi_tf.atlas import depth_plot
from fmi_tf.atlas import depth_stats
from fmi_tf.io import directories
from fmi_tf.io import outputs
from fmi_tf.io import progress as progress_lib

CSV_NAME = "depth_stats.csv"
PLOT_NAME = "depth_stats.png"


@dataclasses.dataclass(frozen=True)
class DepthReport:
  """What `measure_depth` wrote.

  Attributes:
    filters: the filters measured.
    layers: their layers, in network order.
    csv: the path of the per-layer CSV.
    plot: the path of the PNG.
  """
  filters: int
  layers: tuple[str, ...]
  csv: str
  plot: str


def measure_depth(atlas: str, out: Optional[str] = None,
                  title: Optional[str] = None,
                  progress: bool = True) -> DepthReport:
  """Measures an atlas's filters and writes their summary by depth.

  Args:
    atlas: an atlas directory (`fmi-atlas`, `fmi-invert`), whose filters'
      records get their `texture_measures`.
    out: the directory of the CSV and the plot; default the atlas.
    title: the plot's title; default the filter and layer counts.
    progress: show a progress bar.

  Returns:
    What was measured and written.

  Raises:
    ArgumentError, RecordError, ImageError: for a directory holding no
      atlas, or a record or PNG that does not read.
    OutputError: if the atlas or out cannot be written.
  """
  found = depth_stats.find_filters(atlas)
  depth_stats.check_writable(atlas)
  depth_stats.check_readable(atlas, found)
  directories.check(out or atlas)
  total = sum(len(ids) for ids in found.values())
  with progress_lib.Progress(total, unit="image", description="measures",
                             enabled=progress) as bar:
    measures = depth_stats.measure_atlas(atlas, bar)
  # Made once everything is measured: a failure leaves no empty out.
  out_dir = outputs.prepare_directory(out or atlas)
  report = DepthReport(total, tuple(found), os.path.join(out_dir, CSV_NAME),
                       os.path.join(out_dir, PLOT_NAME))
  depth_stats.write_measures(atlas, measures, report.csv)
  depth_plot.write_plot(report.plot, measures, title or (
      f"Texture measures of {total} inverted filters in {len(found)} layers"))
  return report

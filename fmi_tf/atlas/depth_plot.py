"""The texture measures of an atlas against depth, as one PNG of box plots.

One panel per measure; along the x axis the layers in network order, each with
the box plot of its filters (box: quartiles, line: median, whiskers: 1.5 IQR,
dots: outliers). Drawn with matplotlib's Agg canvas on a private `Figure`, so
no global backend is chosen or needed.
"""

import io

from matplotlib.backends import backend_agg
from matplotlib import figure as figure_lib

from fmi_tf.atlas import depth_stats
from fmi_tf.atlas import texture_measures
from fmi_tf.io import outputs

_TITLES = {
    "colourfulness": "colourfulness M (Hasler & Süsstrunk)",
    "distinct_hues": "distinct hues (of 12 sectors)",
    "orientation_entropy": "gradient-orientation entropy (0-1)",
    "dominant_period": "dominant period (pixels)",
}


def plot_png(measures: depth_stats.AtlasMeasures, title: str) -> bytes:
  """Returns the PNG of every measure against depth.

  Args:
    measures: {layer: {filter: {measure: value}}}, layers in network order.
    title: the figure's title.
  """
  names = list(measures)
  figure = figure_lib.Figure(figsize=(max(8.0, 0.6 * len(names)), 12.0),
                             dpi=100, layout="constrained")
  backend_agg.FigureCanvasAgg(figure)
  axes = figure.subplots(len(texture_measures.MEASURES), 1, sharex=True)
  for ax, measure in zip(axes, texture_measures.MEASURES):
    values = depth_stats.layer_values(measures, measure)
    ax.boxplot([values[n] for n in names], widths=0.6,
               medianprops={"color": "tab:red", "linewidth": 2},
               flierprops={"markersize": 3})
    ax.set_ylabel(_TITLES[measure], fontsize=9)
    ax.grid(axis="y", alpha=0.3)
  axes[-1].set_xticks(range(1, len(names) + 1), names, rotation=60,
                      ha="right", fontsize=8)
  figure.suptitle(title)
  buffer = io.BytesIO()
  figure.savefig(buffer, format="png")
  return buffer.getvalue()


def write_plot(path: str, measures: depth_stats.AtlasMeasures,
               title: str) -> None:
  """Writes the plot of `plot_png` to `path`, atomically."""
  outputs.write_bytes(path, plot_png(measures, title))

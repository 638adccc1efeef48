"""The files of inverted filters: one PNG and one JSON record per filter.

`fmi_tf.invert(..., out=)`, `fmi-invert`, `fmi_tf.draw_atlas` and the Beam
atlas write, for filter k of a layer:

* `<layer>_<filter:04d>.png`: its inverted image.
* `<layer>_<filter:04d>.json`: its record (settings, loss, steps, seconds,
  energy share before and after, the network and the layer's depth in it).

Each file is written atomically and the JSON last, so a filter counts as
done exactly when its JSON exists and reads as a record (`fmi_tf.atlas.layout`
reads them back).
"""

from typing import Mapping, Sequence

import numpy as np

from fmi_tf.inversion import distribution
from fmi_tf.inversion import filters
from fmi_tf.io import outputs
from fmi_tf.io import paths
from fmi_tf.io import progress as progress_lib


def filter_stem(out_dir: str, layer: str, filter_id: int) -> str:
  """Returns `out_dir/<layer>_<filter:04d>`, without extension."""
  return paths.join_under(out_dir, f"{layer}_{filter_id:04d}")


def save_result(out_dir: str, result: filters.FilterResult,
                settings: Mapping) -> dict:
  """Writes a filter's PNG, then its JSON record.

  Returns:
    The record written: the result's, then `settings`.
  """
  stem = filter_stem(out_dir, result.layer, result.filter)
  outputs.write_png(stem + ".png", result.image)
  record = {**result.record(), **settings}
  outputs.write_json(stem + ".json", record)
  return record


def invert_to_directory(inverter: (filters.FilterInverter
                                  | distribution.DistributedInverter),
                        image: np.ndarray,
                        filter_ids: Sequence[int],
                        out_dir: str,
                        settings: Mapping,
                        progress: progress_lib.Progress) -> list[dict]:
  """Inverts filters of one layer, saving each result as its batch finishes.

  Args:
    inverter: the layer's inverter.
    image: [H, W, 3] RGB in [0, 1] whose code is modified.
    filter_ids: filters to invert.
    out_dir: existing, writable directory.
    settings: extra fields for every JSON record (image, size, flags),
      after the network and the layer's depth (`filters.layer_record`).
    progress: advanced by the filter-steps of the step budget used
      (`steps_per_filter` per filter; see `FilterInverter.invert`).

  Returns:
    The JSON records written.
  """
  records = []
  settings = {**inverter.layer_record, **settings}
  for result in inverter.invert(
      image, filter_ids,
      on_step=lambda status, steps: progress.advance(steps, status)):
    records.append(save_result(out_dir, result, settings))
    gain = ("silent in the image" if result.gain is None
            else f"gain {result.gain:.1f}x")
    progress.status(f"{result.layer}/{result.filter} {gain}")
  return records

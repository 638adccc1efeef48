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

from typing import Sequence

import numpy as np

from fmi_tf.inversion import distribution
from fmi_tf.inversion import filter_result
from fmi_tf.inversion import filters
from fmi_tf.io import outputs
from fmi_tf.io import paths
from fmi_tf.io import progress as progress_lib
from fmi_tf.io import records


def filter_stem(out_dir: str, layer: str, filter_id: int) -> str:
  """Returns `out_dir/<layer>_<filter:04d>`, without extension."""
  return paths.join_under(out_dir, f"{layer}_{filter_id:04d}")


def filter_record(result: filter_result.FilterResult,
                  run: records.RunRecord) -> records.FilterRecord:
  """The record of one inverted filter of a run."""
  return records.FilterRecord.from_dict({**result.record(), **run.to_dict()})


def save_result(out_dir: str, result: filter_result.FilterResult,
                run: records.RunRecord) -> records.FilterRecord:
  """Writes a filter's PNG, then its JSON record.

  Returns:
    The record written: the result's, made by `run`.
  """
  stem = filter_stem(out_dir, result.layer, result.filter)
  outputs.write_png(stem + ".png", result.image)
  record = filter_record(result, run)
  outputs.write_json(stem + ".json", record.to_dict())
  return record


def invert_to_directory(inverter: (filters.FilterInverter
                                  | distribution.DistributedInverter),
                        image: np.ndarray,
                        filter_ids: Sequence[int],
                        out_dir: str,
                        run: records.RunRecord,
                        progress: progress_lib.Progress
                        ) -> list[records.FilterRecord]:
  """Inverts filters of one layer, saving each result as its batch finishes.

  Args:
    inverter: the layer's inverter.
    image: [H, W, 3] RGB in [0, 1] whose code is modified.
    filter_ids: filters to invert.
    out_dir: existing, writable directory.
    run: how the run is made (`invert.run_record`); the network and the
      layer's depth (`filters.layer_record`) are added to it.
    progress: advanced by the filter-steps of the step budget used
      (`steps_per_filter` per filter; see `FilterInverter.invert`).

  Returns:
    The records written.
  """
  written = []
  run = run.at_layer(**inverter.layer_record)
  for result in inverter.invert(
      image, filter_ids,
      on_step=lambda status, steps: progress.advance(steps, status)):
    written.append(save_result(out_dir, result, run))
    gain = ("silent in the image" if result.gain is None
            else f"gain {result.gain:.1f}x")
    progress.status(f"{result.layer}/{result.filter} {gain}")
  return written

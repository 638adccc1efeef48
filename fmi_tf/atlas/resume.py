"""Which finished filters of an atlas directory a run may keep.

A filter's JSON record says how it was made: the network and the source of
its weights (`network`), the layer's depth (`layer_index`), the digest of
the pixels inverted (`image_sha256`, so the same photo under another path
matches and another photo under the same path does not), the image size,
the mode and every parameter. A run keeps a finished filter only when all
of these equal its own; `batch_size` (a filter's result does not depend on
its batch) and `precision_reason` (a note) are not compared, nor is the
image's path, nor the record's `schema_version` (its format).

`kept_filters` is the one place that decides it, for `fmi_tf.draw_atlas`
and for any other runner that fills an atlas directory (a pipeline's
workers call it the same way). When the directory holds a finished filter
of other settings it refuses the run, naming the first setting that
differs, rather than mix results: `overwrite=True` (`--overwrite`) redoes
every filter, or a new directory starts afresh. A record that does not read
as one (`io.records`: truncated, corrupt, a list, a field of the wrong
type) counts as missing: the filter is inverted again, and one line says
so.

Examples:
  >>> run = invert.run_record(rgb, "cat.jpg", 128, True, config)
  >>> settings = run.at_layer(**filters.layer_record(backbone,
  ...                                                 "block1_conv1"))
  >>> keep = resume.kept_filters("atlas/", "block1_conv1", 64, settings)
  >>> todo = [k for k in my_filters if k not in keep]
"""

import dataclasses
import json
import os
from typing import Any, Iterable, Iterator, Mapping, Optional

from absl import logging

from fmi_tf import errors
from fmi_tf.atlas import layout
from fmi_tf.inversion import files
from fmi_tf.inversion import filters
from fmi_tf.io import records
from fmi_tf.nets import feature_model

# Record fields that describe how a filter was made but do not change it.
NOT_COMPARED = frozenset({"image", "schema_version", "parameters.batch_size",
                          "parameters.precision_reason"})


def _flat(record: Mapping, prefix: str = "") -> dict[str, Any]:
  """{dotted key: value} of nested mappings."""
  flat = {}
  for key, value in record.items():
    name = f"{prefix}{key}"
    if isinstance(value, Mapping):
      flat.update(_flat(value, name + "."))
    else:
      flat[name] = value
  return flat


def compared_settings(settings: records.RunRecord) -> dict[str, Any]:
  """The run's settings as compared with a record: dotted keys, JSON values.

  Args:
    settings: what a run writes into every record of a layer
      (`invert.run_record` at the layer, `RunRecord.at_layer`).
  """
  as_json = json.loads(json.dumps(settings.to_dict()))
  return {key: value for key, value in _flat(as_json).items()
          if key not in NOT_COMPARED}


_MISSING = object()


def first_difference(record: records.FilterRecord,
                     compared: Mapping[str, Any]) -> "tuple[str, Any] | None":
  """The first compared setting whose recorded value differs, with that
  value (`_MISSING` when not recorded); None if the record matches. The
  image's digest comes last, since another size changes it too.

  Within a nested setting (`network`, `parameters`) a recorded key that the
  run does not have differs too.
  """
  recorded = _flat(record.run.to_dict())
  groups = {key.split(".")[0] for key in compared if "." in key}
  extra = {key for key in recorded if key.split(".")[0] in groups
           and key not in NOT_COMPARED}
  for key in sorted(set(compared) | extra,
                    key=lambda key: (key == "image_sha256", key)):
    if recorded.get(key, _MISSING) != compared.get(key, _MISSING):
      return key, recorded.get(key, _MISSING)
  return None


def _finished_records(out_dir: str, layer: str, filter_ids: Iterable[int]
                      ) -> Iterator[tuple[int, str,
                                      Optional[records.FilterRecord]]]:
  """(filter, record path, record or None if unreadable) of each filter of
  `filter_ids` whose PNG and record are present."""
  for k in filter_ids:
    if layout.is_done(out_dir, layer, k):
      path = files.filter_stem(out_dir, layer, k) + ".json"
      yield k, path, layout.read_record(path)


def kept_filters(out_dir: str, layer: str, num_filters: int,
                 settings: records.RunRecord,
                 overwrite: bool = False) -> set[int]:
  """The finished filters of a layer in `out_dir` that a run may keep.

  Args:
    out_dir: the atlas directory (it need not exist yet).
    layer: the layer's name.
    num_filters: the layer's filter count; every finished filter of the
      layer is checked, whichever shard made it.
    settings: what the run writes into the layer's records beside each
      result (`invert.run_record` at the layer, `RunRecord.at_layer`).
    overwrite: keep nothing: every filter is inverted again.

  Returns:
    The filters whose PNG and readable record are present and whose record
    matches `settings`; the run inverts the others.

  Raises:
    OutputError: if a finished filter was made with other settings (and not
      `overwrite`), naming the first setting that differs.
  """
  if overwrite or not os.path.isdir(out_dir):
    return set()
  compared = compared_settings(settings)
  kept = set()
  for k, path, record in _finished_records(out_dir, layer,
                                           range(num_filters)):
    if record is None:
      logging.warning("%s is not a readable record; inverting %s filter %d "
                      "again", path, layer, k)
      continue
    difference = first_difference(record, compared)
    if difference is not None:
      key, recorded = difference
      raise errors.OutputError(
          f"{out_dir} holds results of other settings: {key} is "
          f"{_shown(recorded)} in {os.path.basename(path)} but "
          f"{_shown(compared.get(key, _MISSING))} in this run; rerun with "
          "--overwrite (overwrite=True) to replace them, or choose another "
          "--out")
    kept.add(k)
  return kept


def kept_by_layer(out_dir: str, backbone: feature_model.Backbone,
                  layers: Iterable[str], run: records.RunRecord,
                  overwrite: bool = False) -> dict[str, set[int]]:
  """`kept_filters` of each layer of a run on `backbone`.

  Args:
    out_dir: the atlas directory (it need not exist yet).
    backbone: the network.
    layers: the run's layers.
    run: what the run writes into every record (`invert.run_record`).
    overwrite: keep nothing.

  Raises:
    OutputError: as `kept_filters`.
  """
  return {layer: kept_filters(
      out_dir, layer, backbone.num_filters(layer),
      run.at_layer(**filters.layer_record(backbone, layer)), overwrite)
          for layer in layers}


def claimed_settings(backbone: feature_model.Backbone, layer: str,
                     run: records.RunRecord) -> dict[str, Any]:
  """What an atlas directory's claim holds (`fmi_tf.io.ownership`): the
  compared settings of a run on `backbone` (any of its layers), less the
  layer's depth."""
  settings = run.at_layer(**filters.layer_record(backbone, layer))
  return compared_settings(dataclasses.replace(settings, layer_index=None))


def matching_filters(out_dir: str, layer: str, filter_ids: Iterable[int],
                     settings: records.RunRecord) -> set[int]:
  """The filters of `filter_ids` finished in `out_dir` with `settings`.

  What a worker of a checked run skips (`kept_filters` refused or cleared
  other settings before the run began): a filter whose PNG and record are
  present and whose record matches; an unreadable record, or one of other
  settings being overwritten, does not match.

  Args:
    out_dir: the atlas directory.
    layer: the layer's name.
    filter_ids: the filters to look at.
    settings: as for `kept_filters`.
  """
  compared = compared_settings(settings)
  return {k for k, _, record in _finished_records(out_dir, layer, filter_ids)
          if record is not None and first_difference(record, compared) is None}


def _shown(value: Any) -> str:
  if value is _MISSING:
    return "not set"
  if isinstance(value, str) and len(value) > 32:  # a digest
    return json.dumps(value[:12] + "...")
  return json.dumps(value)

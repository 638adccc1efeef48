"""What a site shows, read from atlas and examples directories, gaps kept.

An atlas directory holds `<layer>_<filter:04d>.png` and `.json` per filter
(see `atlas.layout`). Each filter found by either file becomes a `Filter`;
a missing or unreadable PNG or record, a filter index never written below
the largest one, or a layer's examples that are missing or unreadable is a
gap, noted on the filter and listed (`Gap`), never a failure: the site shows
what is there. Several atlas directories (a pixel and a Fourier inversion of
the same network) give each filter one inversion per directory, labelled by
the parameterisation its record names.

Measures per filter: those of `texture_measures` (read from the record's
`texture_measures` when fmi-atlas-stats wrote them, else computed), the
inversion's energy-share gain, and, with examples, the mean and top
activation over the dataset and the preferred class.

The directories are not trusted (`io.untrusted`, `io.records`,
`site_records`): a file name whose layer is not safely named (`io.paths`) or
whose filter index passes `site_records.MAX_FILTERS` is ignored and listed;
a link out of the directory, a special file, a file past its size limit, an
image past `MAX_INVERSION_PIXELS` (or a crops sheet past `MAX_SHEET_PIXELS`)
and a record with a field of the wrong type are gaps.
"""

import dataclasses
import os
import re
from typing import Optional, Sequence

import numpy as np

from fmi_tf import errors
from fmi_tf.atlas import layer_order
from fmi_tf.atlas import texture_measures
from fmi_tf.io import images as image_io
from fmi_tf.io import paths
from fmi_tf.io import records
from fmi_tf.io import untrusted
from fmi_tf.microscope import examples_files
from fmi_tf.microscope import site_records

_FILE = re.compile(r"^(?P<layer>.+)_(?P<filter>\d{4,})\.(?P<ext>png|json)$")
# The largest inversion fmi-atlas writes (its size bound), and the largest
# image any tool reads.
MAX_INVERSION_PIXELS = 4096 * 4096
MAX_SHEET_PIXELS = image_io.MAX_PIXELS
# Ignored file names listed in full before "and N more".
_LISTED = 5


@dataclasses.dataclass
class Inversion:
  """One inversion of a filter: its image and what made it."""
  label: str
  image: Optional[np.ndarray]  # uint8 [H, W, 3], None when unreadable
  source: str
  directory: int = 0  # the index of its atlas directory


@dataclasses.dataclass
class Filter:
  """Everything a site shows of one filter."""
  layer: str
  index: int
  inversions: list[Inversion] = dataclasses.field(default_factory=list)
  record: records.FilterRecord = dataclasses.field(
      default_factory=records.FilterRecord)
  measures: dict = dataclasses.field(default_factory=dict)
  examples: Optional[dict] = None
  sheet: Optional[str] = None
  gaps: list[str] = dataclasses.field(default_factory=list)

  @property
  def image(self) -> Optional[np.ndarray]:
    """The first readable inversion."""
    return next((i.image for i in self.inversions if i.image is not None),
                None)


@dataclasses.dataclass
class Layer:
  name: str
  filters: list[Filter]
  class_names: tuple[str, ...] = ()
  receptive_field: Optional[dict] = None
  gaps: list[str] = dataclasses.field(default_factory=list)


def _scan(atlas_dir: str, ignored: list[str]
          ) -> dict[str, dict[int, set[str]]]:
  """{layer: {filter: {"png", "json"}}} of the files present; the names
  that look like results but name no safe layer or a filter past
  `site_records.MAX_FILTERS` are added to `ignored`."""
  found = {}
  for name in os.listdir(atlas_dir):
    match = _FILE.match(name)
    if not match:
      continue
    index = int(match["filter"])
    if (not paths.is_safe_name(match["layer"])
        or index >= site_records.MAX_FILTERS):
      ignored.append(name)
      continue
    found.setdefault(match["layer"], {}).setdefault(index, set()).add(
        match["ext"])
  return found


class Atlases:
  """Atlas directories of one network, read one layer at a time."""

  def __init__(self, atlas_dirs: Sequence[str],
               examples_dir: Optional[str] = None):
    """Finds the layers and the files present.

    Args:
      atlas_dirs: atlas directories of one network; the first one's records
        give the measures.
      examples_dir: a dataset-examples directory, or None.

    Raises:
      ArgumentError: if an atlas directory is missing, or none holds a
        filter.
    """
    self.dirs = list(atlas_dirs)
    self.examples_dir = examples_dir
    self._scans = []
    ignored = []
    for atlas_dir in self.dirs:
      if not os.path.isdir(atlas_dir):
        raise errors.ArgumentError(f"atlas directory not found: {atlas_dir}")
      self._scans.append(_scan(atlas_dir, ignored))
    self.gaps = []
    if ignored:
      listed = ", ".join(repr(n) for n in sorted(ignored)[:_LISTED])
      more = len(ignored) - _LISTED
      self.gaps.append(
          f"ignored {len(ignored)} files named for no safely named layer or "
          f"a filter past {site_records.MAX_FILTERS - 1}: {listed}"
          + (f" and {more} more" if more > 0 else ""))
    names = sorted({n for scan in self._scans for n in scan})
    if not names:
      raise errors.ArgumentError(
          "no inverted filters (<layer>_<filter>.png and .json) in "
          + ", ".join(self.dirs))
    self.layers = layer_order.depth_order({n: self._depth(n) for n in names})

  def _depth(self, name: str) -> Optional[int]:
    for atlas_dir, scan in zip(self.dirs, self._scans):
      for k in sorted(scan.get(name, {})):
        if "json" not in scan[name][k]:
          continue
        try:
          record = records.read_filter_record(paths.join_under(
              atlas_dir, f"{name}_{k:04d}.json"), atlas_dir)
        except errors.RecordError:
          continue
        if record.run.layer_index is not None:
          return record.run.layer_index
    return None

  def layer(self, name: str) -> Layer:
    """One layer's filters, every index up to the largest found."""
    examples, gap = _layer_examples(self.examples_dir, name)
    count = max(max(scan.get(name, {-1: None})) + 1 for scan in self._scans)
    if examples:
      count = max(count, len(examples["filters"]))
    filters = [_filter(name, k, self.dirs, self._scans, examples,
                       self.examples_dir) for k in range(count)]
    return Layer(name, filters,
                 tuple(examples["class_names"]) if examples else (),
                 examples["receptive_field"] if examples else None,
                 [gap] if gap else [])


def _layer_examples(examples_dir: Optional[str],
                    layer: str) -> tuple[Optional[dict], Optional[str]]:
  """A layer's examples record with the classes, or None and why not."""
  if not examples_dir:
    return None, None
  path = examples_files.layer_path(examples_dir, layer)
  if not os.path.lexists(path):
    return None, f"no dataset examples in {examples_dir}"
  try:
    summary = read_summary(examples_dir)
    record = records.read_object(path, examples_dir)
    return site_records.examples_layer(record, summary["class_names"]), None
  except errors.RecordError as e:
    return None, f"dataset examples unreadable: {e}"


def read_summary(examples_dir: str) -> dict:
  """The fields of an examples directory's summary that a site shows.

  Raises:
    RecordError: if it is missing, unsafe to read or malformed.
  """
  return site_records.summary(records.read_object(
      paths.join_under(examples_dir, examples_files.SUMMARY), examples_dir))


def _filter(layer: str, k: int, atlas_dirs, scans, examples,
            examples_dir) -> Filter:
  result = Filter(layer, k)
  for i, (atlas_dir, scan) in enumerate(zip(atlas_dirs, scans)):
    stem = paths.join_under(atlas_dir, f"{layer}_{k:04d}")
    present = scan.get(layer, {}).get(k, set())
    if not present:
      if i == 0 or len(atlas_dirs) == 1:
        result.gaps.append("not inverted (no PNG, no record)")
      continue
    record = records.FilterRecord()
    if "json" in present:
      try:
        record = records.read_filter_record(stem + ".json", atlas_dir)
      except errors.RecordError as e:
        result.gaps.append(f"record unreadable: {e}")
    else:
      result.gaps.append("record missing")
    if i == 0:
      result.record = record
    image = None
    if "png" in present:
      try:
        image = untrusted.read_rgb(atlas_dir, stem + ".png",
                                   MAX_INVERSION_PIXELS)
      except untrusted.UntrustedFileError as e:
        result.gaps.append(f"image unreadable: {e}")
    else:
      result.gaps.append("image missing")
    result.inversions.append(Inversion(
        record.run.param or f"atlas {i + 1}", image, stem + ".png", i))
  _measure(result)
  if examples is not None:
    _attach_examples(result, examples, examples_dir)
  return result


def _measure(result: Filter) -> None:
  stored = result.record.texture_measures or {}
  if set(texture_measures.MEASURES) <= set(stored) and all(
      site_records.is_number(stored[m]) for m in texture_measures.MEASURES):
    result.measures.update({m: stored[m] for m in texture_measures.MEASURES})
  elif result.image is not None:
    result.measures.update(texture_measures.measure(result.image / 255.0))
  if result.record.finite_gain is not None:
    result.measures["energy_share_gain"] = result.record.finite_gain


def _attach_examples(result: Filter, examples: dict,
                     examples_dir: str) -> None:
  entries = examples["filters"]
  if result.index >= len(entries):
    result.gaps.append("no dataset examples")
    return
  entry = entries[result.index]
  result.examples = entry
  for key in ("mean_activation", "max_activation"):
    if entry.get(key) is not None:
      result.measures[key] = entry[key]
  if entry.get("preferred_class"):
    result.measures["preferred_class"] = entry["preferred_class"]
  result.sheet = examples_files.sheet_path(examples_dir, result.layer,
                                          result.index)

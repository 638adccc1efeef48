"""The records of an inversion, and the one reader of JSON records.

Every inverted filter has a record (`FilterRecord`, written as
`<layer>_<filter:04d>.json` beside its picture, and returned by
`fmi_tf.invert`): what the inversion gave (loss, steps, seconds, the
filter's energy share before and after) and how it was made (`RunRecord`:
the network and the layer's depth in it, the image, its size and every
setting), with the record's `schema_version`. On disk a record is one flat
JSON object; `to_dict` writes it and `from_dict` reads it back.

`from_dict` checks every field it knows by type and keeps the fields it does
not know as they are (`extra`), so a record read and written again loses
nothing. A record without `schema_version` was written before the field
existed and reads as version 1; one of a newer or unknown schema is refused.

One reader, one policy: `read_object` (and `read_filter_record` over it)
reads every JSON record, whoever wrote it, within bounds: the file must lie
under its root once every link is resolved, be a regular file and hold at
most `untrusted.MAX_RECORD_BYTES` (see `io.untrusted`). Whatever is wrong (a
missing or unreadable file, bytes that are no JSON object, a field of the
wrong type, a newer schema) raises `errors.RecordError` with one line naming
the file; the caller decides what a bad record means (a filter to invert
again, a gap in a site, a refused run).
"""

import dataclasses
import json
import math
import numbers
import os
from typing import Any, Mapping, Optional

from fmi_tf import errors
from fmi_tf.io import untrusted

SCHEMA_VERSION = 1


def read_object(path: str, root: Optional[str] = None) -> dict:
  """The JSON object in the file `path`.

  Examples:
    >>> read_object("atlas/conv1_0000.json")

  Args:
    path: the file.
    root: the directory it must lie under, links resolved (default: the
      file's own directory).

  Raises:
    RecordError: if the file leads out of `root`, is not a regular file, is
      larger than `untrusted.MAX_RECORD_BYTES`, cannot be read or holds no
      JSON object.
  """
  root = (os.path.dirname(path) or ".") if root is None else root
  try:
    data = untrusted.read_bytes(root, path, untrusted.MAX_RECORD_BYTES)
  except untrusted.UntrustedFileError as e:
    raise errors.RecordError(str(e)) from None
  try:
    record = json.loads(data.decode("utf8"))
  except (UnicodeDecodeError, ValueError, RecursionError) as e:
    raise errors.RecordError(f"{path} is not JSON: {e}") from None
  if not isinstance(record, dict):
    raise errors.RecordError(f"{path} is not a JSON object")
  return record


def _fail(where: str, field: str, what: str):
  raise errors.RecordError(f"{where}: {field} is not {what}")


def _is_number(value) -> bool:
  return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_integer(value) -> bool:
  return isinstance(value, int) and not isinstance(value, bool)


# A field's check and the words naming what it must be, by kind.
_CHECKS = {
    "text": (lambda v: isinstance(v, str), "text"),
    "number": (_is_number, "a number"),
    "count": (lambda v: _is_integer(v) and v >= 0,
              "an integer of at least 0"),
    "flag": (lambda v: isinstance(v, bool), "true or false"),
    "object": (lambda v: isinstance(v, dict), "an object"),
    "measures": (lambda v: isinstance(v, dict) and all(
        isinstance(k, str) and _is_number(x) for k, x in v.items()),
                 "an object of numbers"),
}


def _checked(record: Mapping, kinds: Mapping[str, str], where: str) -> dict:
  """The fields of `record` named in `kinds`, each checked (None allowed)."""
  fields = {}
  for name, kind in kinds.items():
    value = record.get(name)
    check, what = _CHECKS[kind]
    if value is not None and not check(value):
      _fail(where, name, what)
    fields[name] = value
  return fields


def _schema_version(record: Mapping, where: str) -> int:
  version = record.get("schema_version", 1)
  if not _is_integer(version) or version < 1:
    _fail(where, "schema_version", "a schema version (an integer from 1)")
  if version > SCHEMA_VERSION:
    raise errors.RecordError(
        f"{where}: a record of schema version {version}, newer than "
        f"{SCHEMA_VERSION}, the newest this fmi_tf reads: upgrade fmi_tf")
  return version


def _written(fields: Mapping[str, Any]) -> dict:
  return {name: value for name, value in fields.items() if value is not None}


@dataclasses.dataclass(frozen=True)
class RunRecord:
  """How the filters of a run were inverted: what every record carries.

  Fields are None where a record does not say (a record of an older
  version, or one written by hand).

  Attributes:
    network: the network as `networks.record` gives it plus the source of
      its weights (`"weights"`).
    layer_index: the layer's depth in the network (`Backbone.depth`), by
      which a directory read back without the network orders its layers.
    image: how the image was given: its path, `default:chelsea` or
      `in-memory image`.
    image_sha256: the digest of the pixels inverted (`invert.image_digest`).
    size: the image's side, pixels.
    square: whether the photo was cut to a central square.
    mode: the inversion's mode.
    parameters: every setting (`InversionConfig.record`).
    schema_version: the record's schema version.
  """
  network: Optional[dict] = None
  layer_index: Optional[int] = None
  image: Optional[str] = None
  image_sha256: Optional[str] = None
  size: Optional[int] = None
  square: Optional[bool] = None
  mode: Optional[str] = None
  parameters: Optional[dict] = None
  schema_version: int = SCHEMA_VERSION

  _KINDS = {"network": "object", "layer_index": "count", "image": "text",
            "image_sha256": "text", "size": "count", "square": "flag",
            "mode": "text", "parameters": "object"}

  @property
  def param(self) -> Optional[str]:
    """The parameterisation's name among the parameters, if recorded."""
    param = (self.parameters or {}).get("param")
    return param if isinstance(param, str) else None

  def at_layer(self, network: dict, layer_index: int) -> "RunRecord":
    """The run's record for one layer (see `filters.layer_record`)."""
    return dataclasses.replace(self, network=network, layer_index=layer_index)

  def to_dict(self) -> dict:
    """The JSON-ready fields, those not recorded left out."""
    return _written({"schema_version": self.schema_version,
                     **{name: getattr(self, name) for name in self._KINDS}})

  @classmethod
  def from_dict(cls, record: Mapping, where: str = "record") -> "RunRecord":
    """Reads the run's fields of a record, checked (others are ignored).

    Args:
      record: a JSON object.
      where: the record's name in messages (its path).

    Raises:
      RecordError: if a field is of the wrong type or the schema is newer
        or unknown.
    """
    if not isinstance(record, Mapping):
      raise errors.RecordError(f"{where} is not a JSON object")
    return cls(**_checked(record, cls._KINDS, where),
               schema_version=_schema_version(record, where))


@dataclasses.dataclass(frozen=True)
class FilterRecord:
  """The record of one inverted filter.

  Attributes:
    layer: the network's name of the layer.
    filter: the filter's index.
    loss: the final objective value.
    steps: the optimisation steps taken.
    seconds: the wall time of its batch, shared equally among its filters.
    energy_share_before: the filter's energy share in the image's code.
    energy_share_after: its share in the inverted image's code.
    energy_share_gain: after / before; None for a filter silent in the
      image, and `energy_share_gain_undefined` then says why.
    activated: whether the filter fires at all in the inverted image.
    energy_share_gain_undefined: why the gain is None, if it is.
    run: how it was made.
    texture_measures: {measure: value} of the picture, once
      `fmi-atlas-stats` measured it.
    extra: the fields this schema does not name, kept as read.
    schema_version: the record's schema version.
  """
  layer: Optional[str] = None
  filter: Optional[int] = None
  loss: Optional[float] = None
  steps: Optional[int] = None
  seconds: Optional[float] = None
  energy_share_before: Optional[float] = None
  energy_share_after: Optional[float] = None
  energy_share_gain: Optional[float] = None
  activated: Optional[bool] = None
  energy_share_gain_undefined: Optional[str] = None
  run: RunRecord = RunRecord()
  texture_measures: Optional[dict] = None
  extra: dict = dataclasses.field(default_factory=dict)
  schema_version: int = SCHEMA_VERSION

  _KINDS = {"layer": "text", "filter": "count", "loss": "number",
            "steps": "count", "seconds": "number",
            "energy_share_before": "number", "energy_share_after": "number",
            "energy_share_gain": "number", "activated": "flag",
            "energy_share_gain_undefined": "text"}

  @property
  def inactive(self) -> bool:
    """Whether the record says the inversion could not activate the
    filter (a record that does not say counts as active)."""
    return self.activated is False

  @property
  def finite_gain(self) -> Optional[float]:
    """The energy-share gain where it is a finite number, else None."""
    gain = self.energy_share_gain
    return float(gain) if gain is not None and math.isfinite(gain) else None

  def to_dict(self) -> dict:
    """The flat JSON object written to disk (fields not recorded left out;
    the gain written as null where the record says why it is undefined)."""
    record = {name: getattr(self, name) for name in self._KINDS
              if getattr(self, name) is not None or (
                  name == "energy_share_gain"
                  and self.energy_share_gain_undefined is not None)}
    return {"schema_version": self.schema_version, **record,
            **self.run.to_dict(),
            **_written({"texture_measures": self.texture_measures}),
            **self.extra}

  @classmethod
  def from_dict(cls, record: Mapping,
                where: str = "record") -> "FilterRecord":
    """Reads a filter's record, checked field by field.

    Examples:
      >>> FilterRecord.from_dict({"layer": "block1_conv1", "filter": 3})

    Args:
      record: a JSON object, as `to_dict` writes it.
      where: the record's name in messages (its path).

    Raises:
      RecordError: if a field is of the wrong type or the schema is newer
        or unknown.
    """
    run = RunRecord.from_dict(record, where)
    known = (set(cls._KINDS) | set(RunRecord._KINDS)
             | {"schema_version", "texture_measures"})
    return cls(**_checked(record, cls._KINDS, where), run=run,
               **_checked(record, {"texture_measures": "measures"}, where),
               extra={k: v for k, v in record.items() if k not in known},
               schema_version=run.schema_version)


def read_filter_record(path: str, root: Optional[str] = None
                       ) -> FilterRecord:
  """The filter's record in the file `path` (see `read_object`).

  Raises:
    RecordError: as `read_object` and `FilterRecord.from_dict`.
  """
  return FilterRecord.from_dict(read_object(path, root), path)

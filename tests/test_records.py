"""The per-filter and per-run records and their one reader."""

import json
import os

import numpy as np
import pytest

from fmi_tf import errors
from fmi_tf.atlas import layout
from fmi_tf.inversion import files
from fmi_tf.inversion import filter_result
from fmi_tf.io import records
from fmi_tf.io import untrusted

_WRITTEN = {
    "schema_version": 1, "layer": "block1_conv1", "filter": 3, "loss": 0.25,
    "steps": 20, "seconds": 1.5, "energy_share_before": 0.0,
    "energy_share_after": 0.5, "energy_share_gain": None, "activated": True,
    "energy_share_gain_undefined": "the filter is silent in the image",
    "network": {"network": "vgg19", "options": {}, "weights": "w.h5"},
    "layer_index": 1, "image": "cat.jpg", "image_sha256": "ab" * 32,
    "size": 128, "square": True, "mode": "gain",
    "parameters": {"param": "fourier", "steps": 20},
    "texture_measures": {"dominant_period": 4.0},
    "made_by": "a later tool"}


def test_a_written_record_reads_back_to_the_same_json():
  record = records.FilterRecord.from_dict(_WRITTEN)
  assert record.filter == 3 and record.run.layer_index == 1
  assert record.run.param == "fourier" and not record.inactive
  assert record.extra == {"made_by": "a later tool"}
  assert record.to_dict() == _WRITTEN
  assert list(record.to_dict()) == list(_WRITTEN)
  run = record.run
  assert records.RunRecord.from_dict(run.to_dict()) == run


def test_a_record_without_a_schema_version_reads_as_the_first():
  older = {k: v for k, v in _WRITTEN.items() if k != "schema_version"}
  assert records.FilterRecord.from_dict(older).schema_version == 1


def test_a_saved_result_reads_back_as_written(tmp_path):
  result = filter_result.FilterResult("block1_conv1", 2, np.zeros((4, 4, 3)),
                                      1.0, 10, 0.5, 0.1, 0.2)
  run = records.RunRecord(image="cat.jpg", size=4, square=True,
                          parameters={"param": "pixel"}).at_layer(
                              {"network": "vgg19"}, 1)
  written = files.save_result(str(tmp_path), result, run)
  path = files.filter_stem(str(tmp_path), "block1_conv1", 2) + ".json"
  on_disk = json.loads(open(path, encoding="utf8").read())
  assert on_disk["schema_version"] == records.SCHEMA_VERSION
  assert on_disk["energy_share_gain"] == pytest.approx(2.0)
  assert records.read_filter_record(path) == written
  assert written.run == run and written.inactive is False


@pytest.mark.parametrize("version", [2, 99])
def test_a_record_of_a_newer_schema_is_refused(version):
  with pytest.raises(errors.RecordError,
                     match=f"schema version {version}, newer than 1"):
    records.FilterRecord.from_dict({**_WRITTEN, "schema_version": version},
                                   "a.json")


@pytest.mark.parametrize("version", [0, "1", 1.0, None, True])
def test_a_record_of_an_unknown_schema_is_refused(version):
  with pytest.raises(errors.RecordError, match="a.json: schema_version"):
    records.RunRecord.from_dict({"schema_version": version}, "a.json")


@pytest.mark.parametrize("field, value, what", [
    ("filter", "3", "an integer of at least 0"),
    ("filter", -1, "an integer of at least 0"),
    ("filter", True, "an integer of at least 0"),
    ("loss", "low", "a number"),
    ("activated", 1, "true or false"),
    ("layer_index", 1.5, "an integer of at least 0"),
    ("network", "vgg19", "an object"),
    ("parameters", [1], "an object"),
    ("square", "yes", "true or false"),
    ("texture_measures", {"dominant_period": "4"}, "an object of numbers"),
])
def test_a_field_of_the_wrong_type_is_refused(field, value, what):
  with pytest.raises(errors.RecordError) as refused:
    records.FilterRecord.from_dict({**_WRITTEN, field: value}, "a.json")
  assert str(refused.value) == f"a.json: {field} is not {what}"


def test_the_reader_refuses_what_is_no_record_in_one_line(tmp_path):
  (tmp_path / "list.json").write_text("[1]")
  (tmp_path / "broken.json").write_text('{"filter": ')
  (tmp_path / "typed.json").write_text('{"filter": "x"}')
  (tmp_path / "newer.json").write_text('{"schema_version": 7}')
  outside = tmp_path.parent / f"{tmp_path.name}_outside.json"
  outside.write_text("{}")
  (tmp_path / "link.json").symlink_to(outside)
  os.mkfifo(tmp_path / "fifo.json")
  for name, message in [("list", "not a JSON object"), ("broken", "not JSON"),
                        ("typed", "filter is not"), ("newer", "newer"),
                        ("link", "leads out of"),
                        ("fifo", "not a regular file"),
                        ("missing", "cannot open")]:
    path = str(tmp_path / f"{name}.json")
    with pytest.raises(errors.RecordError, match=message) as refused:
      records.read_filter_record(path)
    assert "\n" not in str(refused.value)
    assert layout.read_record(path) is None


def test_the_reader_refuses_a_record_past_its_size(tmp_path, monkeypatch):
  monkeypatch.setattr(untrusted, "MAX_RECORD_BYTES", 16)
  path = tmp_path / "big.json"
  path.write_text(json.dumps({"layer": "x" * 32}))
  with pytest.raises(errors.RecordError, match="more than the limit of 16"):
    records.read_object(str(path))

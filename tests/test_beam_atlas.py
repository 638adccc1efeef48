"""The atlas as a Beam pipeline: the bytes of draw_atlas, on 2 processes.

The pipelines run on Beam's DirectRunner with 2 worker processes
(`multi_processing`); the tests that need Apache Beam are marked `beam`:
skipped without the [beam] extra, selected by `pytest -m beam`.
"""

import filecmp
import json
import os
import sys

import pytest

from fmi_tf import errors
from fmi_tf.atlas import layout
from fmi_tf.beam import options
from fmi_tf.inversion import files
from fmi_tf.io import outputs
from tests import beam_runs
from tests import tiny_vgg
from tests import tool_runs


def _files(out: str) -> list[str]:
  return sorted(n for n in os.listdir(out) if not n.startswith("."))


def _assert_same_atlas(out: str, expected: str) -> None:
  """The same files; the same bytes but for the JSON records' timings."""
  assert _files(out) == _files(expected)
  for name in _files(expected):
    if name.endswith(".json"):
      records = []
      for directory in (out, expected):
        with open(os.path.join(directory, name), encoding="utf8") as f:
          records.append({k: v for k, v in json.load(f).items()
                          if k != "seconds"})
      assert records[0] == records[1], name
    else:
      assert filecmp.cmp(os.path.join(out, name),
                         os.path.join(expected, name), shallow=False), name


@pytest.mark.beam
@pytest.mark.slow
def test_two_worker_processes_write_the_single_process_atlas(
    tiny_keras, single_process_atlas, tmp_path):
  # pylint: disable=import-outside-toplevel
  from fmi_tf.beam import atlas
  out = str(tmp_path / "atlas")
  result = atlas.draw_atlas_beam(
      tiny_keras, beam_runs.LAYERS, out, pipeline_args=beam_runs.TWO_PROCESSES,
      **beam_runs.ATLAS_SETTINGS)
  assert result.inverted == 4 + 6
  assert result.grids == tuple(
      os.path.join(out, f"{n}.png") for n in beam_runs.LAYERS)
  _assert_same_atlas(out, single_process_atlas)
  assert not [n for n in os.listdir(out) if n.endswith(".part")]


def _dying_chunk_class():
  """An InvertChunk that dies once, as a killed worker, between the PNG and
  the JSON of block2_conv1's filter 1 (after filter 0 of its chunk)."""
  # pylint: disable=import-outside-toplevel
  from fmi_tf.beam import atlas_transforms

  class DiesOnce(atlas_transforms.InvertChunk):

    def __init__(self, plan, marker):
      super().__init__(plan)
      self._marker = marker

    def save(self, result, settings):
      if (result.layer, result.filter) == ("block2_conv1", 1) and (
          not os.path.exists(self._marker)):
        stem = files.filter_stem(self._out, result.layer, result.filter)
        outputs.write_png(stem + ".png", result.image)
        open(self._marker, "w", encoding="utf8").close()
        os._exit(1)
      super().save(result, settings)

  return DiesOnce


@pytest.mark.beam
@pytest.mark.slow
@pytest.mark.filterwarnings(
    "ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_an_item_of_a_killed_worker_is_redone_with_nothing_written_twice(
    tiny_keras, single_process_atlas, tmp_path):
  # pylint: disable=import-outside-toplevel
  import apache_beam as beam
  from fmi_tf.beam import atlas
  from fmi_tf.beam import atlas_transforms
  out = str(tmp_path / "atlas")
  marker = str(tmp_path / "killed")
  plan = atlas.plan_atlas(tiny_keras, beam_runs.LAYERS, out,
                          **beam_runs.ATLAS_SETTINGS)
  dies_once = _dying_chunk_class()(plan, marker)
  with pytest.raises(Exception):
    with beam.Pipeline(
        options=options.pipeline_options(beam_runs.TWO_PROCESSES)) as pipeline:
      atlas_transforms.atlas_pipeline(pipeline, plan, dies_once)
  assert os.path.exists(marker)
  stem = files.filter_stem(out, "block2_conv1", 0)
  assert layout.is_done(out, "block2_conv1", 0)
  assert not layout.is_done(out, "block2_conv1", 1)
  kept = {p: os.stat(p).st_ino for p in (stem + ".png", stem + ".json")}

  atlas.draw_atlas_beam(
      tiny_keras, beam_runs.LAYERS, out, pipeline_args=beam_runs.TWO_PROCESSES,
      **beam_runs.ATLAS_SETTINGS)
  _assert_same_atlas(out, single_process_atlas)
  assert {p: os.stat(p).st_ino for p in kept} == kept  # not rewritten
  assert not [n for n in os.listdir(out) if n.endswith(".part")]


@pytest.mark.beam
def test_a_rerun_plans_only_what_is_not_on_disk(tiny_keras,
                                                single_process_atlas):
  # pylint: disable=import-outside-toplevel
  from fmi_tf.beam import atlas
  plan = atlas.plan_atlas(tiny_keras, beam_runs.LAYERS, single_process_atlas,
                          **beam_runs.ATLAS_SETTINGS)
  assert plan.items == () and plan.pending == 0
  record = files.filter_stem(single_process_atlas, "block2_conv1", 4)
  os.rename(record + ".json", record + ".json.away")
  try:
    plan = atlas.plan_atlas(tiny_keras, beam_runs.LAYERS, single_process_atlas,
                            **beam_runs.ATLAS_SETTINGS)
  finally:
    os.rename(record + ".json.away", record + ".json")
  assert plan.items == (("block2_conv1", (3, 4, 5)),)
  assert plan.num_filters == {"block1_conv1": 4, "block2_conv1": 6}


@pytest.mark.beam
def test_a_rerun_of_other_settings_is_refused_unless_overwriting(
    tiny_keras, single_process_atlas):
  # pylint: disable=import-outside-toplevel
  from fmi_tf.beam import atlas
  before = sorted(os.listdir(single_process_atlas))
  other = {**beam_runs.ATLAS_SETTINGS, "steps": 6}
  with pytest.raises(errors.OutputError,
                     match="other settings: parameters.steps is 4 .* but 6"):
    atlas.plan_atlas(tiny_keras, beam_runs.LAYERS, single_process_atlas,
                     **other)
  plan = atlas.plan_atlas(tiny_keras, beam_runs.LAYERS, single_process_atlas,
                          overwrite=True, **other)
  assert plan.pending == 4 + 6
  assert sorted(os.listdir(single_process_atlas)) == before


@pytest.mark.beam
def test_an_output_holding_another_networks_atlas_is_refused(
    single_process_atlas, tmp_path):
  # pylint: disable=import-outside-toplevel
  from fmi_tf.beam import atlas
  other = str(tmp_path / "other.keras")
  tiny_vgg.tiny_vgg19_model(seed=1).save(other)
  before = sorted(os.listdir(single_process_atlas))
  with pytest.raises(errors.OutputError,
                     match="holds results of other settings: network"):
    atlas.plan_atlas(other, beam_runs.LAYERS, single_process_atlas,
                     **beam_runs.ATLAS_SETTINGS)
  assert sorted(os.listdir(single_process_atlas)) == before


@pytest.mark.beam
@pytest.mark.parametrize("args,phrase", [
    (["--runner=SparkRunnr"], "runner must be one of DirectRunner"),
    (["--no_such_option=1"], "unknown Beam option --no_such_option=1"),
    (["--direct_num_workers=two"], "bad Beam option"),
])
def test_bad_pipeline_options_are_refused(args, phrase):
  with pytest.raises(errors.ArgumentError, match=phrase):
    options.pipeline_options(args)


@pytest.mark.beam
def test_pipeline_options_pass_through():
  parsed = options.pipeline_options(beam_runs.TWO_PROCESSES).get_all_options()
  assert parsed["runner"] == "DirectRunner"
  assert parsed["direct_num_workers"] == 2
  assert parsed["direct_running_mode"] == "multi_processing"
  assert options.pipeline_options([]).get_all_options()["runner"] == (
      options.DEFAULT_RUNNER)


def test_without_beam_the_library_imports_and_says_which_extra(monkeypatch,
                                                              tmp_path):
  monkeypatch.setitem(sys.modules, "apache_beam", None)  # import fails
  # pylint: disable=import-outside-toplevel
  from fmi_tf.beam import atlas
  from fmi_tf.beam import encoding
  out = tmp_path / "out"
  with pytest.raises(errors.ArgumentError, match=r'fmi_tf\[beam\]'):
    atlas.draw_atlas_beam("vgg19", "all", str(out))
  with pytest.raises(errors.ArgumentError, match=r'fmi_tf\[beam\]'):
    encoding.encode_dataset_beam("vgg19", "folder:x", str(out))
  assert not out.exists()


@pytest.mark.slow
@pytest.mark.parametrize("args,hide_beam,phrase", [
    pytest.param(["--runner=Nope"], False, "runner must be one of",
                 marks=pytest.mark.beam),
    pytest.param(["--not_a_beam_flag"], False,
                 "unknown Beam option --not_a_beam_flag",
                 marks=pytest.mark.beam),
    ([], True, 'pip install "fmi_tf[beam]"'),
])
def test_bad_tool_input_is_one_line_and_writes_nothing(
    args, hide_beam, phrase, tiny_keras, tmp_path):
  out = tmp_path / "out"
  process = tool_runs.run_tool(
      "fmi-atlas-beam", f"--model={tiny_keras}", "--layers=block1_conv1",
      "--size=16", "--steps=2", f"--out={out}", *args,
      env=tool_runs.without_beam(tmp_path / "hidden") if hide_beam else None)
  tool_runs.assert_one_line_error(process, "fmi-atlas-beam", phrase)
  assert not out.exists()


@pytest.mark.beam
@pytest.mark.slow
def test_the_tool_refuses_another_networks_atlas(single_process_atlas,
                                                 tmp_path):
  other = str(tmp_path / "other.keras")
  tiny_vgg.tiny_vgg19_model(seed=1).save(other)
  before = sorted(os.listdir(single_process_atlas))
  process = tool_runs.run_tool("fmi-atlas-beam", f"--model={other}",
                               "--layers=block1_conv1", "--size=24",
                               "--steps=4", f"--out={single_process_atlas}")
  tool_runs.assert_one_line_error(
      process, "fmi-atlas-beam", "holds results of other settings: network")
  assert sorted(os.listdir(single_process_atlas)) == before

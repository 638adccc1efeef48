"""Dataset examples and the site from the Beam atlas pipeline, on 2 processes.

The pipelines run on Beam's DirectRunner with 2 worker processes
(`multi_processing`); the tests that need Apache Beam are marked `beam`:
skipped without the [beam] extra, selected by `pytest -m beam`.
"""

import os

import numpy as np
from PIL import Image
import pytest

from fmi_tf import errors
from fmi_tf.microscope import examples
from fmi_tf.microscope import examples_files
from fmi_tf.microscope import examples_state
from fmi_tf.nets import networks
from tests import beam_runs
from tests import dying_shards
from tests import noise_folders
from tests import same_outputs
from tests import tiny_vgg
from tests import tool_runs


@pytest.fixture(scope="module")
def other_keras(tmp_path_factory):
  path = str(tmp_path_factory.mktemp("net") / "other.keras")
  tiny_vgg.tiny_vgg19_model(seed=1).save(path)
  return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
  """Seven 30 x 36 pictures of two classes: dark noise and bright stripes."""
  return "folder:" + noise_folders.noise_classes(
      tmp_path_factory.mktemp("data"), {"dark": 3, "stripes": 4},
      striped=("stripes",))


def _single_process(model, folder, out):
  examples.dataset_examples(networks.load(model), beam_runs.LAYERS, folder, out,
                            progress=False, **beam_runs.EXAMPLES_OPTIONS)
  return out


@pytest.fixture(scope="module")
def single_process_examples(tiny_keras, folder, tmp_path_factory):
  return _single_process(tiny_keras, folder,
                         str(tmp_path_factory.mktemp("single")))


def _left_in_shard(out: str, key: str, index: int, count: int,
                   images: int) -> int:
  """The images of shard `index` of `count` (over `images`) not passed yet."""
  state = examples_state.load(examples_state.path(out, key, index, count),
                              beam_runs.LAYERS)
  mine = np.arange(index, images, count)
  return len(mine) - (int(state.done[mine].sum()) if state else 0)


def _files(out: str) -> list[str]:
  """Every file but the hidden state's, relative to `out`."""
  found = []
  for root, dirs, names in os.walk(out):
    dirs[:] = [d for d in dirs if not d.startswith(".")]
    found += [os.path.relpath(os.path.join(root, n), out) for n in names]
  return sorted(found)


def _contents(out: str) -> dict[str, bytes]:
  """{name: bytes} of every file but the hidden state's."""
  contents = {}
  for name in _files(out):
    with open(os.path.join(out, name), "rb") as f:
      contents[name] = f.read()
  return contents


def _assert_same_examples(out: str, expected: str) -> None:
  """The same files (sheets, layer records, summary): records up to
  rounding, the rest byte for byte; nothing half-written."""
  assert len(_files(expected)) == 1 + len(beam_runs.LAYERS) + 4 + 6
  same_outputs.assert_same_files(_contents(expected), _contents(out))
  assert not [n for _, _, names in os.walk(out) for n in names
              if n.endswith(".part")]


@pytest.mark.beam
@pytest.mark.slow
def test_two_worker_processes_write_the_single_process_examples(
    tiny_keras, folder, single_process_examples, tmp_path):
  # pylint: disable=import-outside-toplevel
  from fmi_tf.beam import examples as beam_examples
  out = str(tmp_path / "examples")
  result = beam_examples.dataset_examples_beam(
      tiny_keras, beam_runs.LAYERS, folder, out, shards=3,
      pipeline_args=beam_runs.TWO_PROCESSES, **beam_runs.EXAMPLES_OPTIONS)
  assert (result.shards, result.ran, result.complete) == (3, 3, True)
  _assert_same_examples(out, single_process_examples)
  again = beam_examples.plan_examples(tiny_keras, beam_runs.LAYERS, folder, out,
                                      shards=3, **beam_runs.EXAMPLES_OPTIONS)
  assert again.written and again.items == ()


@pytest.mark.beam
@pytest.mark.slow
@pytest.mark.filterwarnings(
    "ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_killed_workers_shard_resumes_with_nothing_counted_twice(
    tiny_keras, folder, single_process_examples, tmp_path):
  # pylint: disable=import-outside-toplevel
  import apache_beam as beam
  from apache_beam.testing import util
  from fmi_tf.beam import examples as beam_examples
  from fmi_tf.beam import examples_transforms
  from fmi_tf.beam import options
  out = str(tmp_path / "examples")
  marker = str(tmp_path / "killed")
  options_ = {**beam_runs.EXAMPLES_OPTIONS, "checkpoint_images": 2}
  plan = beam_examples.plan_examples(tiny_keras, beam_runs.LAYERS, folder, out,
                                     shards=3, **options_)
  with pytest.raises(Exception):
    with beam.Pipeline(
        options=options.pipeline_options(beam_runs.TWO_PROCESSES)) as pipeline:
      examples_transforms.examples_pipeline(
          pipeline, plan, dying_shards.dying_shard_class()(plan, marker))
  assert os.path.exists(marker)
  assert not os.path.exists(os.path.join(out, examples_files.SUMMARY))
  state = examples_state.load(examples_state.path(out, plan.key, 0, 3),
                              beam_runs.LAYERS)
  assert not state.complete and state.done.sum() == 2

  again = beam_examples.plan_examples(tiny_keras, beam_runs.LAYERS, folder, out,
                                      shards=3, **options_)
  assert 0 in again.items
  # Shard 0 passes its last image; shards 1 and 2 (every third image from
  # the 2nd and 3rd of 7) what the killed run left of theirs: all, none, or
  # their images without the completing save.
  passed = sum(_left_in_shard(out, again.key, i, 3, 7) for i in again.items)
  assert passed >= 1
  with beam.Pipeline(
      options=options.pipeline_options(beam_runs.TWO_PROCESSES)) as pipeline:
    util.assert_that(examples_transforms.examples_pipeline(pipeline, again),
                     util.equal_to([passed]))
  _assert_same_examples(out, single_process_examples)


@pytest.mark.beam
@pytest.mark.slow
def test_the_atlas_pipeline_writes_the_examples_and_the_site(
    tiny_keras, folder, single_process_examples, tmp_path):
  # pylint: disable=import-outside-toplevel
  from fmi_tf.beam import atlas
  found, site = str(tmp_path / "examples"), str(tmp_path / "site")
  atlas.draw_atlas_beam(
      tiny_keras, beam_runs.LAYERS, str(tmp_path / "atlas"), size=16, steps=2,
      batch_size=3, pipeline_args=beam_runs.TWO_PROCESSES,
      examples_dataset=folder, examples_out=found,
      examples_options={"shards": 2, **beam_runs.EXAMPLES_OPTIONS},
      site_out=site)
  _assert_same_examples(found, single_process_examples)
  for layer, filters in (("block1_conv1", 4), ("block2_conv1", 6)):
    for f in range(filters):
      with open(os.path.join(site, layer, f"{f:04d}.html"),
                encoding="utf8") as page:
        assert f'src="crops/{f:04d}.png"' in page.read()
      with Image.open(os.path.join(site, layer, "crops",
                                   f"{f:04d}.png")) as shown, Image.open(
          os.path.join(found, layer, f"{f:04d}.png")) as sheet:
        np.testing.assert_array_equal(np.asarray(shown), np.asarray(sheet))
  with open(os.path.join(site, "index.html"), encoding="utf8") as index:
    assert "Dataset examples: 3 regions per filter from 7 images" in (
        index.read())


@pytest.mark.beam
def test_another_networks_examples_bad_shards_and_options_are_refused(
    tiny_keras, other_keras, folder, single_process_examples, tmp_path):
  # pylint: disable=import-outside-toplevel
  from fmi_tf.beam import atlas
  from fmi_tf.beam import examples as beam_examples
  before = _files(single_process_examples)
  with pytest.raises(errors.OutputError,
                     match="holds the dataset examples of another network"):
    beam_examples.plan_examples(other_keras, beam_runs.LAYERS, folder,
                                single_process_examples,
                                **beam_runs.EXAMPLES_OPTIONS)
  out = str(tmp_path / "out")
  for shards, phrase in ((0, "shards must be an integer from 1 to"),
                         ("2", "shards must be an integer from 1 to"),
                         (8, "8 shards for 7 images")):
    with pytest.raises(errors.ArgumentError, match=phrase):
      beam_examples.plan_examples(tiny_keras, beam_runs.LAYERS, folder, out,
                                  shards=shards, **beam_runs.EXAMPLES_OPTIONS)
  assert beam_examples.plan_examples(
      tiny_keras, beam_runs.LAYERS, folder, out,
      **beam_runs.EXAMPLES_OPTIONS).items == tuple(range(7))
  with pytest.raises(errors.ArgumentError, match="unknown Beam option"):
    beam_examples.dataset_examples_beam(
        tiny_keras, beam_runs.LAYERS, folder, out, pipeline_args=["--nope=1"])
  atlas_out = str(tmp_path / "atlas")
  for kwargs, phrase in (
      ({"examples_dataset": folder,
        "examples_out": single_process_examples},
       "holds the dataset examples of another network"),
      ({"examples_dataset": folder}, "give the dataset examples' dataset"),
      ({"examples_dataset": folder, "examples_out": out, "site_out": out},
       "the examples and the site need directories of their own"),
      ({"site_out": f"{single_process_examples}/{examples_files.SUMMARY}"},
       "cannot use site directory")):
    with pytest.raises(errors.FmiError, match=phrase):
      atlas.draw_atlas_beam(
          other_keras, beam_runs.LAYERS, atlas_out, size=16,
          examples_options=beam_runs.EXAMPLES_OPTIONS, **kwargs)
  assert not os.path.exists(out) and not os.path.exists(atlas_out)
  assert _files(single_process_examples) == before


@pytest.mark.beam
def test_an_unreadable_shard_state_is_refused_when_planning(
    tiny_keras, folder, tmp_path):
  # pylint: disable=import-outside-toplevel
  from fmi_tf.beam import examples as beam_examples
  out = str(tmp_path / "examples")
  examples.dataset_examples(
      tiny_keras, beam_runs.LAYERS, folder, out, shard=(1, 2), progress=False,
      **beam_runs.EXAMPLES_OPTIONS)
  plan = beam_examples.plan_examples(tiny_keras, beam_runs.LAYERS, folder, out,
                                     shards=2, **beam_runs.EXAMPLES_OPTIONS)
  assert plan.items == (0,) and not plan.written
  with open(examples_state.path(out, plan.key, 1, 2), "wb") as f:
    f.write(b"not an archive")
  with pytest.raises(errors.ArgumentError, match="cannot resume from"):
    beam_examples.plan_examples(
        tiny_keras, beam_runs.LAYERS, folder, out, shards=2,
        **beam_runs.EXAMPLES_OPTIONS)


@pytest.mark.beam
@pytest.mark.slow
@pytest.mark.parametrize("args,phrase", [
    (["--examples_shards=50"], "50 shards for 7 images"),
    (["--examples_shards=0"], "flag --examples_shards=0"),
    (["--nope=1"], "unknown Beam option --nope=1"),
    (["--examples_out="], "give the dataset examples' dataset"),
])
def test_bad_tool_input_is_one_line_and_writes_nothing(
    args, phrase, tiny_keras, folder, tmp_path):
  out, found = tmp_path / "atlas", tmp_path / "examples"
  process = tool_runs.run_tool(
      "fmi-atlas-beam", f"--model={tiny_keras}", "--layers=block1_conv1",
      "--size=16", "--steps=2", f"--out={out}",
      f"--examples_dataset={folder}", f"--examples_out={found}", *args)
  tool_runs.assert_one_line_error(process, "fmi-atlas-beam", phrase)
  assert not out.exists() and not found.exists()


@pytest.mark.beam
@pytest.mark.slow
def test_the_tool_refuses_another_networks_examples(
    other_keras, folder, single_process_examples, tmp_path):
  before = _files(single_process_examples)
  out = tmp_path / "atlas"
  process = tool_runs.run_tool(
      "fmi-atlas-beam", f"--model={other_keras}", "--layers=block1_conv1",
      "--size=16", "--steps=2", f"--out={out}",
      f"--examples_dataset={folder}",
      f"--examples_out={single_process_examples}", "--examples_k=3",
      "--examples_image_size=24")
  tool_runs.assert_one_line_error(
      process, "fmi-atlas-beam",
      "holds the dataset examples of another network")
  assert not out.exists()
  assert _files(single_process_examples) == before

"""The Beam pipelines where the workers share no disk: outputs and inputs on
an object store.

A local S3-compatible server (moto's, on 127.0.0.1; `tests.s3_server`)
stands for the store, and Beam's own S3 file system talks to it over
loopback, from the 2 worker processes of a multi-processing DirectRunner.
Marked `beam`: skipped without the [beam] extra.
"""

import io
import json
import os

import numpy as np
import pytest

from fmi_tf import errors
from fmi_tf.io import ownership
from fmi_tf.io import storage
from fmi_tf.microscope import examples
from fmi_tf.microscope import examples_files
from fmi_tf.microscope import examples_run
from fmi_tf.microscope import examples_state
from fmi_tf.microscope import site
from fmi_tf.nets import networks
from fmi_tf.recognition import encoder_config
from fmi_tf.recognition import layer_statistics
from tests import beam_runs
from tests import dying_shards
from tests import noise_folders
from tests import same_outputs
from tests import tiny_vgg
from tests import tool_runs

pytestmark = pytest.mark.beam


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
  """Seven 30 x 36 noise pictures of two classes."""
  return noise_folders.noise_classes(tmp_path_factory.mktemp("data"),
                                     {"dark": 3, "bright": 4})


def _local_files(out: str) -> dict[str, bytes]:
  """{relative path: bytes} of a directory's files but its locks."""
  found = {}
  for name in storage.list_names(out):
    if not name.endswith(".lock"):
      with open(os.path.join(out, name), "rb") as f:
        found[name] = f.read()
  return found


def _without_timings(files: dict[str, bytes]) -> dict[str, object]:
  """The files, JSON records without their `seconds` (a timing)."""
  same = {}
  for name, data in files.items():
    if name.endswith(".json") and not name.startswith("."):
      record = json.loads(data)
      if isinstance(record, dict):
        record.pop("seconds", None)
      same[name] = record
    else:
      same[name] = data
  return same


def _assert_same_atlas(objects: dict[str, bytes], expected: str) -> None:
  assert sorted(objects) == sorted(_local_files(expected))
  assert _without_timings(objects) == _without_timings(
      _local_files(expected))


def _args(server, *extra):
  return [*beam_runs.TWO_PROCESSES, *server.pipeline_args, *extra]


@pytest.mark.slow
def test_two_workers_write_the_single_process_atlas_into_a_bucket(
    s3_server, tiny_keras, single_process_atlas, tmp_path, monkeypatch):
  # pylint: disable=import-outside-toplevel
  from fmi_tf.beam import atlas
  from fmi_tf.beam import run_directories
  monkeypatch.chdir(tmp_path)
  bucket = s3_server.bucket("atlas-two-workers")
  result = atlas.draw_atlas_beam(
      tiny_keras, beam_runs.LAYERS, f"{bucket}/run1",
      pipeline_args=_args(s3_server), **beam_runs.ATLAS_SETTINGS)
  assert result.inverted == 4 + 6
  assert result.grids == tuple(
      f"{bucket}/run1/{n}.png" for n in beam_runs.LAYERS)
  _assert_same_atlas(s3_server.objects("atlas-two-workers", "run1/"),
                     single_process_atlas)
  assert os.listdir(tmp_path) == []  # no local `s3:` directory

  built = run_directories.make_site(f"{bucket}/run1", f"{bucket}/site", None)
  local_site = site.make_site(single_process_atlas, str(tmp_path / "site"),
                              progress=False)
  assert built.index == f"{bucket}/site/index.html"
  assert sorted(s3_server.objects("atlas-two-workers", "site/")) == sorted(
      storage.list_names(local_site.out))
  with pytest.raises(errors.OutputError, match="other settings"):
    atlas.plan_atlas(tiny_keras, beam_runs.LAYERS, f"{bucket}/run1",
                     **{**beam_runs.ATLAS_SETTINGS, "steps": 6})


def _dying_chunk_class():
  """An InvertChunk whose worker dies once, as if killed, after uploading
  a PNG for block2_conv1 filter 1 (not the one its rerun must write) and
  before its record."""
  # pylint: disable=import-outside-toplevel
  from fmi_tf.beam import atlas_transforms

  class DiesOnce(atlas_transforms.InvertChunk):

    def __init__(self, plan, marker):
      super().__init__(plan)
      self._marker = marker

    def save(self, result, settings):
      if (result.layer, result.filter) == ("block2_conv1", 1) and (
          not os.path.exists(self._marker)):
        storage.write_bytes(f"{self._out}/block2_conv1_0001.png",
                            b"\x89PNG\r\n\x1a\n cut off")
        open(self._marker, "w", encoding="utf8").close()
        os._exit(1)
      super().save(result, settings)

  return DiesOnce


@pytest.mark.slow
@pytest.mark.filterwarnings(
    "ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_killed_worker_leaves_nothing_twice_or_half_written_in_the_bucket(
    s3_server, tiny_keras, single_process_atlas, tmp_path):
  # pylint: disable=import-outside-toplevel
  import apache_beam as beam
  from fmi_tf.beam import atlas
  from fmi_tf.beam import atlas_transforms
  from fmi_tf.beam import options
  out = s3_server.bucket("atlas-killed") + "/run1"
  marker = str(tmp_path / "killed")
  args = _args(s3_server)
  storage.configure(options.pipeline_options(args))
  plan = atlas.plan_atlas(tiny_keras, beam_runs.LAYERS, out,
                          **beam_runs.ATLAS_SETTINGS)
  with pytest.raises(Exception):
    with beam.Pipeline(options=options.pipeline_options(args)) as pipeline:
      atlas_transforms.atlas_pipeline(
          pipeline, plan, _dying_chunk_class()(plan, marker))
  assert os.path.exists(marker)
  left = s3_server.objects("atlas-killed", "run1/")
  assert "block2_conv1_0001.png" in left
  assert "block2_conv1_0001.json" not in left

  atlas.draw_atlas_beam(tiny_keras, beam_runs.LAYERS, out, pipeline_args=args,
                        **beam_runs.ATLAS_SETTINGS)
  _assert_same_atlas(s3_server.objects("atlas-killed", "run1/"),
                     single_process_atlas)


def test_a_second_run_of_other_settings_on_the_same_url_is_refused(
    s3_server, tiny_keras):
  # pylint: disable=import-outside-toplevel
  from fmi_tf.beam import atlas
  from fmi_tf.beam import options
  storage.configure(options.pipeline_options(s3_server.pipeline_args))
  out = s3_server.bucket("atlas-claimed") + "/run1"
  atlas.plan_atlas(tiny_keras, beam_runs.LAYERS, out,
                   **beam_runs.ATLAS_SETTINGS)
  atlas.plan_atlas(tiny_keras, beam_runs.LAYERS, out,
                   **beam_runs.ATLAS_SETTINGS)  # the same: goes on
  with pytest.raises(errors.OutputError, match=(
      r"belongs to another atlas run: its parameters.steps is 4, "
      r"this run's 6")):
    atlas.plan_atlas(tiny_keras, beam_runs.LAYERS, out,
                     **{**beam_runs.ATLAS_SETTINGS, "steps": 6})
  assert sorted(s3_server.objects("atlas-claimed")) == [
      f"run1/{ownership.FILENAME}"]


@pytest.mark.slow
def test_two_workers_write_the_single_process_examples_into_a_bucket(
    s3_server, tiny_keras, folder, tmp_path):
  # pylint: disable=import-outside-toplevel
  from fmi_tf.beam import examples as beam_examples
  expected = str(tmp_path / "single")
  examples.dataset_examples(networks.load(tiny_keras), beam_runs.LAYERS,
                            f"folder:{folder}", expected, progress=False,
                            **beam_runs.EXAMPLES_OPTIONS)
  out = s3_server.bucket("examples-two-workers") + "/run1"
  result = beam_examples.dataset_examples_beam(
      tiny_keras, beam_runs.LAYERS, f"folder:{folder}", out, shards=3,
      pipeline_args=_args(s3_server), **beam_runs.EXAMPLES_OPTIONS)
  assert (result.shards, result.ran, result.complete) == (3, 3, True)
  objects = s3_server.objects("examples-two-workers", "run1/")
  same_outputs.assert_same_files(
      {n: b for n, b in _local_files(expected).items()
       if not n.startswith(".")},
      {n: b for n, b in objects.items() if not n.startswith(".")})
  again = beam_examples.plan_examples(
      tiny_keras, beam_runs.LAYERS, f"folder:{folder}", out, shards=3,
      **beam_runs.EXAMPLES_OPTIONS)
  assert again.written and again.items == ()


@pytest.mark.slow
@pytest.mark.filterwarnings(
    "ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_examples_killed_mid_shard_resume_from_the_shards_committed_to_the_url(
    s3_server, tiny_keras, folder, tmp_path):
  # pylint: disable=import-outside-toplevel
  import apache_beam as beam
  from apache_beam.testing import util
  from fmi_tf.beam import examples as beam_examples
  from fmi_tf.beam import examples_store
  from fmi_tf.beam import examples_transforms
  from fmi_tf.beam import options
  expected = str(tmp_path / "single")
  examples.dataset_examples(networks.load(tiny_keras), beam_runs.LAYERS,
                            f"folder:{folder}", expected, progress=False,
                            **beam_runs.EXAMPLES_OPTIONS)
  out = s3_server.bucket("examples-killed") + "/run1"
  args = _args(s3_server)
  storage.configure(options.pipeline_options(args))
  settings = {**beam_runs.EXAMPLES_OPTIONS, "checkpoint_images": 2}
  plan = beam_examples.plan_examples(
      tiny_keras, beam_runs.LAYERS, f"folder:{folder}", out, shards=3,
      **settings)
  beam_examples.claim(plan)
  marker = str(tmp_path / "killed")
  with pytest.raises(Exception):
    with beam.Pipeline(options=options.pipeline_options(args)) as pipeline:
      examples_transforms.examples_pipeline(
          pipeline, plan, dying_shards.dying_shard_class()(plan, marker))
  assert os.path.exists(marker)
  left = s3_server.objects("examples-killed", "run1/")
  states = {examples_store.state_name(plan.key, i, 3): i for i in range(3)}
  # Only whole objects: the claim and the states of complete shards; the
  # killed shard's checkpoint stayed on its worker, no output was written.
  assert set(left) <= {examples_run.CLAIM, *states}
  assert examples_store.state_name(plan.key, 0, 3) not in left
  for name in set(left) & set(states):
    (tmp_path / "state.npz").write_bytes(left[name])
    assert examples_state.load(str(tmp_path / "state.npz"),
                               beam_runs.LAYERS).complete

  again = beam_examples.plan_examples(
      tiny_keras, beam_runs.LAYERS, f"folder:{folder}", out, shards=3,
      **settings)
  assert set(again.items) == {states[n] for n in states if n not in left}
  # Shard 0 starts again from its first of 3 images (what its checkpoint
  # had counted is not kept); shards 1 and 2 (2 images each) if not
  # committed.
  passed = 3 + 2 * len(set(again.items) - {0})
  with beam.Pipeline(options=options.pipeline_options(args)) as pipeline:
    util.assert_that(examples_transforms.examples_pipeline(pipeline, again),
                     util.equal_to([passed]))
  objects = s3_server.objects("examples-killed", "run1/")
  same_outputs.assert_same_files(
      {n: b for n, b in _local_files(expected).items()
       if not n.startswith(".")},
      {n: b for n, b in objects.items() if not n.startswith(".")})
  assert examples_files.SUMMARY in objects


def test_the_network_and_image_are_read_from_the_bucket(
    s3_server, tiny_keras, photo_file):
  # pylint: disable=import-outside-toplevel
  from fmi_tf.beam import atlas
  from fmi_tf.beam import network_spec
  from fmi_tf.beam import options
  storage.configure(options.pipeline_options(s3_server.pipeline_args))
  bucket = s3_server.bucket("inputs")
  for local, name in ((tiny_keras, "tiny.keras"), (photo_file, "photo.png")):
    with open(local, "rb") as f:
      storage.write_bytes(f"{bucket}/{name}", f.read())
  spec = network_spec.NetworkSpec(f"{bucket}/tiny.keras")
  assert spec.load().source == f"{bucket}/tiny.keras"
  remote = atlas.plan_atlas(spec, beam_runs.LAYERS, f"{bucket}/atlas",
                            f"{bucket}/photo.png", **beam_runs.ATLAS_SETTINGS)
  local = atlas.plan_atlas(tiny_keras, beam_runs.LAYERS, f"{bucket}/atlas2",
                           photo_file, **beam_runs.ATLAS_SETTINGS)
  assert (remote.image == local.image).all()
  assert remote.image_name == f"{bucket}/photo.png"


@pytest.fixture
def photo_file(photo, tmp_path):
  # pylint: disable=import-outside-toplevel
  from fmi_tf.io import outputs
  path = str(tmp_path / "photo.png")
  outputs.write_png(path, photo)
  return path


@pytest.mark.slow
@pytest.mark.parametrize("case", [
    "no bucket", "unreachable", "unknown scheme", "no credentials",
    "another network", "missing weights"])
def test_bad_object_store_input_is_one_line_and_writes_nothing(
    case, s3_server, tiny_keras, single_process_atlas, tmp_path):
  bucket = s3_server.bucket(f"bad-{case.replace(' ', '-')}")
  out, args, env = f"{bucket}/run1", list(s3_server.pipeline_args), None
  phrase = {"no bucket": "bucket no-such-bucket does not exist",
            "unreachable": "cannot reach the object store",
            "unknown scheme": "no file system for nope://",
            "no credentials": "no credentials",
            "another network": "holds results of other settings: network",
            "missing weights": "input not found: nothing is at s3://"
            }[case]
  if case == "no bucket":
    out = "s3://no-such-bucket/run1"
  elif case == "unreachable":
    args[0] = "--s3_endpoint_url=http://127.0.0.1:9"  # the discard port
  elif case == "unknown scheme":
    out = "nope://bucket/run1"
  elif case == "no credentials":
    args = args[:1]
    env = {"AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
           "AWS_CONFIG_FILE": str(tmp_path / "none"),
           "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "",
           "AWS_EC2_METADATA_DISABLED": "true"}
  elif case == "another network":
    for name, data in _local_files(single_process_atlas).items():
      storage.configure(s3_server.pipeline_args)
      storage.write_bytes(f"{out}/{name}", data)
    other = str(tmp_path / "other.keras")
    tiny_vgg.tiny_vgg19_model(seed=1).save(other)
    tiny_keras = other
  elif case == "missing weights":
    tiny_keras = f"{bucket}/none.keras"
  before = s3_server.objects(bucket.split("/")[-1])
  process = tool_runs.run_tool(
      "fmi-atlas-beam", f"--model={tiny_keras}", "--layers=block1_conv1",
      "--size=24", "--steps=4", "--batch_size=3", f"--out={out}", *args,
      env=env)
  tool_runs.assert_one_line_error(process, "fmi-atlas-beam", phrase)
  assert s3_server.objects(bucket.split("/")[-1]) == before
  assert not os.path.exists("nope:") and not os.path.exists("s3:")


def _upload_folder(root: str, url: str) -> None:
  for name in storage.list_names(root):
    with open(os.path.join(root, name), "rb") as f:
      storage.write_bytes(f"{url}/{name}", f.read())


@pytest.mark.slow
def test_two_workers_encode_a_dataset_in_a_bucket_into_a_bucket(
    s3_server, tiny_keras, folder, tmp_path):
  # pylint: disable=import-outside-toplevel
  from fmi_tf.beam import encoding
  storage.configure(s3_server.pipeline_args)
  bucket = s3_server.bucket("encoding")
  _upload_folder(folder, f"{bucket}/data")
  dataset = f"folder:{bucket}/data"
  sizes = {"image_size": 16, "batch_size": 3, "images_per_item": 3}
  local = str(tmp_path / "cache")
  encoding.encode_dataset_beam(tiny_keras, dataset, local, ("energy",),
                               pipeline_args=s3_server.pipeline_args, **sizes)
  result = encoding.encode_dataset_beam(
      tiny_keras, dataset, f"{bucket}/cache", ("energy",),
      pipeline_args=_args(s3_server), **sizes)
  assert (result.images, result.shards, result.encoded) == (7, 3, 7)
  objects = s3_server.objects("encoding", "cache/")
  expected = {n: b for n, b in _local_files(local).items()}
  assert sorted(objects) == sorted(expected)
  statistics = layer_statistics.statistic_keys(
      encoder_config.EncoderConfig(kind="energy").for_network(
          networks.load(tiny_keras)))
  assert sum(n.endswith("-of-00003.npz") for n in objects) == 3 * len(
      statistics)
  for name, data in expected.items():
    if name.endswith(".npz"):
      with np.load(io.BytesIO(data)) as mine, np.load(
          io.BytesIO(objects[name])) as theirs:
        assert list(mine["names"]) == list(theirs["names"])
        np.testing.assert_allclose(mine["values"], theirs["values"],
                                   atol=1e-5)
    else:
      assert objects[name] == data
  again = encoding.plan_encoding(tiny_keras, dataset, f"{bucket}/cache",
                                 ("energy",), **sizes)
  assert again.items == ()


def test_examples_claimed_by_an_unfinished_run_of_other_settings_are_refused(
    s3_server, tiny_keras, folder):
  # pylint: disable=import-outside-toplevel
  from fmi_tf.beam import examples as beam_examples
  storage.configure(s3_server.pipeline_args)
  out = s3_server.bucket("examples-claimed") + "/run1"
  dataset = f"folder:{folder}"
  first = beam_examples.plan_examples(
      tiny_keras, beam_runs.LAYERS, dataset, out, shards=2,
      **beam_runs.EXAMPLES_OPTIONS)
  beam_examples.claim(first)
  beam_examples.claim(first)  # the same run: goes on
  other = beam_examples.plan_examples(
      tiny_keras, beam_runs.LAYERS, dataset, out, shards=2,
      **{**beam_runs.EXAMPLES_OPTIONS, "k": 2})
  with pytest.raises(errors.OutputError, match=(
      r"s3://examples-claimed/run1 belongs to another dataset examples run: "
      r"its k is 3, this run's 2")):
    beam_examples.claim(other)
  assert list(s3_server.objects("examples-claimed")) == [
      "run1/.examples_state/.fmi-claim"]

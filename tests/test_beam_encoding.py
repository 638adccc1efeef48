"""Dataset encoding as a Beam pipeline: shards that training then reads.

The pipelines run on Beam's DirectRunner with 2 worker processes; the tests
that need Apache Beam are marked `beam` (skipped without the [beam] extra).
"""

import os

import numpy as np
from PIL import Image
import pytest

from fmi_tf import datasets
from fmi_tf.nets import networks
from fmi_tf.recognition import descriptor_cache
from fmi_tf.recognition import encoder as texture_encoder
from fmi_tf.recognition import encoder_config
from fmi_tf.recognition import experiment
from fmi_tf.recognition import layer_statistics
from tests import beam_runs
from tests import tool_runs

_SIZES = {"image_size": 16, "batch_size": 4}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
  """Two classes of 6 random 20 x 20 images each."""
  root = tmp_path_factory.mktemp("data")
  rng = np.random.default_rng(0)
  for name in ("dots", "stripes"):
    (root / name).mkdir()
    for i in range(6):
      Image.fromarray(rng.integers(0, 255, (20, 20, 3), np.uint8)).save(
          root / name / f"{i}.png")
  return f"folder:{root}"


def _encoded(tiny_keras, folder, cache_dir, kind):
  """Train and test descriptors of `kind` through the cache in cache_dir."""
  backbone = networks.load(tiny_keras)
  data = datasets.resolve(folder)
  cache = experiment.cache_for(data, _SIZES["image_size"], backbone,
                               cache_dir)
  model = texture_encoder.build(backbone,
                                encoder_config.EncoderConfig(kind=kind))
  return [cache.encode(model, part, **_SIZES) for part in (data.train,
                                                            data.test)]


@pytest.mark.beam
@pytest.mark.slow
def test_two_worker_processes_fill_the_cache_training_reads(
    tiny_keras, folder, tmp_path):
  # pylint: disable=import-outside-toplevel
  from fmi_tf.beam import encoding
  cache_dir = str(tmp_path / "cache")
  result = encoding.encode_dataset_beam(
      tiny_keras, folder, cache_dir, ("energy", "gram"), images_per_item=5,
      pipeline_args=beam_runs.TWO_PROCESSES, **_SIZES)
  assert (result.images, result.shards, result.encoded) == (12, 3, 12)
  shards = [n for n in os.listdir(cache_dir) if "-of-00003.npz" in n]
  # One file per shard and statistic: energy and gram of the network's
  # default layers.
  net = networks.load(tiny_keras)
  keys = {k.name for kind in ("energy", "gram")
          for k in layer_statistics.statistic_keys(
              encoder_config.EncoderConfig(kind=kind).for_network(net))}
  assert len(shards) == 3 * len(keys)
  for kind in ("energy", "gram"):
    from_shards = _encoded(tiny_keras, folder, cache_dir, kind)
    fresh = _encoded(tiny_keras, folder, None, kind)
    for beam_part, fresh_part in zip(from_shards, fresh):
      assert beam_part.seconds == 0  # read, not encoded
      assert beam_part.names == fresh_part.names
      np.testing.assert_array_equal(beam_part.labels, fresh_part.labels)
      np.testing.assert_allclose(beam_part.descriptors,
                                 fresh_part.descriptors, atol=1e-5)
  plan = encoding.plan_encoding(tiny_keras, folder, cache_dir,
                                ("energy", "gram"), images_per_item=5,
                                **_SIZES)
  assert plan.items == () and plan.shards == 3  # a rerun has nothing to do


@pytest.mark.beam
def test_a_rerun_plans_only_the_missing_shards(tiny_keras, folder, tmp_path):
  # pylint: disable=import-outside-toplevel
  from fmi_tf.beam import encoding
  cache_dir = str(tmp_path / "cache")
  plan = encoding.plan_encoding(tiny_keras, folder, cache_dir, ("gap",),
                                images_per_item=4, **_SIZES)
  assert plan.shards == len(plan.items) == 3 and plan.images == 12
  assert sorted(n for _, _, names, _ in plan.items for n in names) == sorted(
      datasets.resolve(folder).train.names + datasets.resolve(folder).test
      .names)
  (_, _, _, shards) = plan.items[1]
  for _, _, path in shards:
    with open(path, "wb") as f:
      f.write(descriptor_cache.entries_bytes({}))
  again = encoding.plan_encoding(tiny_keras, folder, cache_dir, ("gap",),
                                 images_per_item=4, **_SIZES)
  assert again.items == (plan.items[0], plan.items[2])


@pytest.mark.slow
@pytest.mark.parametrize("args,hide_beam,phrase", [
    pytest.param(["--runner=Nope"], False, "runner must be one of",
                 marks=pytest.mark.beam),
    pytest.param(["--direct_num_workers=2", "--nope=1"], False,
                 "unknown Beam option --nope=1", marks=pytest.mark.beam),
    (["--image_size=16"], True, 'pip install "fmi_tf[beam]"'),
])
def test_bad_tool_input_is_one_line_and_writes_nothing(
    args, hide_beam, phrase, tiny_keras, folder, tmp_path):
  cache_dir = tmp_path / "cache"
  process = tool_runs.run_tool(
      "fmi-texture-encode-beam", f"--model={tiny_keras}",
      f"--dataset={folder}", f"--cache_dir={cache_dir}", *args,
      env=tool_runs.without_beam(tmp_path / "hidden") if hide_beam else None)
  tool_runs.assert_one_line_error(process, "fmi-texture-encode-beam", phrase)
  assert not cache_dir.exists()


def test_the_cache_reads_the_shard_files_beside_its_file(tmp_path):
  cache = descriptor_cache.DescriptorCache(str(tmp_path), {"dataset": "d"})
  key = layer_statistics.statistic_keys(
      encoder_config.EncoderConfig(kind="gap", layers=("block5_conv4",)))[0]
  path = cache.path(1.0, key)
  values = {f"img{i}": (i % 2, np.full(3, i, np.float32)) for i in range(4)}
  for index, names in enumerate((["img0", "img1"], ["img2", "img3"])):
    with open(descriptor_cache.shard_path(path, index, 2), "wb") as f:
      f.write(descriptor_cache.entries_bytes({n: values[n] for n in names}))
  read = descriptor_cache.DescriptorCache(str(tmp_path), {"dataset": "d"})
  entries = read.entries(1.0, key)
  assert sorted(entries) == sorted(values)
  for name, (label, value) in values.items():
    assert entries[name][0] == label
    np.testing.assert_array_equal(entries[name][1], value)
  other = descriptor_cache.DescriptorCache(str(tmp_path), {"dataset": "e"})
  assert other.entries(1.0, key) == {}

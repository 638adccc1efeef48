"""Resuming an atlas: only filters of the same settings are kept, others are
refused, unreadable records are redone, and the same run gives the same
bytes."""

import dataclasses
import json
import logging

import numpy as np
import pytest

import fmi_tf
from fmi_tf import errors
from fmi_tf.atlas import layout
from fmi_tf.atlas import resume
from fmi_tf.inversion import defaults
from fmi_tf.inversion import filters
from fmi_tf.inversion import invert
from fmi_tf.io import images
from tests import tiny_vgg

_FAST = {"size": 32, "steps": 2, "progress": False}
_LAYER = "block1_conv1"
_COUNT = tiny_vgg.WIDTHS[1]


@pytest.fixture
def atlas(tiny_backbone, photo, tmp_path):
  """An atlas directory of block1_conv1, made with `_FAST` settings."""
  fmi_tf.draw_atlas(tiny_backbone, [_LAYER], str(tmp_path), image=photo,
                    **_FAST)
  return tmp_path


@pytest.mark.parametrize("changes,setting", [
    ({"size": 24}, "size"),
    ({"steps": 3}, "parameters.steps"),
    ({"mode": "gain"}, "mode"),
    ({"seed": 1}, "parameters.seed"),
    ({"param": "fourier"}, "parameters.param"),
])
def test_a_rerun_of_other_settings_is_refused_naming_the_first(
    changes, setting, tiny_backbone, photo, atlas):
  before = {p.name: p.read_bytes() for p in atlas.iterdir()}
  with pytest.raises(errors.OutputError,
                     match=rf"holds results of other settings: {setting} "
                     ".*--overwrite"):
    fmi_tf.draw_atlas(tiny_backbone, [_LAYER], str(atlas), image=photo,
                      **{**_FAST, **changes})
  assert {p.name: p.read_bytes() for p in atlas.iterdir()} == before


def test_another_image_under_any_name_is_refused(tiny_backbone, photo, atlas):
  with pytest.raises(errors.OutputError, match="image_sha256"):
    fmi_tf.draw_atlas(tiny_backbone, [_LAYER], str(atlas),
                      image=photo[::-1].copy(), **_FAST)


def test_other_weights_are_refused(photo, atlas):
  other = tiny_vgg.tiny_backbone(seed=1)
  other = dataclasses.replace(other, source="other weights")
  with pytest.raises(errors.OutputError, match="network.weights"):
    fmi_tf.draw_atlas(other, [_LAYER], str(atlas), image=photo, **_FAST)


def test_the_same_settings_resume_and_batch_size_does_not_matter(
    tiny_backbone, photo, atlas):
  again = fmi_tf.draw_atlas(tiny_backbone, [_LAYER], str(atlas), image=photo,
                            batch_size=3, **_FAST)
  assert again.inverted == 0


def test_overwrite_redoes_every_filter_with_the_new_settings(
    tiny_backbone, photo, atlas):
  result = fmi_tf.draw_atlas(tiny_backbone, [_LAYER], str(atlas), image=photo,
                             overwrite=True, **{**_FAST, "steps": 3})
  assert result.inverted == _COUNT
  for k in range(_COUNT):
    record = json.loads((atlas / f"{_LAYER}_{k:04d}.json").read_text())
    assert record["parameters"]["steps"] == 3


@pytest.mark.parametrize("content", ["[1, 2]", '{"layer": ', "", "\xff\xfe",
                                     "null"])
def test_an_unreadable_record_is_redone_and_said(content, tiny_backbone,
                                                 photo, atlas, caplog):
  broken = atlas / f"{_LAYER}_0001.json"
  broken.write_bytes(content.encode("latin-1"))
  with caplog.at_level(logging.WARNING):
    result = fmi_tf.draw_atlas(tiny_backbone, [_LAYER], str(atlas),
                               image=photo, **_FAST)
  assert result.inverted == 1
  assert json.loads(broken.read_text())["filter"] == 1
  said = [r.getMessage() for r in caplog.records if "readable" in
          r.getMessage()]
  assert len(said) == 1 and f"{_LAYER} filter 1 again" in said[0]


def test_an_unreadable_record_of_another_shard_is_left_out_of_the_grid(
    tiny_backbone, photo, tmp_path):
  fmi_tf.draw_atlas(tiny_backbone, [_LAYER], str(tmp_path), image=photo,
                    shard="1/2", **_FAST)
  (tmp_path / f"{_LAYER}_0001.json").write_text("[]")
  result = fmi_tf.draw_atlas(tiny_backbone, [_LAYER], str(tmp_path),
                             image=photo, shard="0/2", **_FAST)
  assert result.inverted == _COUNT // 2
  assert layout.done_filters(str(tmp_path), _LAYER, _COUNT) == [0, 2, 3]


def test_kept_filters_checks_every_shards_records(tiny_backbone, photo,
                                                  tmp_path):
  fmi_tf.draw_atlas(tiny_backbone, [_LAYER], str(tmp_path), image=photo,
                    shard="1/2", **_FAST)
  run = invert.run_record(
      images.fit_photo(photo, 32, True), photo, 32, True,
      defaults.resolve(tiny_backbone, steps=2).config)
  settings = run.at_layer(**filters.layer_record(tiny_backbone, _LAYER))
  assert resume.kept_filters(str(tmp_path), _LAYER, _COUNT, settings) == {
      1, 3}
  assert resume.kept_filters(str(tmp_path), _LAYER, _COUNT, settings,
                             overwrite=True) == set()
  assert resume.kept_filters(str(tmp_path / "new"), _LAYER, _COUNT,
                             settings) == set()
  with pytest.raises(errors.OutputError, match="parameters.tv_weight"):
    resume.kept_filters(str(tmp_path), _LAYER, _COUNT, dataclasses.replace(
        settings, parameters={**settings.parameters, "tv_weight": 1.0}))


def test_the_same_atlas_twice_gives_the_same_bytes(tiny_backbone, photo,
                                                   tmp_path):
  """Identical PNGs (filters and grids) and records; only `seconds`, the
  wall time of a filter's batch, differs."""
  for name in ("a", "b"):
    fmi_tf.draw_atlas(tiny_backbone, [_LAYER, "block2_conv1"],
                      str(tmp_path / name), image=photo,
                      **{**_FAST, "steps": 4})
  names = sorted(p.name for p in (tmp_path / "a").iterdir())
  assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
  for name in names:
    first, second = (tmp_path / "a" / name), (tmp_path / "b" / name)
    if name.endswith(".json"):
      a, b = json.loads(first.read_text()), json.loads(second.read_text())
      assert a.pop("seconds") > 0 and b.pop("seconds") > 0
      assert a == b
    elif name.endswith(".png"):
      assert first.read_bytes() == second.read_bytes(), name
  records = [json.loads(p.read_text())
             for p in (tmp_path / "a").glob("*.json")]
  assert len({np.float64(r["loss"]) for r in records}) > 1


def test_pending_counts_an_unreadable_record_as_not_done(atlas):
  (atlas / f"{_LAYER}_0002.json").write_text('"a string"')
  (atlas / f"{_LAYER}_0003.png").unlink()
  assert layout.pending(str(atlas), _LAYER, range(_COUNT)) == [2, 3]

"""The Python API's arguments walked as tests/test_flag_fuzz.py walks the
flags: every bad value is an FmiError with one clear line, never a raw
TypeError or ValueError, a hang or a silently wrong run."""

import itertools

import numpy as np
import pytest

import fmi_tf
from fmi_tf import errors
from fmi_tf import limits

_BAD = {"inf": float("inf"), "-inf": float("-inf"), "nan": float("nan"),
        "1e308": 1e308, "2**64": 2**64, "-1": -1, "empty": "",
        "text": "text", "1.5": 1.5, "true": True, "dict": {"a": 1},
        "list": [1, 2], "object": object()}
_CALLS = {
    "invert": lambda net, out, **kw: fmi_tf.invert(
        net, "block1_conv1", **{"filters": [0], "steps": 1, "size": 32,
                                **kw}, progress=False),
    "stylize": lambda net, out, **kw: fmi_tf.stylize(
        net, content=None, style=None,
        **{"steps": 1, "size": 32, **kw}, progress=False),
    "draw_atlas": lambda net, out, **kw: fmi_tf.draw_atlas(
        net, ["block1_conv1"], out, **{"size": 32, "steps": 1, **kw},
        progress=False),
    "dataset_examples": lambda net, out, **kw: fmi_tf.dataset_examples(
        net, ["block1_conv1"], "folder:/nonexistent-dataset", out,
        **kw, progress=False),
    "reallocate": lambda net, out, **kw: fmi_tf.reallocate(
        net, None, **{"seeds": [0], "steps": 1, "size": 32, **kw},
        progress=False),
    "make_site": lambda net, out, **kw: fmi_tf.make_site(
        "/nonexistent-atlas", out, **kw, progress=False),
}
_ARGUMENTS = {
    "invert": ("size", "steps", "steps_per_call", "patience",
               "warmup_steps", "filters", "learning_rate", "tolerance"),
    "stylize": ("size", "steps", "learning_rate"),
    "draw_atlas": ("size", "steps", "shard"),
    "dataset_examples": ("k", "image_size", "batch_size",
                         "checkpoint_images", "shard"),
    "reallocate": ("size", "steps"),
    "make_site": ("neighbours",),
}
# Values of _BAD that are valid for an argument.
_VALID = {"learning_rate": {"2**64", "1.5"}, "filters": {"list"},
          "shard": {"list"}}
_CASES = [(call, argument, name) for call, arguments in _ARGUMENTS.items()
          for argument in arguments for name in _BAD
          if name not in _VALID.get(argument, ())]


@pytest.mark.parametrize("call, argument, name", _CASES)
def test_a_bad_argument_is_one_clear_fmi_error(tiny_backbone, tmp_path, call,
                                                argument, name):
  with pytest.raises(errors.FmiError) as raised:
    _CALLS[call](tiny_backbone, str(tmp_path / "out"),
                 **{argument: _BAD[name]})
  message = str(raised.value)
  assert message and "\n" not in message
  if call == "make_site":  # checked before the atlas is looked for
    assert argument in message
  assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("filters", [range(10**12), itertools.count(),
                                     (k for k in range(10**9)), None,
                                     [0.5], [np.float32(1)], "0:10000000000"])
def test_unbounded_or_wrong_filter_lists_are_refused_at_once(tiny_backbone,
                                                             filters):
  with pytest.raises(errors.FmiError):
    fmi_tf.invert(tiny_backbone, "block1_conv1", filters=filters, steps=1,
                  size=32, progress=False)


def test_numpy_integers_are_taken_as_integers(tiny_backbone):
  result = fmi_tf.invert(tiny_backbone, "block1_conv1",
                         filters=np.arange(2), steps=np.int64(2),
                         size=np.int32(32), progress=False)
  assert result.images.shape[0] == 2 and max(result.images.shape[1:3]) == 32
  assert [r["steps"] for r in result.records] == [2, 2]
  assert type(result.records[0]["parameters"]["steps"]) is int


@pytest.mark.parametrize("shard", [(5, 2), (2, 2), (0, 0), (-1, 2), (0.5, 2),
                                   (0, 10**9), "5/2", (0,), None])
def test_a_shard_outside_0_to_n_is_refused(tiny_backbone, tmp_path, shard):
  with pytest.raises(errors.ArgumentError, match="shard"):
    fmi_tf.draw_atlas(tiny_backbone, ["block1_conv1"], str(tmp_path / "a"),
                      size=32, steps=1, shard=shard, progress=False)
  assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("size", [20000, limits.MAX_SIZE + 1])
def test_an_image_side_past_the_tools_bound_is_refused(tiny_backbone, size):
  with pytest.raises(errors.ArgumentError, match="from 1 to 4096"):
    fmi_tf.invert(tiny_backbone, "block1_conv1", size=size, progress=False)
  with pytest.raises(errors.ArgumentError, match="from 1 to 4096"):
    fmi_tf.stylize(tiny_backbone, style=None, size=size, progress=False)

"""The Python API's arguments walked as tests/test_flag_fuzz.py walks the
flags: every public function of `fmi_tf.__all__` (a test checks the table
covers them) and a classifier's `classify` and `explain`, every argument,
given misuse values (None, dicts, generators, sets, text where numbers go, True,
NaN, infinities, -1, 0, 10**12, arrays of the wrong dtype, range or shape,
an object). Each case either is taken or ends in an `FmiError` whose
message is one line naming the argument; never a raw TypeError, ValueError
or TensorFlow error, a hang or a huge allocation. The work itself (the
optimisation, the training, the encoding, the export, the dataset reading
of the examples and the faithfulness measure) is replaced by `_Reached`, so a
value that is taken costs no more than its checks; numpy integers and floats
are taken wherever Python's are."""

import dataclasses
import inspect
import itertools
import math
import os

import numpy as np
from PIL import Image
import pytest

import fmi_tf
from fmi_tf import errors
from fmi_tf import limits
from fmi_tf.faithfulness import split as faithfulness_split
from fmi_tf.microscope import examples as examples_lib
from fmi_tf.optim import minimizer
from fmi_tf.recognition import experiment
from fmi_tf.recognition import trained_model
from fmi_tf.recognition import training
from fmi_tf.serving import versions
from tests import tiny_vgg
from tests import trained_tiny


class _Reached(Exception):
  """The arguments were all taken: the work began."""


def _reached(*_, **__):
  raise _Reached()


_MISUSES = {
    "None": lambda: None, "dict": lambda: {"a": 1},
    "generator": lambda: (k for k in range(3)), "set": lambda: {1, 2},
    "text": lambda: "text", "True": lambda: True,
    "NaN": lambda: math.nan, "inf": lambda: math.inf, "-1": lambda: -1,
    "0": lambda: 0, "10**12": lambda: 10**12,
    "int64 image": lambda: np.full((8, 8, 3), 3, np.int64),
    "0-255 float image": lambda: np.full((8, 8, 3), 200.0),
    "2-d array": lambda: np.zeros((8, 8)),
    "NaN image": lambda: np.full((8, 8, 3), np.nan, np.float32),
    "object": object,
}
# The words a message may name an argument by, beside its own name.
_NAMED_AS = {"net": ("model", "network"), "filters": ("filter",),
             "seeds": ("seed",), "layers": ("layer",),
             "encoders": ("encoder",), "export_base": ("export",),
             "images": ("image",), "model": ("trained model",),
             "atlas": ("atlas",), "examples": ("examples",),
             "classifier": ("trained model",), "conditions": ("condition",),
             "judges": ("judge",), "invariance_photos": ("photo",),
             "source": ("dataset",), "dataset": ("dataset",),
             "encoder": ("encoder",), "weights": ("weights",),
             "style": ("style",), "strategy": ("strategy",),
             "content_layer": ("layer",), "style_layers": ("style layer",),
             "image_size": ("image size",), "fold": ("fold",),
             "folds": ("fold",), "tiles_per_side": ("tiles",),
             "report_dir": ("report",), "cache_dir": ("cache",),
             "tfds_data_dir": ("tfds",), "checkpoint_images": ("checkpoint",),
             "photo": ("photo",), "method": ("classifier",),
             "out": ("output",)}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
  """A tiny network, a two-class folder dataset, an atlas and a trained
  model on disk, and a trained classifier in memory."""
  root = tmp_path_factory.mktemp("inputs")
  data = root / "data"
  for label in ("a", "b"):
    os.makedirs(data / label)
    for i in range(4):
      Image.fromarray(np.random.default_rng(i).integers(
          0, 256, (20, 20, 3), dtype=np.uint8)).save(data / label / f"{i}.png")
  net = tiny_vgg.tiny_backbone()
  atlas = str(root / "atlas")
  fmi_tf.draw_atlas(net, ["block1_conv1"], atlas, size=16, steps=1,
                    progress=False)
  model_dir = trained_tiny.saved_model_dir(root, 16)
  classifier = training.TextureClassifier(
      trained_model.load(model_dir), {"class_names": ["a", "b"]})
  return {"net": net, "data": f"folder:{data}", "atlas": atlas,
          "model_dir": model_dir, "classifier": classifier,
          "photo": np.random.default_rng(0).uniform(
              size=(16, 16, 3)).astype(np.float32),
          "images": np.random.default_rng(1).uniform(
              size=(40, 16, 16, 3)).astype(np.float32)}


# The settings of a dataset, walked through the training that takes it.
_DATASET_FIELDS = ("source", "test_fraction", "seed", "tiles_per_side",
                   "tfds_data_dir", "tfds_download")


def _calls(i):
  """{name: (call(**argument), its arguments)} over the inputs `i`."""
  net, photo = i["net"], i["photo"]
  return {
      "network": (lambda **kw: fmi_tf.network(**{
          "model": tiny_vgg.tiny_vgg19_model(), **kw}),
                  ("model", "weights", "alpha", "preprocessing")),
      "invert": (lambda **kw: fmi_tf.invert(**{
          "net": net, "layer": "block1_conv1", "filters": [0],
          "image": photo, "size": 16, "steps": 1, "progress": False, **kw}),
                 ("net", "layer", "filters", "image", "size", "square",
                  "objective",
                  "config", "out", "logdir", "progress", "steps",
                  "steps_per_call",
                  "patience", "warmup_steps", "learning_rate", "tolerance",
                  "seed", "batch_size", "tv_weight", "alpha", "beta",
                  "l2_weight", "noise_std", "mode", "pooling", "param",
                  "precision")),
      "render": (lambda **kw: fmi_tf.render(**{
          "net": net, "objective": "block1_conv1:0", "size": 16, "steps": 1,
          "progress": False, **kw}),
                 ("net", "objective", "size", "images", "init", "seed",
                  "batch_size", "transforms", "precision", "relu_gradient",
                  "config", "logdir", "progress", "spectrum", "out", "steps",
                  "learning_rate", "param")),
      "draw_atlas": (lambda **kw: fmi_tf.draw_atlas(**{
          "net": net, "layers": ["block1_conv1"], "out": "atlas",
          "image": photo, "size": 16, "steps": 1, "progress": False, **kw}),
                     ("net", "layers", "out", "image", "size", "square",
                      "shard",
                      "strategy", "config", "logdir", "progress", "overwrite",
                      "steps", "batch_size")),
      "stylize": (lambda **kw: fmi_tf.stylize(**{
          "net": net, "style": photo, "content": photo, "size": 16,
          "steps": 1, "progress": False, **kw}),
                  ("net", "style", "content", "method", "size", "objective",
                   "config", "logdir", "progress", "out", "steps",
                   "style_weight", "content_weight", "tv_weight", "seed",
                   "learning_rate", "content_layer", "style_layers")),
      "reallocate": (lambda **kw: fmi_tf.reallocate(**{
          "net": net, "image": photo, "seeds": [0], "size": 16, "steps": 1,
          "progress": False, **kw}),
                     ("net", "image", "seeds", "mode", "style", "size",
                      "objective", "config", "logdir", "progress", "out",
                      "steps", "concentration", "batch_size", "tv_weight")),
      "natural_spectrum": (lambda **kw: fmi_tf.natural_spectrum(**{
          "source": i["data"], "height": 8, "limit": 2, **kw}),
                           ("source", "height", "width", "limit")),
      "export": (lambda **kw: fmi_tf.export(**{
          "model": i["model_dir"], "export_base": "exports", **kw}),
                 ("model", "export_base", "name", "max_pixels")),
      "make_site": (lambda **kw: fmi_tf.make_site(**{
          "atlas": i["atlas"], "out": "site", "progress": False, **kw}),
                    ("atlas", "out", "examples", "title", "neighbours",
                     "progress", "classifier", "faithfulness")),
      "train_texture_classifier": (
          lambda **kw: fmi_tf.train_texture_classifier(**{
              "net": net, "dataset": i["data"], "image_size": 16, **kw}),
          ("net", "dataset", "encoder", "image_size", "fold", "C", "method",
           "batch_size", "cache_dir", "out", "progress")),
      "evaluate_texture_encoders": (
          lambda **kw: fmi_tf.evaluate_texture_encoders(**{
              "net": net, "dataset": i["data"], "encoders": ["gap"],
              "image_size": 16, "folds": 1, **kw}),
          ("net", "dataset", "encoders", "folds", "image_size", "C",
           "method", "batch_size", "cache_dir", "out", "report_dir",
           "progress")),
      "DatasetSpec": (
          lambda **kw: fmi_tf.train_texture_classifier(
              net, fmi_tf.DatasetSpec(**{"source": i["data"], **kw}),
              image_size=16),
          _DATASET_FIELDS),
      "dataset_examples": (lambda **kw: fmi_tf.dataset_examples(**{
          "net": net, "layers": ["block1_conv1"], "dataset": i["data"],
          "out": "examples", "image_size": 16, "progress": False, **kw}),
                           ("net", "layers", "dataset", "out", "k",
                            "image_size", "batch_size", "shard",
                            "checkpoint_images", "precision", "progress")),
      "measure_faithfulness": (lambda **kw: fmi_tf.measure_faithfulness(**{
          "net": net, "layers": ["block1_conv1"], "dataset": i["images"],
          "filters": 2, "queries": 1, "size": 16, **kw}),
                               ("net", "layers", "dataset", "conditions",
                                "judges", "filters", "queries", "size",
                                "images", "exemplar_fraction", "photo",
                                "invariance_photos", "seed", "out")),
      "connect": (lambda **kw: fmi_tf.connect(**{
          "server": "http://127.0.0.1:1", **kw}),
                  ("server", "saved_model", "model_name", "version",
                   "timeout")),
      "TextureClassifier.classify": (
          lambda **kw: i["classifier"].classify(**{"images": [photo], **kw}),
          ("images", "top_k")),
      "TextureClassifier.explain": (
          lambda **kw: i["classifier"].explain(**{"images": [photo], **kw}),
          ("images", "k")),
  }


# Every (call, argument) of the table; the table's own test checks that it
# covers every public function.
_CASES = [(call, argument) for call, (_, arguments) in _calls(
    {"net": None, "photo": None, "data": None, "atlas": None,
     "model_dir": None, "classifier": None, "images": None}).items()
          for argument in arguments]


@pytest.fixture
def no_work(monkeypatch, tmp_path):
  """Replaces the work of every call by `_Reached`, in a scratch directory."""
  monkeypatch.chdir(tmp_path)
  monkeypatch.setattr(minimizer.Minimizer, "minimize", _reached)
  monkeypatch.setattr(experiment, "run", _reached)
  monkeypatch.setattr(experiment, "cache_for", _reached)
  monkeypatch.setattr(examples_lib, "_read", _reached)
  monkeypatch.setattr(versions, "write_all", _reached)
  monkeypatch.setattr(faithfulness_split, "spatial_means", _reached)


def test_the_table_covers_every_public_function_and_its_arguments():
  calls = _calls({"net": None, "photo": None, "data": None, "atlas": None,
                  "model_dir": None, "classifier": None, "images": None})
  public = {name for name in fmi_tf.__all__
            if inspect.isfunction(getattr(fmi_tf, name))}
  assert public <= set(calls), sorted(public - set(calls))
  for name in public:
    parameters = {p.name for p in inspect.signature(
        getattr(fmi_tf, name)).parameters.values()
                  if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
    missing = parameters - set(calls[name][1])
    assert not missing, f"{name}: {sorted(missing)}"
  assert {f.name for f in dataclasses.fields(fmi_tf.DatasetSpec)} == set(
      calls["DatasetSpec"][1])


def _problem(call, argument: str, name: str) -> str:
  """What is wrong with passing misuse `name` as `argument`; "" if nothing."""
  try:
    call(**{argument: _MISUSES[name]()})
  except _Reached:
    return ""
  except errors.FmiError as e:
    message = str(e)
    if not message or "\n" in message:
      return f"not one line: {message!r}"
    words = (argument, *_NAMED_AS.get(argument, ()))
    plain = message.replace("_", " ")
    if not any(word.replace("_", " ") in plain for word in words):
      return f"does not name {argument}: {message}"
    return ""
  except Exception as e:  # pylint: disable=broad-except  # what it catches
    return f"raw {type(e).__name__}: {str(e)[:200]}"
  return ""


@pytest.mark.parametrize("call, argument", _CASES)
def test_a_misused_argument_is_taken_or_one_clear_fmi_error(
    inputs, no_work, call, argument):
  function = _calls(inputs)[call][0]
  problems = [f"{argument}={name}: {problem}" for name in _MISUSES
              if (problem := _problem(function, argument, name))]
  assert not problems, "\n".join(problems)


# Integer and float arguments: numpy's scalars are taken as Python's.
_NUMPY_SCALARS = [
    ("invert", {"steps": np.int64(1), "size": np.int32(16),
                "learning_rate": np.float32(0.05), "seed": np.uint8(3),
                "tv_weight": np.float64(0.1), "batch_size": np.int16(2)}),
    ("render", {"size": np.int64(16), "images": np.int64(1),
                "seed": np.int32(0), "batch_size": np.int64(1)}),
    ("draw_atlas", {"size": np.int64(16), "shard": (np.int64(0),
                                                    np.int64(1))}),
    ("stylize", {"size": np.int64(16), "style_weight": np.float32(2.0),
                 "seed": np.int64(1)}),
    ("reallocate", {"seeds": [np.int64(0)], "size": np.int64(16),
                    "concentration": np.float32(0.5)}),
    ("natural_spectrum", {"height": np.int64(8), "limit": np.int32(2)}),
    ("export", {"max_pixels": np.int64(4096)}),
    ("make_site", {"neighbours": np.int64(2)}),
    ("TextureClassifier.classify", {"top_k": np.int64(1)}),
    ("TextureClassifier.explain", {"k": np.int64(1)}),
]


@pytest.mark.parametrize("call, arguments", _NUMPY_SCALARS,
                         ids=[call for call, _ in _NUMPY_SCALARS])
def test_numpy_scalars_are_taken_where_python_numbers_are(
    inputs, no_work, call, arguments):
  try:
    result = _calls(inputs)[call][0](**arguments)
  except _Reached:
    return
  assert result is not None


def test_numpy_integers_are_taken_as_integers(tiny_backbone):
  result = fmi_tf.invert(tiny_backbone, "block1_conv1",
                         filters=np.arange(2), steps=np.int64(2),
                         size=np.int32(32), progress=False)
  assert result.images.shape[0] == 2 and max(result.images.shape[1:3]) == 32
  assert [r.steps for r in result.records] == [2, 2]
  assert type(result.records[0].run.parameters["steps"]) is int


@pytest.mark.parametrize("filters", [range(10**12), itertools.count(),
                                     (k for k in range(10**9)), None,
                                     [0.5], [np.float32(1)], "0:10000000000"])
def test_unbounded_or_wrong_filter_lists_are_refused_at_once(tiny_backbone,
                                                             filters):
  with pytest.raises(errors.FmiError):
    fmi_tf.invert(tiny_backbone, "block1_conv1", filters=filters, steps=1,
                  size=32, progress=False)


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


def test_a_refused_argument_leaves_nothing_behind(tiny_backbone, tmp_path):
  for call in (lambda: fmi_tf.draw_atlas(
      tiny_backbone, ["block1_conv1"], str(tmp_path / "atlas"), size=16,
      steps=math.inf, progress=False), lambda: fmi_tf.dataset_examples(
          tiny_backbone, ["block1_conv1"], "folder:/nonexistent",
          str(tmp_path / "examples"), k={"a": 1}, progress=False)):
    with pytest.raises(errors.FmiError):
      call()
  assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("argument, value", [
    ("out", {"a": 1}), ("out", np.zeros((2, 2))), ("cache_dir", 7),
    ("cache_dir", True), ("C", np.zeros((4, 4)))])
def test_training_refuses_paths_and_numbers_of_no_kind(inputs, no_work,
                                                       argument, value):
  for train in (fmi_tf.train_texture_classifier,
                fmi_tf.evaluate_texture_encoders):
    with pytest.raises(errors.FmiError) as raised:
      train(inputs["net"], inputs["data"], image_size=16,
            **{argument: value})
    message = str(raised.value)
    assert "\n" not in message and argument in message

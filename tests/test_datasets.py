"""Dataset loaders (folders, DTD folds, Brodatz tiles, tfds), pipeline."""

import os

import numpy as np
from PIL import Image
import pytest
import tensorflow as tf

from fmi_tf import errors
from fmi_tf.recognition import datasets
from fmi_tf.recognition.datasets import brodatz
from fmi_tf.recognition.datasets import pipeline


def _write_folder(root, counts, size=(24, 18)):
  rng = np.random.default_rng(1)
  for name, count in counts.items():
    os.makedirs(os.path.join(root, name), exist_ok=True)
    for i in range(count):
      pixels = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
      Image.fromarray(pixels).save(os.path.join(root, name, f"{i:02d}.png"))
  return str(root)


def test_folder_split_is_stratified_disjoint_and_seeded(tmp_path):
  root = _write_folder(tmp_path, {"a": 8, "b": 4, "c": 2})
  first = datasets.load(f"folder:{root}", test_fraction=0.25, seed=3)
  again = datasets.load(root, test_fraction=0.25, seed=3)
  other = datasets.load(root, test_fraction=0.25, seed=4)
  assert first.class_names == ("a", "b", "c")
  assert first.test.names == again.test.names
  assert first.test.names != other.test.names
  assert not set(first.train.names) & set(first.test.names)
  assert len(first.train) + len(first.test) == 14
  per_class = [sum(n.startswith(c + "/") for n in first.test.names)
               for c in "abc"]
  assert per_class == [2, 1, 1]


def test_pipeline_resizes_shorter_side_and_crops_centre():
  image = np.zeros((40, 80, 3), np.uint8)
  image[:, 30:50] = 255
  fitted = pipeline.fit_image(tf.constant(image), 20).numpy()
  assert fitted.shape == (20, 20, 3)
  assert fitted.dtype == np.float32
  assert fitted[:, 10].min() > 0.99
  assert fitted[:, 0].max() < 0.01 and fitted[:, -1].max() < 0.01


def test_pipeline_skips_a_corrupt_image_and_keeps_the_rest(tmp_path):
  root = _write_folder(tmp_path, {"a": 3, "b": 3})
  with open(os.path.join(root, "a", "01.png"), "wb") as f:
    f.write(b"\x89PNG this is not really a png")
  dataset = datasets.load(root, test_fraction=0.5, seed=0)
  everything = dataset.train.names + dataset.test.names
  seen = [name.decode() for part in (dataset.train, dataset.test)
          for batch in pipeline.batches(part.images(), 16, 4)
          for name in batch["name"].numpy()]
  assert sorted(seen) == sorted(set(everything) - {"a/01.png"})


@pytest.mark.real_data
def test_dtd10_fold_lists(dtd10_root):
  fold = datasets.load(dtd10_root, fold=2)
  assert len(fold.class_names) == 10
  assert (len(fold.train), len(fold.test)) == (800, 400)
  assert not set(fold.train.names) & set(fold.test.names)
  assert fold.name == datasets.load(f"dtd:{dtd10_root}", fold=5).name
  with pytest.raises(errors.ArgumentError, match="fold"):
    datasets.load(dtd10_root, fold=11)


@pytest.mark.real_data
def test_dtd10_images_decode_with_their_labels(dtd10_root):
  fold = datasets.load(dtd10_root, fold=1)
  names = fold.test.names[:2] + fold.test.names[-2:]
  batch = next(iter(pipeline.batches(fold.test.subset(names).images(), 48,
                                     4)))
  assert batch["image"].shape == (4, 48, 48, 3)
  assert [n.decode() for n in batch["name"].numpy()] == list(names)
  labels = [fold.class_names[i] for i in batch["label"].numpy()]
  assert labels == [n.split("/")[0] for n in names]
  assert float(tf.math.reduce_std(batch["image"])) > 0.02


@pytest.mark.real_data
def test_brodatz_plates_are_cut_into_tiles(brodatz_root):
  tiles = brodatz.plate_tiles(brodatz_root, "D1/D1.gif", 4)
  assert len(tiles) == 16
  assert tiles[-1][1] == (480, 480, 160, 160)
  dataset = datasets.load(f"brodatz:{brodatz_root}", tiles_per_side=4)
  assert len(dataset.class_names) == 112
  assert (len(dataset.train), len(dataset.test)) == (112 * 12, 112 * 4)
  batch = next(iter(pipeline.batches(dataset.test.subset(
      dataset.test.names[:2]).images(), 32, 2)))
  assert batch["image"].shape == (2, 32, 32, 3)


def test_tfds_unknown_builder_fails_in_one_line():
  with pytest.raises(errors.ArgumentError, match="no_such_texture_set"):
    datasets.load("tfds:no_such_texture_set")


def test_tfds_unprepared_dataset_fails_without_downloading(tmp_path):
  with pytest.raises(errors.ArgumentError, match="not prepared"):
    datasets.load("tfds:dtd", data_dir=str(tmp_path))


def test_bad_specs_raise_argument_errors(tmp_path):
  with pytest.raises(errors.ArgumentError, match="not found"):
    datasets.load(f"folder:{tmp_path}/missing")
  with pytest.raises(errors.ArgumentError, match="no <class>"):
    datasets.load(str(tmp_path))
  with pytest.raises(errors.ArgumentError, match="test fraction"):
    _write_folder(tmp_path / "x", {"a": 2})
    datasets.load(str(tmp_path / "x"), test_fraction=1.5)


@pytest.mark.parametrize(
    "entry", ["../outside/00.png", "a/../../outside/00.png", "ABSOLUTE"])
def test_a_dtd_list_entry_that_leaves_the_root_is_refused(tmp_path, entry):
  root = _write_folder(tmp_path / "dtd", {"a": 2})
  outside = _write_folder(tmp_path / "outside", {"x": 1})
  if entry == "ABSOLUTE":
    entry = os.path.join(outside, "x", "00.png")
  (tmp_path / "dtd" / "split_trainval1.txt").write_text("a/00.png\n")
  (tmp_path / "dtd" / "split_test1.txt").write_text(f"a/01.png\n{entry}\n")
  with pytest.raises(errors.ArgumentError, match="leaves the dataset root"):
    datasets.load(f"dtd:{root}")


def test_a_folder_of_links_to_images_elsewhere_is_read(tmp_path):
  root = _write_folder(tmp_path / "data", {"a": 2})
  elsewhere = _write_folder(tmp_path / "elsewhere", {"b": 2})
  os.symlink(os.path.join(elsewhere, "b"), os.path.join(root, "b"))
  assert datasets.load(f"folder:{root}").class_names == ("a", "b")
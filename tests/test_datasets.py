"""Dataset loaders (folders, DTD folds, Brodatz tiles, tfds), pipeline."""

import os

import numpy as np
from PIL import Image
from PIL import ImageOps
import pytest
import tensorflow as tf

from fmi_tf import datasets
from fmi_tf import errors
from fmi_tf.datasets import brodatz
from fmi_tf.datasets import pipeline
from tests import hostile_images


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


def test_a_dataset_spec_carries_its_split_to_every_fold(tmp_path):
  root = _write_folder(tmp_path, {"a": 8, "b": 4})
  spec = datasets.DatasetSpec(f"folder:{root}", test_fraction=0.5, seed=3)
  loaded = spec.load()
  assert loaded.test.names == datasets.load(root, test_fraction=0.5,
                                            seed=3).test.names
  assert len(loaded.test) == 6
  assert datasets.resolve(spec, fold=1).test.names == loaded.test.names
  # A spec string alone is read with the defaults of the spec's settings.
  assert datasets.resolve(root).test.names == datasets.DatasetSpec(
      root).load().test.names
  assert len(datasets.resolve(root).test) == 3


@pytest.mark.parametrize("source", [None, 7, ["folder:x"]])
def test_a_dataset_spec_of_no_string_is_refused(source):
  with pytest.raises(errors.ArgumentError, match="dataset spec is a string"):
    datasets.DatasetSpec(source)


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
  with pytest.raises(errors.ArgumentError, match="test_fraction"):
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


@pytest.mark.parametrize("link", ["class", "image"])
def test_a_symbolic_link_out_of_the_root_is_refused(tmp_path, link):
  root = _write_folder(tmp_path / "data", {"a": 2})
  elsewhere = _write_folder(tmp_path / "elsewhere", {"b": 2})
  if link == "class":
    os.symlink(os.path.join(elsewhere, "b"), os.path.join(root, "b"))
  else:
    os.symlink(os.path.join(elsewhere, "b", "00.png"),
               os.path.join(root, "a", "02.png"))
  with pytest.raises(errors.ArgumentError, match="outside the dataset root"):
    datasets.load(f"folder:{root}")


def test_a_symbolic_link_inside_the_root_is_followed(tmp_path):
  root = _write_folder(tmp_path / "data", {"a": 2, "b": 2})
  os.symlink(os.path.join(root, "b"), os.path.join(root, "c"))
  os.symlink(os.path.join(root, "a", "00.png"),
             os.path.join(root, "b", "09.png"))
  loaded = datasets.load(f"folder:{root}")
  assert loaded.class_names == ("a", "b", "c")
  assert "b/09.png" in loaded.train.names + loaded.test.names


def _write_dtd(tmp_path, test_list: bytes):
  root = _write_folder(tmp_path / "dtd", {"a": 2, "b": 2})
  (tmp_path / "dtd" / "split_trainval1.txt").write_text("a/00.png\nb/00.png\n")
  (tmp_path / "dtd" / "split_test1.txt").write_bytes(test_list)
  return root


@pytest.mark.parametrize("test_list,phrase", [
    (b"a/01.png\n\x89PNG\r\n\x1a\n\xff\xfe\x00\x00", "line 2 is not UTF-8"),
    (b"a/01.png\n\nb01.png\n", "line 3: 'b01.png' is not a <class>/<file>"),
    (b"a/\n", "line 1: 'a/' is not"),
    (b"a/01.png\x00\n", "line 1: 'a/01.png\\x00' is not"),
])
def test_a_dtd_list_that_is_not_a_list_of_paths_is_refused(tmp_path,
                                                           test_list,
                                                           phrase):
  root = _write_dtd(tmp_path, test_list)
  with pytest.raises(errors.ArgumentError) as raised:
    datasets.load(f"dtd:{root}")
  message = str(raised.value)
  assert "split_test1.txt" in message and phrase in message, message
  assert "\n" not in message


def test_a_dtd_list_with_blank_lines_is_read(tmp_path):
  root = _write_dtd(tmp_path, b"\na/01.png\n\n  b/01.png  \n")
  assert datasets.load(f"dtd:{root}").test.names == ("a/01.png", "b/01.png")


def _names_read(dataset):
  return sorted(name.decode() for part in (dataset.train, dataset.test)
                for batch in pipeline.batches(part.images(), 16, 4)
                for name in batch["name"].numpy())


@pytest.mark.parametrize("bomb", [hostile_images.bomb_png,
                                  hostile_images.bomb_jpeg])
def test_an_image_over_the_pixel_limit_is_skipped_undecoded(tmp_path, bomb):
  root = _write_folder(tmp_path, {"a": 3, "b": 3})
  (tmp_path / "a" / "01.png").write_bytes(bomb())
  dataset = datasets.load(root, test_fraction=0.5, seed=0)
  everything = dataset.train.names + dataset.test.names
  assert _names_read(dataset) == sorted(set(everything) - {"a/01.png"})


@pytest.mark.parametrize("orientation", range(1, 9))
def test_orient_matches_pillow_for_every_exif_orientation(orientation):
  stored = np.random.default_rng(orientation).integers(0, 256, (5, 7, 3),
                                                       np.uint8)
  image = Image.fromarray(stored)
  image.getexif()[hostile_images.ORIENTATION] = orientation
  expected = np.asarray(ImageOps.exif_transpose(image))
  np.testing.assert_array_equal(
      pipeline.orient(tf.constant(stored), orientation).numpy(), expected)


def test_a_sideways_photo_is_read_upright(tmp_path):
  root = _write_folder(tmp_path, {"a": 2, "b": 2})
  data, upright = hostile_images.sideways_jpeg(6)
  (tmp_path / "a" / "02.jpg").write_bytes(data)
  dataset = datasets.load(root, test_fraction=0.5, seed=0)
  images = [element["image"].numpy()
            for part in (dataset.train, dataset.test)
            for element in part.images()
            if element["name"].numpy() == b"a/02.jpg"]
  assert len(images) == 1 and images[0].shape == upright.shape
  assert np.abs(images[0].astype(int) - upright).mean() < 8


def test_a_brodatz_plate_smaller_than_its_tiles_is_refused(tmp_path):
  _write_folder(tmp_path, {"D1": 1, "D2": 1}, size=(6, 6))
  with pytest.raises(errors.ArgumentError, match="too small for 8 tiles"):
    datasets.load(f"brodatz:{tmp_path}", tiles_per_side=8)
  (tmp_path / "D2" / "00.png").write_bytes(hostile_images.bomb_png())
  with pytest.raises(errors.ImageError, match="more than the limit"):
    datasets.load(f"brodatz:{tmp_path}", tiles_per_side=2)

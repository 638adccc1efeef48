"""Image reading: every mode becomes RGB in [0, 1]; bad files are named."""

import numpy as np
from PIL import Image
import pytest

from fmi_tf import errors
from fmi_tf.io import images
from tests import hostile_images


def _save(tmp_path, image, name):
  path = str(tmp_path / name)
  image.save(path)
  return path


@pytest.mark.parametrize("mode", ["L", "RGBA", "P", "LA", "CMYK", "1"])
def test_modes_become_rgb(tmp_path, mode):
  source = Image.new("RGB", (10, 6), (200, 100, 50)).convert(mode)
  name = "x.tif" if mode == "CMYK" else "x.png"
  rgb = images.load_image(_save(tmp_path, source, name))
  assert rgb.shape == (6, 10, 3) and rgb.dtype == np.float32
  assert 0 <= rgb.min() and rgb.max() <= 1


def test_rgba_is_composited_on_white(tmp_path):
  transparent = Image.new("RGBA", (4, 4), (255, 0, 0, 0))
  rgb = images.load_image(_save(tmp_path, transparent, "t.png"))
  np.testing.assert_allclose(rgb, 1.0)


def test_16_bit_greyscale_is_scaled(tmp_path):
  values = np.array([[0, 32768], [65535, 16384]], np.uint16)
  image = Image.fromarray(values)
  assert image.mode.startswith("I;16")
  rgb = images.load_image(_save(tmp_path, image, "g16.png"))
  np.testing.assert_allclose(rgb[..., 0], values / 65535.0, atol=1e-6)
  np.testing.assert_array_equal(rgb[..., 0], rgb[..., 2])


def test_longer_side_is_resized(tmp_path):
  path = _save(tmp_path, Image.new("RGB", (400, 100), "white"), "w.png")
  assert images.load_image(path, size=64).shape == (16, 64, 3)


def test_default_photo_is_embedded():
  rgb = images.load_image(None, 64)
  assert rgb.shape == (43, 64, 3)
  assert rgb.std() > 0.05


def test_missing_file(tmp_path):
  with pytest.raises(errors.ImageError, match="not found"):
    images.load_image(str(tmp_path / "none.jpg"))


def test_non_image_file(tmp_path):
  path = tmp_path / "notes.jpg"
  path.write_text("these are not pixels")
  with pytest.raises(errors.ImageError, match="notes.jpg"):
    images.load_image(str(path))


def test_truncated_file(tmp_path):
  full = _save(tmp_path, Image.fromarray(
      np.random.default_rng(0).integers(0, 255, (64, 64, 3), np.uint8)),
      "full.jpg")
  data = open(full, "rb").read()
  truncated = tmp_path / "cut.jpg"
  truncated.write_bytes(data[:len(data) // 2])
  with pytest.raises(errors.ImageError, match="cut.jpg"):
    images.load_image(str(truncated))


def test_unreadable_file(tmp_path):
  path = tmp_path / "dir.png"
  path.mkdir()
  with pytest.raises(errors.ImageError):
    images.load_image(str(path))


def test_size_zero_is_refused():
  with pytest.raises(errors.ArgumentError, match="size"):
    images.load_image(None, 0)


@pytest.mark.parametrize("data,phrase", [
    (hostile_images.bomb_png(), "more than the limit"),
    (hostile_images.bomb_jpeg(), "more than the limit"),
    (hostile_images.bomb_png(9000, 9000), "9000 x 9000 pixels"),
])
def test_an_image_over_the_pixel_limit_is_refused_from_its_header(
    tmp_path, data, phrase):
  path = tmp_path / "bomb.img"
  path.write_bytes(data)
  assert len(data) < 200_000
  for read in (images.load_image, images.header):
    with pytest.raises(errors.ImageError, match=phrase) as raised:
      read(str(path))
    assert "bomb.img" in str(raised.value)
    assert "\n" not in str(raised.value)


def test_header_reads_size_and_orientation_without_decoding(tmp_path):
  data, upright = hostile_images.sideways_jpeg(6)
  path = tmp_path / "sideways.jpg"
  path.write_bytes(data)
  assert images.header(str(path)) == (32, 16, 6)
  assert images.header(data) == (32, 16, 6)
  flat = tmp_path / "flat.png"
  Image.new("RGB", (5, 3)).save(flat)
  assert images.header(str(flat)) == (5, 3, 1)
  assert upright.shape == (32, 16, 3)


@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_exif_orientation_is_applied(tmp_path, orientation):
  data, upright = hostile_images.sideways_jpeg(orientation)
  path = tmp_path / "photo.jpg"
  path.write_bytes(data)
  for rgb in (images.load_image(str(path)),
              images.as_rgb(Image.open(path))):
    assert rgb.shape == upright.shape
    assert np.abs(images.to_uint8(rgb).astype(int) - upright).mean() < 8

"""One rule for image arrays from a notebook: uint8 in [0, 255] or floats in
[0, 1]; anything ambiguous is refused, never silently turned white."""

import numpy as np
import pytest

import fmi_tf
from fmi_tf import errors
from fmi_tf.io import images as image_io
from fmi_tf.recognition import fitting

_PHOTO = np.random.default_rng(0).integers(0, 256, (16, 16, 3))


@pytest.mark.parametrize("array, message", [
    (_PHOTO.astype(np.int64), "dtype int64 is ambiguous"),
    (_PHOTO.astype(np.uint16), "dtype uint16 is ambiguous"),
    (_PHOTO.astype(np.int32), "dtype int32 is ambiguous"),
    (_PHOTO > 128, "dtype bool is ambiguous"),
    (_PHOTO.astype(np.float64), r"\[0, 1\], not 0 to 255"),
    (_PHOTO.astype(np.float32) - 300, r"not -300 to"),
    (np.full((4, 4, 3), np.nan), "NaN or an infinity"),
    (np.full((4, 4, 3), np.inf, np.float32), "NaN or an infinity"),
    (np.zeros((0, 4, 3)), r"\[H, W, 3\]"),
    (np.zeros((4, 4)), r"\[H, W, 3\]"),
    (np.array([["a", "b", "c"]] * 2).reshape(2, 1, 3), "dtype <U1"),
    (np.zeros((9000, 9000, 3), np.uint8)[:, :, :], "pixels"),
])
def test_an_array_outside_the_rule_is_refused(array, message):
  with pytest.raises(errors.ImageError, match=message):
    image_io.as_rgb(array)
  with pytest.raises(errors.ImageError, match=message):
    fitting.fitted_images(array, 8)


def test_uint8_and_unit_floats_give_the_same_image():
  as_uint8 = image_io.as_rgb(_PHOTO.astype(np.uint8))
  as_float = image_io.as_rgb(_PHOTO / 255.0)
  assert as_uint8.dtype == as_float.dtype == np.float32
  np.testing.assert_allclose(as_uint8, as_float, atol=1e-6)
  np.testing.assert_allclose(fitting.fitted_images(_PHOTO.astype(np.uint8), 8),
                             fitting.fitted_images(_PHOTO / 255.0, 8),
                             atol=1e-6)


def test_the_api_refuses_an_int64_photo(tiny_backbone):
  with pytest.raises(errors.ImageError, match="ambiguous"):
    fmi_tf.invert(tiny_backbone, "block1_conv1", filters=[0],
                  image=_PHOTO.astype(np.int64), steps=1)
  with pytest.raises(errors.ImageError, match="ambiguous"):
    fmi_tf.stylize(tiny_backbone, content=_PHOTO.astype(np.int64),
                   style=_PHOTO.astype(np.uint8), steps=1, size=16)

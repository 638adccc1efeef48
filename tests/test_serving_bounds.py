"""A served model cannot be starved: the work per image is bounded after
fitting, a batch is bounded in the graph, non-finite descriptors fail."""

import io
import resource

import keras
import numpy as np
from PIL import Image
import pytest
import tensorflow as tf

from fmi_tf.datasets import pipeline
from fmi_tf.serving import adapters
from fmi_tf.serving import tf_modules


def _png(pixels: np.ndarray) -> bytes:
  buffer = io.BytesIO()
  Image.fromarray(pixels).save(buffer, format="PNG")
  return buffer.getvalue()


def _peak_mib() -> float:
  return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_a_strip_is_fitted_without_scaling_it_up():
  strip = np.random.default_rng(0).integers(0, 256, (1, 100000, 3), np.uint8)
  data = _png(strip)
  assert len(data) < 400_000
  before = _peak_mib()
  fitted = adapters.decode_batch(tf.constant([data]), 64).numpy()
  # Scaled up whole, the strip would be 64 x 6400000 float pixels (4.9 GB).
  assert _peak_mib() - before < 1000
  assert fitted.shape == (1, 64, 64, 3)
  centre = strip[:, 50000 - 2:50000 + 2]
  np.testing.assert_allclose(fitted[0], pipeline.fit_image(centre, 64),
                             atol=1e-6)


def test_images_of_ordinary_aspect_are_fitted_as_before():
  image = np.random.default_rng(1).integers(0, 256, (30, 90, 3), np.uint8)
  fitted = pipeline.fit_image(image, 20).numpy()
  whole = tf.image.resize(tf.image.convert_image_dtype(image, tf.float32),
                          (20, 60), antialias=True)
  np.testing.assert_allclose(fitted, tf.clip_by_value(whole[:, 20:40], 0, 1),
                             atol=1e-6)
  tall = pipeline.fit_image(image.transpose(1, 0, 2), 20).numpy()
  np.testing.assert_allclose(tall, fitted.transpose(1, 0, 2), atol=1e-6)


def test_a_batch_over_the_limit_is_refused_naming_it():
  images = tf.zeros([adapters.MAX_BATCH + 1, 8, 8, 3], tf.uint8)
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match=f"at most {adapters.MAX_BATCH} images"):
    adapters.fit_batch(images, 8)
  assert adapters.fit_batch(images[:adapters.MAX_BATCH], 8).shape[0] == (
      adapters.MAX_BATCH)
  tiny = _png(np.zeros((2, 2, 3), np.uint8))
  with pytest.raises(tf.errors.InvalidArgumentError, match="MAX_BATCH"):
    adapters.decode_batch(tf.constant([tiny] * 1000), 8)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf, 3e38])
def test_non_finite_descriptors_are_an_error_never_nan(value):
  classifier = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
  classifier.layers[0].set_weights([np.ones((4, 3), np.float32),
                                    np.zeros(3, np.float32)])
  module = tf_modules.ClassifierModule(classifier, ("a", "b", "c"))
  fine = module.serve_descriptors(tf.ones([2, 4]))
  assert np.isfinite(fine["probabilities"].numpy()).all()
  with pytest.raises(tf.errors.InvalidArgumentError, match="not finite"):
    module.serve_descriptors(tf.constant([[0, 0, 0, 0], [value, value, 0, 0]],
                                         tf.float32))
  with pytest.raises(tf.errors.InvalidArgumentError, match="MAX_BATCH"):
    module.serve_descriptors(tf.ones([adapters.MAX_BATCH + 1, 4]))

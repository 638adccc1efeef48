"""Linear classifiers, their Keras form, evaluation reports; real training."""

import numpy as np
import pytest
from scipy import special

from fmi_tf import datasets
from fmi_tf import errors
from fmi_tf.recognition import classifier
from fmi_tf.recognition import descriptor_cache
from fmi_tf.recognition import encoder
from fmi_tf.recognition import encoder_config
from fmi_tf.recognition import evaluation
from fmi_tf.recognition import experiment

CLASSES = ("stripes", "dots", "waves")


def _blobs(rng, per_class=20, dims=12):
  centres = rng.normal(0, 3, (len(CLASSES), dims))
  labels = np.repeat(np.arange(len(CLASSES)), per_class)
  return centres[labels] + rng.normal(0, 0.5, (len(labels), dims)), labels


@pytest.mark.parametrize("method", classifier.METHODS)
def test_separable_classes_are_learnt(rng, method):
  x, labels = _blobs(rng)
  fitted = classifier.train(x, labels, CLASSES, method)
  assert fitted.weights.shape == (12, 3)
  assert np.mean(fitted.predict(x) == labels) == 1.0


def test_keras_layer_and_saved_file_give_the_same_scores(rng, tmp_path):
  x, labels = _blobs(rng)
  fitted = classifier.train(x, labels, CLASSES)
  keras_scores = fitted.to_keras()(x.astype(np.float32)).numpy()
  np.testing.assert_allclose(keras_scores, fitted.scores(x), rtol=1e-4,
                             atol=1e-4)
  fitted.save(str(tmp_path))
  loaded = classifier.LinearClassifier.load(str(tmp_path))
  assert loaded.class_names == CLASSES
  np.testing.assert_array_equal(loaded.weights, fitted.weights)


def test_standardised_descriptors_have_zero_mean_and_unit_mean_norm(rng):
  x = rng.normal(3.0, 1.0, (30, 8)) * rng.uniform(0.1, 50, 8)
  x[:, 2] = 7.0
  mean, scale = classifier.standardisation(x)
  standardised = (x - mean) / scale
  np.testing.assert_allclose(standardised.mean(axis=0), 0.0, atol=1e-9)
  np.testing.assert_allclose(np.mean(np.sum(standardised ** 2, axis=1)),
                             7 / 8, rtol=1e-6)
  np.testing.assert_allclose(np.delete(standardised.var(axis=0), 2), 1 / 8,
                             rtol=1e-6)
  assert np.all(standardised[:, 2] == 0.0)


@pytest.mark.parametrize("method", classifier.METHODS)
def test_predictions_are_invariant_to_an_affine_rescaling(rng, method):
  x, labels = _overlapping(rng, rng.normal(0, 1.0, (len(CLASSES), 12)), 10)
  new = rng.normal(0, 2.0, (20, 12))
  scale, shift = rng.uniform(0.01, 100, 12), rng.normal(0, 50, 12)
  fitted = classifier.train(x, labels, CLASSES, method)
  rescaled = classifier.train(x * scale + shift, labels, CLASSES, method)
  np.testing.assert_allclose(rescaled.scores(new * scale + shift),
                             fitted.scores(new), rtol=1e-2, atol=1e-2)
  np.testing.assert_array_equal(rescaled.predict(new * scale + shift),
                                fitted.predict(new))


@pytest.mark.parametrize("method", classifier.METHODS)
def test_fitting_in_the_span_of_wide_descriptors_is_exact(rng, method):
  x, labels = _blobs(rng, per_class=6, dims=4)
  wide = x @ rng.normal(size=(4, 40)) + rng.normal(0, 0.3, (18, 40))
  # 18 images of 40 dimensions are fitted in their span; three copies of
  # each (54 > 40) in all 40 dimensions. Each copy adds the images' loss
  # once more, so the copies at C fit what the originals do at 3 C.
  in_span = classifier.train(wide, labels, CLASSES, method,
                             3 * classifier.DEFAULT_C)
  in_full = classifier.train(np.tile(wide, (3, 1)), np.tile(labels, 3),
                             CLASSES, method)
  new = rng.normal(size=(5, 40))
  np.testing.assert_allclose(in_span.scores(new), in_full.scores(new),
                             rtol=1e-2, atol=1e-2)


def test_two_classes_get_a_score_each(rng):
  x, labels = _blobs(rng)
  keep = labels < 2
  fitted = classifier.train(x[keep], labels[keep], CLASSES)
  assert np.mean(fitted.predict(x[keep]) == labels[keep]) == 1.0
  assert np.all(fitted.predict(x) != 2)


def test_bad_arguments_raise(rng, tmp_path):
  x, labels = _blobs(rng)
  with pytest.raises(errors.ArgumentError, match="classifier"):
    classifier.train(x, labels, CLASSES, "forest")
  with pytest.raises(errors.ArgumentError, match="C must"):
    classifier.train(x, labels, CLASSES, regularization=0)
  with pytest.raises(errors.ArgumentError, match="2 classes"):
    classifier.train(x[:5], labels[:5], CLASSES)
  with pytest.raises(errors.ArgumentError, match="classifier.npz"):
    classifier.LinearClassifier.load(str(tmp_path))


def test_report_counts_and_per_class_accuracy():
  labels = np.array([0, 0, 0, 1, 1, 2])
  predicted = np.array([0, 0, 1, 1, 2, 2])
  report = evaluation.report(labels, predicted, CLASSES)
  assert report["confusion_matrix"] == [[2, 1, 0], [0, 1, 1], [0, 0, 1]]
  assert report["accuracy"] == pytest.approx(4 / 6)
  assert report["per_class_accuracy"] == pytest.approx(
      {"stripes": 2 / 3, "dots": 0.5, "waves": 1.0})
  image = evaluation.confusion_image(
      np.asarray(report["confusion_matrix"]), CLASSES)
  pixels = np.asarray(image)
  assert pixels.shape[2] == 3 and min(image.size) > 100
  assert pixels.std() > 10


def test_a_class_never_seen_still_has_a_row_and_a_column():
  report = evaluation.report(np.array([0, 0, 1]), np.array([0, 1, 1]),
                             CLASSES)
  assert report["confusion_matrix"] == [[1, 1, 0], [0, 1, 0], [0, 0, 0]]
  assert report["per_class_accuracy"]["waves"] is None


@pytest.mark.real_weights
@pytest.mark.real_data
@pytest.mark.slow
def test_a_small_dtd10_subset_is_learnt_far_above_chance(
    real_backbone, dtd10_root):
  fold = datasets.load(dtd10_root, fold=1)

  def per_class(examples, count):
    names = [n for c in fold.class_names for n in
             [m for m in examples.names if m.startswith(c + "/")][:count]]
    return examples.subset(tuple(names))

  small = datasets.Dataset(fold.name, fold.class_names,
                           per_class(fold.train, 8),
                           per_class(fold.test, 4), fold.protocol)
  setup = experiment.Setup(image_size=64)
  cache = descriptor_cache.DescriptorCache(None, {})
  outcome = experiment.run(
      small, encoder.build(real_backbone, encoder_config.EncoderConfig()),
      setup, cache)
  assert outcome.report["test_images"] == 40
  assert outcome.report["accuracy"] >= 0.35



def _overlapping(rng, centres, per_class):
  labels = np.repeat(np.arange(len(centres)), per_class)
  return centres[labels] + rng.normal(0, 2.0, (len(labels), 12)), labels


def _log_loss(probabilities, labels):
  return -np.mean(np.log(probabilities[np.arange(len(labels)), labels]))


@pytest.mark.parametrize("method", classifier.METHODS)
def test_probabilities_are_calibrated_on_held_out_training_scores(
    rng, method, tmp_path):
  centres = rng.normal(0, 1.0, (len(CLASSES), 12))
  x, labels = _overlapping(rng, centres, 40)
  test_x, test_labels = _overlapping(rng, centres, 400)
  fitted = classifier.train(x, labels, CLASSES, method)
  probabilities = fitted.probabilities(test_x)
  np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-6)
  np.testing.assert_array_equal(np.argmax(probabilities, axis=1),
                                fitted.predict(test_x))
  accuracy = np.mean(fitted.predict(test_x) == test_labels)
  assert 0.5 < accuracy < 0.95
  confidence = np.mean(probabilities.max(axis=1))
  assert abs(confidence - accuracy) < 0.1, (confidence, accuracy)
  in_sample = classifier.fit_temperature(fitted.scores(x), labels)
  for other in (1.0, in_sample):
    uncalibrated = special.softmax(fitted.scores(test_x) / other, axis=-1)
    assert _log_loss(probabilities, test_labels) <= _log_loss(
        uncalibrated, test_labels)
  fitted.save(str(tmp_path))
  loaded = classifier.LinearClassifier.load(str(tmp_path))
  assert loaded.temperature == pytest.approx(fitted.temperature)

"""Per-filter contributions: exact, ranked, deletable, displayed, refused."""

import numpy as np
import pytest

from fmi_tf import errors
from fmi_tf.nets import networks
from fmi_tf.recognition import classifier
from fmi_tf.recognition import encoder
from fmi_tf.recognition import encoder_config
from fmi_tf.recognition import explanation
from fmi_tf.recognition import trained_model
from fmi_tf.recognition import training

CLASSES = ("banded", "dotted", "<striped>")
SIZE = 24


@pytest.fixture(scope="module")
def clf(tiny_backbone):
  config = encoder_config.EncoderConfig(kind="energy", layers=("block1_conv1",
                                                               "block2_conv1"))
  model = encoder.build(tiny_backbone, config)
  images = np.random.default_rng(3).uniform(size=(12, SIZE, SIZE, 3))
  descriptors = model(images.astype(np.float32)).numpy()
  fitted = classifier.train(descriptors, np.arange(12) % 3, CLASSES)
  return training.TextureClassifier(
      trained_model.TrainedModel(model, config, SIZE, fitted,
                                 networks.record(tiny_backbone)), {})


def test_a_hand_computed_contribution():
  linear = classifier.LinearClassifier(
      np.array([[2.0, 0.0], [-1.0, 1.0]], np.float32),
      np.array([0.5, 0.0], np.float32), ("a", "b"), 1.0,
      np.array([1.0, 1.0], np.float32), np.ones(2, np.float32))
  # Class 0 at x = (3, 2): 2 * (3 - 1) = 4 and -1 * (2 - 1) = -1.
  np.testing.assert_allclose(
      explanation.contributions(linear, [[3.0, 2.0]], [0]), [[4.0, -1.0]])
  units = explanation.Units("filter", ("l", "l"), np.arange(2))
  (why,) = explanation.explain_descriptors(linear, units, [[3.0, 2.0]], k=2)
  assert why.class_name == "a" and why.score == pytest.approx(4.5)
  assert why.baseline == pytest.approx(1.5)
  assert [(c.index, c.contribution) for c in why.top] == [(0, 4.0), (1, -1.0)]


def test_units_follow_the_descriptor_layout(clf, tiny_backbone):
  units = explanation.descriptor_units(clf.model.encoder)
  channels = [tiny_backbone.num_filters(l) for l in ("block1_conv1",
                                                     "block2_conv1")]
  assert len(units) == clf.model.encoder.outputs[0].shape[-1] == sum(channels)
  assert units.layers[channels[0] - 1] == "block1_conv1"
  assert units.layers[channels[0]] == "block2_conv1"
  assert units.indices[channels[0]] == 0 and units.kind == "filter"


def test_gram_units_are_pairs_and_name_the_projected_layers(tiny_backbone):
  config = encoder_config.EncoderConfig(kind="gram", layers=("block1_conv1",
                                                             "block2_conv1"),
                                 gram_dim=4)
  model = encoder.build(tiny_backbone, config)
  units = explanation.descriptor_units(model)
  assert len(units) == model.outputs[0].shape[-1]
  assert units.kind == "gram entry" and units.pairs.shape == (len(units), 2)
  assert set(units.projected) == {
      l for l in config.layers if tiny_backbone.num_filters(l) > 4}


def test_contributions_add_up_to_the_score_and_rank_the_top(clf):
  images = np.random.default_rng(8).uniform(size=(3, SIZE, SIZE, 3))
  explained = clf.explain(images.astype(np.float32), k=4)
  probabilities = clf.probabilities(images.astype(np.float32))
  for why, row in zip(explained, probabilities):
    assert why.class_id == int(np.argmax(row))
    assert why.probability == pytest.approx(row.max(), rel=1e-4)
    assert sum(why.layers.values()) == pytest.approx(
        why.score - why.baseline, abs=1e-3)
    values = [c.contribution for c in why.top]
    assert values == sorted(values, reverse=True) and len(values) == 4
    assert why.image.dtype == np.uint8 and why.image.shape == (SIZE, SIZE, 3)


def test_deleting_the_top_units_lowers_the_score_most(clf):
  linear = clf.model.classifier
  units = explanation.descriptor_units(clf.model.encoder)
  x = clf.model.encoder(np.random.default_rng(9).uniform(
      size=(1, SIZE, SIZE, 3)).astype(np.float32)).numpy()
  (why,) = explanation.explain_descriptors(linear, units, x, k=3)
  parts = explanation.contributions(linear, x, [why.class_id])[0]
  top = np.argsort(-parts)[:3]
  deleted = x.copy()
  deleted[0, top] = linear.mean[top]
  drop = linear.scores(x)[0, why.class_id] - linear.scores(
      deleted)[0, why.class_id]
  assert drop == pytest.approx(sum(c.contribution for c in why.top),
                               rel=1e-3)
  for seed in range(5):
    other = np.random.default_rng(seed).choice(len(units), 3, replace=False)
    assert drop >= parts[other].sum() - 1e-6


@pytest.mark.parametrize("k", [0, 10**6, 2.5, True])
def test_k_outside_the_descriptor_is_refused(clf, k):
  with pytest.raises(errors.ArgumentError, match=r"k \(1 to the "
                     r"descriptor's \d+ dimensions"):
    clf.explain(np.zeros((1, SIZE, SIZE, 3), np.float32), k=k)


def test_a_classifier_saved_before_means_were_kept_is_refused(clf, tmp_path):
  old = classifier.LinearClassifier(clf.model.classifier.weights,
                                    clf.model.classifier.bias, CLASSES)
  old.save(str(tmp_path))
  loaded = classifier.LinearClassifier.load(str(tmp_path))
  assert loaded.mean is None
  with pytest.raises(errors.ArgumentError, match="saved before classifiers "
                     "kept their training mean"):
    explanation.contributions(loaded, np.zeros((1, 4)), [0])


def test_a_saved_classifier_keeps_its_standardisation(clf, tmp_path):
  clf.model.classifier.save(str(tmp_path))
  loaded = classifier.LinearClassifier.load(str(tmp_path))
  np.testing.assert_array_equal(loaded.mean, clf.model.classifier.mean)
  np.testing.assert_array_equal(loaded.scale, clf.model.classifier.scale)


def test_record_round_trip_and_notebook_display(clf):
  (why,) = clf.explain(np.full((1, SIZE, SIZE, 3), 0.5, np.float32), k=2)
  again = explanation.Explanation.from_dict(why.to_dict())
  assert again == why
  shown = why._repr_html_()
  assert shown.count("<tr>") == 2 and "data:image/png;base64," in shown
  assert "<striped>" not in shown
  with pytest.raises(errors.ArgumentError, match="schema_version"):
    explanation.Explanation.from_dict({**why.to_dict(), "schema_version": 0})


def test_voters_rank_the_standardised_weights(clf):
  linear = clf.model.classifier
  units = explanation.descriptor_units(clf.model.encoder)
  voted = explanation.voters(linear, units, 1, k=3)
  standardised = linear.weights[:, 1] * linear.scale
  assert [d for d, _ in voted] == np.argsort(-standardised)[:3].tolist()
  assert voted[0][1] == pytest.approx(standardised.max())

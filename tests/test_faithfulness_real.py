"""The faithfulness smoke run: real VGG19, a MobileNet judge, DTD-10.

Tiny sizes and few filters, so that it runs in CI; it fails when a score
leaves [0, 1], when natural exemplars do not beat their null on real
images, or when a condition, judge or filter is silently missing.
"""

import numpy as np
import pytest

from fmi_tf.faithfulness import measure
from fmi_tf.faithfulness import score

pytestmark = [pytest.mark.real_weights, pytest.mark.real_data,
              pytest.mark.slow]

LAYERS = ("block1_conv1", "block2_conv1")
CONDITIONS = ("invert-pixel-transfer", "invert-fourier-gain")
FILTERS = 6


@pytest.fixture(scope="module")
def smoke(real_backbone, mobilenet_weights_path, dtd10_root):
  return measure.measure_faithfulness(
      real_backbone, LAYERS, f"folder:{dtd10_root}", conditions=CONDITIONS,
      judges=["image-statistics", f"mobilenet:{mobilenet_weights_path}"],
      filters=FILTERS, queries=8, size=64, images=160, steps=10)


def test_every_condition_judge_and_filter_is_scored(smoke):
  assert list(smoke.conditions) == [*CONDITIONS, "natural-top1",
                                    "natural-top9"]
  assert list(smoke.judges) == ["image-statistics", "mobilenet"]
  for layer in LAYERS:
    assert len(smoke.filters[layer]) == FILTERS
    for condition in smoke.conditions:
      for judge in smoke.judges:
        scored = smoke.per_filter(layer, condition, judge)
        assert [s.filter for s in scored] == list(smoke.filters[layer])
  assert len(smoke.summary()) == len(LAYERS) * 2 * 4
  assert len(smoke.sanity) == len(LAYERS) * 4 * FILTERS


def test_scores_are_shares(smoke):
  values = np.array([[s.score, s.null] for s in smoke.scores])
  assert ((values >= 0) & (values <= 1)).all()
  assert all(0 <= s.checks.activation_ratio for s in smoke.sanity)


def test_natural_exemplars_beat_their_null(smoke):
  for judge in smoke.judges:
    gains = [s.gain for layer in LAYERS
             for s in smoke.per_filter(layer, "natural-top1", judge)]
    assert score.bootstrap(gains).low > 0, (judge, gains)

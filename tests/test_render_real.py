"""On the real VGG19 weights and dtd10: channel maximisation beats photos."""

import numpy as np
import pytest

import fmi_tf
from fmi_tf import datasets
from fmi_tf.datasets import pipeline
from fmi_tf.nets import feature_model

_LAYER = "block4_conv1"
_SIZE = 64
_FILTERS = [k * 64 for k in range(8)]


@pytest.mark.real_weights
@pytest.mark.real_data
@pytest.mark.slow
def test_channel_beats_every_photo_of_the_first_fold(real_backbone,
                                                     dtd10_root):
  model = feature_model.feature_model(real_backbone, [_LAYER])
  fold = datasets.load(f"dtd:{dtd10_root}", fold=1).test
  best = np.zeros(len(_FILTERS))
  photos = 0
  for batch in pipeline.batches(fold.images(), _SIZE, 32):
    means = np.asarray(model(batch["image"])[_LAYER]).mean(axis=(1, 2))
    best = np.maximum(best, means[:, _FILTERS].max(axis=0))
    photos += len(means)
  assert photos >= 100
  res = fmi_tf.render(real_backbone, fmi_tf.objectives.channel(
      _LAYER, _FILTERS), size=_SIZE, progress=False, precision="float32")
  rendered = np.asarray(model(res.images)[_LAYER]).mean(axis=(1, 2))
  reached = rendered[np.arange(len(_FILTERS)), _FILTERS]
  assert np.all(reached > best), (reached, best)

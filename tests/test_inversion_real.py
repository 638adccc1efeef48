"""On the real VGG19 weights, inverting an enhanced code raises that filter's
share of the layer's energy several-fold, at every depth the weights cover."""

import statistics

import pytest

from fmi_tf.inversion import filters


@pytest.mark.real_weights
@pytest.mark.slow
@pytest.mark.parametrize("layer,filter_ids", [
    ("block1_conv1", [1, 2, 5, 9]),
    ("block2_conv1", [2, 3, 6, 11]),
    ("block3_conv1", [1, 4, 8, 13]),
])
def test_inversion_raises_energy_share_several_fold(real_backbone, layer,
                                                    filter_ids):
  from fmi_tf.io import images  # pylint: disable=g-import-not-at-top
  photo = images.load_image(None, 48)
  inverter = filters.FilterInverter(real_backbone, layer)
  results = list(inverter.invert(photo, filter_ids))
  gains = [r.share_after / r.share_before for r in results]
  assert min(gains) > 2.0, gains
  assert statistics.median(gains) > 3.0, gains

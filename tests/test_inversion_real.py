"""On the real VGG19 weights, inverting an enhanced code raises that filter's
share of the layer's energy several-fold at every depth, and no filter is
left silent."""

import statistics

import pytest

from fmi_tf.inversion import defaults
from fmi_tf.inversion import filters
from fmi_tf.io import images

_SIZE = 48
_CONFIG = defaults.resolve("vgg19").config


@pytest.fixture(scope="module")
def test_photo():
  return images.load_image(None, _SIZE)


def _spread(num_filters: int, count: int = 16) -> list[int]:
  return [i * num_filters // count for i in range(count)]


@pytest.mark.real_weights
@pytest.mark.slow
@pytest.mark.parametrize("layer,median,minimum", [
    ("block1_conv1", 2.5, 1.4),
    ("block2_conv1", 3.5, 2.0),
    ("block3_conv1", 5.0, 2.5),
    ("block4_conv1", 5.0, 2.5),
    ("block5_conv1", 5.0, 2.5),
    ("block5_conv4", 5.0, 2.5),
])
def test_inversion_raises_energy_share_at_every_depth(real_backbone,
                                                      test_photo, layer,
                                                      median, minimum):
  inverter = filters.FilterInverter(real_backbone, layer, _CONFIG)
  results = list(inverter.invert(
      test_photo, _spread(real_backbone.num_filters(layer))))
  assert all(r.activated for r in results)
  gains = [r.share_after / r.share_before for r in results
           if r.share_before > 0]
  assert len(gains) >= 6  # deep maps are silent for many filters at 48 px
  assert min(gains) > minimum, gains
  assert statistics.median(gains) > median, gains


@pytest.mark.real_weights
@pytest.mark.slow
def test_a_filter_silent_in_the_photo_is_still_activated(real_backbone,
                                                        test_photo):
  inverter = filters.FilterInverter(real_backbone, "block2_conv1", _CONFIG)
  result = next(inverter.invert(test_photo, [0]))
  assert result.share_before == 0
  # Early stop waits for the filter's own map, not just the total loss.
  assert result.steps > _CONFIG.optimizer.steps_per_call
  assert result.share_after > 1e-3
  assert result.record()["activated"]


@pytest.mark.real_weights
@pytest.mark.slow
def test_a_filter_whose_share_pauses_is_not_stopped(real_backbone):
  # At 64 px, filter 480 of block4_conv1 loses share between steps 20 and
  # 30, then nearly triples it by step 100: a flat check must not end it.
  # (At 48 px two flat checks in a row come before the rise.)
  photo = images.load_image(None, 64)
  inverter = filters.FilterInverter(real_backbone, "block4_conv1", _CONFIG)
  result = next(inverter.invert(photo, [480]))
  assert result.steps > 30
  assert result.share_after > 2.5 * result.share_before

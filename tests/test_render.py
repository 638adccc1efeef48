"""fmi_tf.render: records, chunks, coupled batches, MaCo, accentuation."""

import os

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

import fmi_tf
from fmi_tf import errors
from fmi_tf import objectives
from fmi_tf.nets import feature_model
from fmi_tf.optim import optimizers
from fmi_tf.optim import parameterization
from fmi_tf.optim import spectral
from fmi_tf.optim import transforms

_LAYER = "block3_conv1"


def _means(backbone, images, layer=_LAYER):
  model = feature_model.feature_model(backbone, [layer])
  return np.asarray(model(images)[layer]).mean(axis=(1, 2))


def test_records_describe_each_image_and_the_run(tiny_backbone):
  res = fmi_tf.render(tiny_backbone, f"{_LAYER}:0:3", size=32, steps=10,
                      seed=5, progress=False, param="pixel")
  assert res.images.shape == (3, 32, 32, 3) and res.attribution.shape == (
      3, 32, 32)
  assert [r["index"] for r in res.records] == [0, 1, 2]
  assert [r["seed"] for r in res.records] == [[5, 0], [5, 1], [5, 2]]
  first = res.records[0]
  assert first["parameters"]["param"] == "pixel"
  assert first["parameters"]["method"] == "adam"
  assert first["size"] == [32, 32] and first["init"] == "noise"
  assert 1 <= first["steps"] <= 10
  # The record's term is minus the channel's mean on the returned image.
  np.testing.assert_allclose(
      [-r["terms"][f"loss/channel/{_LAYER}"] for r in res.records],
      [_means(tiny_backbone, res.images)[i, k] for i, k in enumerate(
          range(3))], rtol=0.05, atol=1e-3)
  assert res.grid().size[0] > 32


def test_an_image_does_not_depend_on_its_chunk(tiny_backbone):
  settings = dict(size=32, steps=8, tolerance=0.0, progress=False,
                  precision="float32")
  whole = fmi_tf.render(tiny_backbone, f"{_LAYER}:0:6", batch_size=6,
                        **settings)
  chunked = fmi_tf.render(tiny_backbone, f"{_LAYER}:0:6", batch_size=4,
                          **settings)
  np.testing.assert_allclose(whole.images, chunked.images, atol=1e-4)


def test_a_coupled_batch_runs_and_stops_as_a_whole(tiny_backbone):
  objective = (objectives.channel(_LAYER, [1, 1, 2, 2])
               + objectives.diversity("block2_conv1"))
  res = fmi_tf.render(tiny_backbone, objective, size=32, steps=60,
                      progress=False, param="pixel")
  assert len({r["steps"] for r in res.records}) == 1
  with pytest.raises(errors.ArgumentError, match="in one"):
    fmi_tf.render(tiny_backbone, objective, size=32, steps=2, batch_size=2,
                  progress=False)


def test_diversity_alone_makes_a_batch_less_alike(tiny_backbone):
  settings = dict(size=32, tolerance=0.0, progress=False, param="pixel",
                  images=3, seed=3)
  objective = objectives.diversity("block2_conv1")
  start = fmi_tf.render(tiny_backbone, objective, steps=1,
                        learning_rate=1e-9, **settings)
  diverse = fmi_tf.render(tiny_backbone, objective, steps=40, **settings)
  model = feature_model.feature_model(tiny_backbone, ["block2_conv1"])

  def mean_similarity(images):
    return float(np.mean(objective(model(images), images, {})))

  assert mean_similarity(diverse.images) < mean_similarity(start.images)


def test_sgd_and_a_users_optimizer_plug_in(tiny_backbone):
  class Sign:
    def slots(self, parameters):
      return ()

    def update(self, gradient, slots, steps, rate):
      del steps
      return optimizers.per_image(rate, gradient) * tf.sign(gradient), slots

  for method in (optimizers.SGD(momentum=0.5), Sign()):
    res = fmi_tf.render(tiny_backbone, f"{_LAYER}:1", size=32, steps=20,
                        tolerance=0.0, progress=False, param="pixel",
                        method=method, learning_rate=0.01)
    start = fmi_tf.render(tiny_backbone, f"{_LAYER}:1", size=32, steps=1,
                          progress=False, param="pixel", method=method,
                          learning_rate=1e-9)
    assert res.records[0]["loss"] < start.records[0]["loss"]
  assert res.records[0]["parameters"]["method"] == "custom:Sign"
  with pytest.raises(errors.ArgumentError, match="slots"):
    fmi_tf.render(tiny_backbone, f"{_LAYER}:1", size=32, method=object())


def test_transforms_replace_the_parameterisations_own(tiny_backbone):
  settings = dict(size=32, steps=6, tolerance=0.0, progress=False,
                  param="fourier", precision="float32")
  plain = fmi_tf.render(tiny_backbone, f"{_LAYER}:1", transforms=[],
                        **settings)
  again = fmi_tf.render(tiny_backbone, f"{_LAYER}:1", transforms=[],
                        **settings)
  rotated = fmi_tf.render(tiny_backbone, f"{_LAYER}:1",
                          transforms=[transforms.rotate(20.0)], **settings)
  np.testing.assert_allclose(plain.images, again.images, atol=1e-6)
  assert np.abs(plain.images - rotated.images).max() > 1e-3
  with pytest.raises(errors.ArgumentError, match="transform"):
    fmi_tf.render(tiny_backbone, f"{_LAYER}:1", transforms=[3], **settings)


def test_maco_keeps_the_magnitude_and_returns_a_transparency_map(
    tiny_backbone):
  res = fmi_tf.render(tiny_backbone, f"{_LAYER}:0:2", size=32, steps=20,
                      param="maco", progress=False)
  assert res.records[0]["parameters"]["param"] == "maco"
  assert res.attribution.shape == (2, 32, 32)
  assert np.isclose(res.attribution.max(), 1.0) and res.attribution.min() >= 0
  # The phase is all that moves: the spectrum of the values keeps the
  # magnitude MaCo fixed (away from the columns irfft2d folds).
  param = parameterization.make("maco", 32, 32)
  values = param.color.from_rgb(np.clip(res.images, 1e-3, 1 - 1e-3))
  spectrum = np.abs(np.fft.rfft2(np.transpose(values, [0, 3, 1, 2])))
  magnitude = spectral.power_law_magnitude(32, 32)
  inner = (slice(None), slice(None), slice(1, None), slice(1, 16))
  ratio = np.median(spectrum[inner] / magnitude[None][inner])
  assert 0.5 < ratio < 2.0


def test_maco_takes_a_dataset_spectrum(tiny_backbone, tmp_path):
  rng = np.random.default_rng(0)
  for name in ("a", "b"):
    os.makedirs(tmp_path / name)
    for i in range(3):
      Image.fromarray(rng.integers(0, 255, (40, 50, 3), np.uint8)).save(
          tmp_path / name / f"{i}.png")
  spectrum = fmi_tf.natural_spectrum(f"folder:{tmp_path}", 32)
  assert spectrum.shape == (3, 32, 17) and np.all(spectrum >= 0)
  res = fmi_tf.render(tiny_backbone, f"{_LAYER}:1", size=32, steps=4,
                      param=fmi_tf.param.maco(spectrum), progress=False)
  assert np.all(np.isfinite(res.images))
  with pytest.raises(errors.ArgumentError, match="magnitude"):
    fmi_tf.render(tiny_backbone, f"{_LAYER}:1", size=48, steps=1,
                  param=fmi_tf.param.maco(spectrum), progress=False)
  os.makedirs(tmp_path / "empty" / "c")
  with pytest.raises(errors.ArgumentError):
    fmi_tf.natural_spectrum(f"folder:{tmp_path / 'empty'}", 32)


def test_a_dataset_spectrum_by_name_is_maco_of_its_spectrum_written_to_out(
    tiny_backbone, tmp_path):
  rng = np.random.default_rng(1)
  os.makedirs(tmp_path / "data" / "a")
  for i in range(3):
    Image.fromarray(rng.integers(0, 255, (40, 50, 3), np.uint8)).save(
        tmp_path / "data" / "a" / f"{i}.png")
  dataset = f"folder:{tmp_path / 'data'}"
  settings = dict(size=32, steps=4, progress=False)
  by_name = fmi_tf.render(tiny_backbone, f"{_LAYER}:1", param="maco",
                          spectrum=dataset, out=str(tmp_path / "out"),
                          **settings)
  by_value = fmi_tf.render(
      tiny_backbone, f"{_LAYER}:1",
      param=fmi_tf.param.maco(fmi_tf.natural_spectrum(dataset, 32)),
      **settings)
  np.testing.assert_allclose(by_name.images, by_value.images, atol=1e-6)
  assert sorted(os.listdir(tmp_path / "out")) == [
      "attribution_0000.png", "image_0000.json", "image_0000.png"]
  with pytest.raises(errors.ArgumentError, match="spectrum needs param"):
    fmi_tf.render(tiny_backbone, f"{_LAYER}:1", spectrum=dataset,
                  out=str(tmp_path / "refused"), **settings)
  assert not os.path.exists(tmp_path / "refused")

def test_accentuation_raises_the_filter_and_stays_near_the_photo(
    tiny_backbone, photo):
  settings = dict(size=32, steps=30, tolerance=0.0, progress=False,
                  param="pixel", init=photo, precision="float32")
  free = fmi_tf.render(tiny_backbone, objectives.channel(_LAYER, 1),
                       **settings)
  accentuated = fmi_tf.render(
      tiny_backbone, objectives.channel(_LAYER, 1)
      + 50.0 * objectives.closeness("block1_conv1", photo), **settings)
  start = _means(tiny_backbone, photo[None])[0, 1]
  assert _means(tiny_backbone, accentuated.images)[0, 1] > start
  distance = lambda images: np.abs(images - photo[None]).mean()  # pylint: disable=unnecessary-lambda-assignment
  assert distance(accentuated.images) < distance(free.images)
  assert accentuated.records[0]["init"] == "in-memory image"
  with pytest.raises(errors.ImageError, match="shape"):
    fmi_tf.render(tiny_backbone, objectives.channel(_LAYER, 1)
                  + objectives.closeness("block1_conv1", photo[:20]),
                  **settings)


@pytest.mark.parametrize("kwargs,error", [
    ({"size": 0}, errors.ArgumentError),
    ({"size": 10**6}, errors.ArgumentError),
    ({"images": 0}, errors.ArgumentError),
    ({"images": 4}, errors.ArgumentError),  # the objective has 2 targets
    ({"batch_size": 0}, errors.ArgumentError),
    ({"seed": -1}, errors.ArgumentError),
    ({"steps": 0}, errors.ArgumentError),
    ({"param": "pixels"}, errors.ArgumentError),
    ({"method": "lbfgs"}, errors.ArgumentError),
    ({"stepz": 3}, errors.ArgumentError),
    ({"init": "/no/such/image.png"}, errors.ImageError),
])
def test_bad_render_arguments_are_refused(tiny_backbone, kwargs, error):
  with pytest.raises(error):
    fmi_tf.render(tiny_backbone, f"{_LAYER}:0:2", progress=False,
                  **{"size": 32, **kwargs})


def test_shares_mean_what_they_say_on_a_swish_layer():
  from tests import tiny_mobilenet  # pylint: disable=import-outside-toplevel
  net = tiny_mobilenet.tiny_backbone()
  res = fmi_tf.invert(net, "swish_conv", filters=[0, 3], size=48, steps=30,
                      progress=False, precision="float32")
  for record in res.records:
    assert 0 <= record.energy_share_after <= 1
    assert record.energy_share_after > record.energy_share_before


def test_inversion_refuses_maco_which_cannot_match_a_code(tiny_backbone,
                                                          photo):
  with pytest.raises(errors.ArgumentError, match="pixel, fourier"):
    fmi_tf.invert(tiny_backbone, "block2_conv1", filters=[0], image=photo,
                  param="maco", progress=False)

r"""One peer's run of `peers.py`: tf-keras-vis or xplique on VGG19 filters.

Run by `peers.py` in the interpreter of the `[peers]` extra (it imports
neither fmi_tf nor absl, only TensorFlow, Keras and the peer), as a whole
process whose CPU time and peak memory the parent measures. It visualises
filters 0..N-1 of one VGG19 layer at one size with the tool's documented
defaults and saves the images, RGB in [0, 1], as one .npy array [N, H, W, 3].

Both peers get keras.applications' VGG19 with the real weights (loaded by
keras.applications from the HDF5 file, in its own layout) behind VGG19's
own preprocessing (RGB to BGR, ImageNet mean removed), so that what they
optimise is a picture the network sees as it sees a photo, in the tool's
value range: [0, 255] for tf-keras-vis, [0, 1] for xplique.

  tf-keras-vis: its conv-filter tutorial (`visualize_conv_filters.ipynb`):
    ActivationMaximization with ExtractIntermediateLayer(layer) and
    ReplaceToLinear, CategoricalScore(filters), a uniform [0, 255) seed of
    all the filters at once (batched), every other setting its default
    (200 steps, RMSprop, jitter, rotation, total variation and norm).
  xplique: `Objective.channel(model, layer, filters)` and `optimize` with
    its defaults (256 steps, Adam 0.05, Fourier preconditioning, standard
    transformations) except `custom_shape`, set to the size (its default
    optimises 512 px images).
  xplique-maco: `maco(Objective.channel(model, layer, f))` for each filter
    in turn (it takes one objective at a time) with its defaults (256 steps,
    Nadam 1.0, 32 crops a step, ImageNet's magnitude) except
    `custom_shape`, set to the size.

Usage (as peers.py runs it):
  $HOME/venv-peers/bin/python benchmarks/peer_tools.py TOOL WEIGHTS LAYER \
      SIZE FILTERS OUT.npy
"""

import sys

import numpy as np

TOOLS = ("tf-keras-vis", "xplique", "xplique-maco")
_BGR_MEAN = (103.939, 116.779, 123.68)


def vgg19(weights: str, size: int, scale: float):
  """VGG19 (no top) taking RGB in [0, 255 / scale] at size x size."""
  import keras  # pylint: disable=import-outside-toplevel

  inputs = keras.Input((size, size, 3))
  x = keras.layers.Rescaling(scale)(inputs)
  x = keras.layers.Lambda(lambda t: t[..., ::-1])(x)
  x = keras.layers.Normalization(mean=_BGR_MEAN, variance=(1.0, 1.0, 1.0))(x)
  return keras.applications.VGG19(include_top=False, weights=weights,
                                  input_tensor=x)


def tf_keras_vis(weights: str, layer: str, size: int,
                 filters: list[int]) -> np.ndarray:
  """The tutorial's conv-filter visualisation of `filters`, batched."""
  # pylint: disable=import-outside-toplevel
  import tensorflow as tf
  from tf_keras_vis.activation_maximization import ActivationMaximization
  from tf_keras_vis.utils.model_modifiers import ExtractIntermediateLayer
  from tf_keras_vis.utils.model_modifiers import ReplaceToLinear
  from tf_keras_vis.utils.scores import CategoricalScore

  model = vgg19(weights, size, 1.0)
  maximization = ActivationMaximization(
      model, model_modifier=[ExtractIntermediateLayer(index_or_name=layer),
                             ReplaceToLinear()], clone=False)
  seed_input = tf.random.uniform((len(filters), size, size, 3), 0, 255)
  images = maximization(CategoricalScore(filters), seed_input=seed_input)
  return np.clip(np.asarray(images, np.float32) / 255.0, 0.0, 1.0)


def xplique(weights: str, layer: str, size: int,
            filters: list[int]) -> np.ndarray:
  """`Objective.channel` + `optimize` defaults, at `size` px."""
  # pylint: disable=import-outside-toplevel
  from xplique.features_visualizations import Objective
  from xplique.features_visualizations import optimize

  model = vgg19(weights, size, 255.0)
  objective = Objective.channel(model, layer, list(filters))
  images, _ = optimize(objective, custom_shape=(size, size))
  return np.clip(np.asarray(images[-1], np.float32), 0.0, 1.0)


def xplique_maco(weights: str, layer: str, size: int,
                 filters: list[int]) -> np.ndarray:
  """`maco` of each filter's `Objective.channel`, at `size` px."""
  # pylint: disable=import-outside-toplevel
  from xplique.features_visualizations import Objective
  from xplique.features_visualizations import maco

  model = vgg19(weights, size, 255.0)
  images = []
  for k in filters:
    image, _ = maco(Objective.channel(model, layer, k),
                    custom_shape=(size, size), values_range=(0, 1))
    images.append(np.asarray(image, np.float32))
  return np.clip(np.stack(images), 0.0, 1.0)


def main(argv: list[str]) -> None:
  tool, weights, layer, size, count, out = argv[1:]
  filters = list(range(int(count)))
  run = {"tf-keras-vis": tf_keras_vis, "xplique": xplique,
         "xplique-maco": xplique_maco}[tool]
  np.save(out, run(weights, layer, int(size), filters))


if __name__ == "__main__":
  main(sys.argv)

r"""Dataset examples against recognition encoding, of the same images.

Usage:
  python benchmarks/dataset_examples.py --dataset=dtd:/path/to/dtd10 \
      [--images=1200] [--size=128] [--weights=vgg19.h5]

Times, in one run and on the same images at the same size:
  * the recognition encoding (the default energy encoder's statistics, as
    fmi-texture-train computes them with no cache: the tf.data pipeline,
    batches of 16, compiled);
  * `dataset_examples` of all 16 VGG19 convolutions, k = 8: its pass over
    the images, the rest (crops cut and every file written), and the whole
    call.
"""

import tempfile
import time

from absl import app
from absl import flags

from fmi_tf.microscope import examples
from fmi_tf.nets import feature_model
from fmi_tf.nets import layers as vgg_layers
from fmi_tf.recognition import datasets
from fmi_tf.recognition import encoder
from fmi_tf.recognition import experiment
from fmi_tf.recognition.datasets import split
from fmi_tf.tools import cli

import machine

_DATASET = flags.DEFINE_string("dataset", None, "Dataset spec (dtd10).",
                               required=True)
_IMAGES = flags.DEFINE_integer("images", 0, "Images to use (0: all).",
                               lower_bound=0)
_SIZE = flags.DEFINE_integer("size", 128, "Image side.", lower_bound=16)
_WEIGHTS = flags.DEFINE_string("weights", None, "VGG19 weights.")


def _images(dataset: split.Dataset, count: int) -> split.Dataset:
  """Both parts as one, or `count` images spread over it."""
  names = list(dict.fromkeys(dataset.train.names + dataset.test.names))
  if count:
    names = names[::max(1, len(names) // count)][:count]
  train = set(dataset.train.names)
  part = split.Examples(tuple(names), lambda wanted: _read(
      dataset, train, wanted))
  return split.Dataset(f"{dataset.name}[{len(names)}]", dataset.class_names,
                       part, part, dataset.protocol)


def _read(dataset, train, wanted):
  mine = [n for n in wanted if n in train]
  others = [n for n in wanted if n not in train]
  images = dataset.train.subset(tuple(mine)).images()
  if others:
    images = images.concatenate(dataset.test.subset(tuple(others)).images())
  return images


def main(argv):
  cli.no_stray_arguments(argv)
  machine.print_header()
  data = _images(datasets.load(_DATASET.value), _IMAGES.value)
  backbone = feature_model.vgg19(cli.weights_source(_WEIGHTS.value))
  size = _SIZE.value
  config = encoder.EncoderConfig()
  cache = experiment.cache_for(data, size, backbone, None)
  start = time.perf_counter()
  encoded = cache.encode(encoder.build(backbone, config), data.train, size)
  encoding = time.perf_counter() - start
  with tempfile.TemporaryDirectory() as out:
    start = time.perf_counter()
    result = examples.dataset_examples(
        backbone, list(vgg_layers.CONV_LAYERS), data, out, image_size=size,
        progress=False)
    whole = time.perf_counter() - start
  count = len(encoded.names)
  print(f"{count} images of {_DATASET.value} at {size} px")
  print(f"  recognition encoding ({config.kind}, "
        f"{','.join(config.layers)}): {encoding:8.1f} s")
  print(f"  dataset examples, 16 layers, pass:      {result.seconds:8.1f} s "
        f"({result.seconds / encoding:.2f} x)")
  print(f"  dataset examples, crops and files:      "
        f"{whole - result.seconds:8.1f} s")
  print(f"  dataset examples, 16 layers, in all:    {whole:8.1f} s "
        f"({whole / encoding:.2f} x)")


if __name__ == "__main__":
  app.run(main)

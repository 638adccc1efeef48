r"""Dataset examples against recognition encoding, of the same images.

Usage:
  python benchmarks/dataset_examples.py --dataset=dtd:/path/to/dtd10 \
      [--images=1200] [--size=128] [--weights=vgg19.h5] \
      [--precisions=auto,float32]

Times (wall and the process's CPU seconds, the fairer figure on a shared
machine), in one run and on the same images at the same size:
  * the recognition encoding (the default energy encoder's statistics, as
    fmi-texture-train computes them with no cache: the tf.data pipeline,
    batches of 16, compiled);
  * `dataset_examples` of all 16 VGG19 convolutions, k = 8, once per
    `--precisions` (`auto`, its default, resolved on this machine, then
    float32, what `auto` picks on a CPU without bfloat16 arithmetic): its
    pass over the images, the rest (crops cut and every file written), and
    the whole call.
"""

import tempfile
import time

from absl import app
from absl import flags

from fmi_tf import datasets
from fmi_tf.datasets import split
from fmi_tf.microscope import examples
from fmi_tf.nets import precision
from fmi_tf.nets import feature_model
from fmi_tf.nets import vgg19_names
from fmi_tf.recognition import encoder
from fmi_tf.recognition import encoder_config
from fmi_tf.recognition import experiment
from fmi_tf.tools import cli

import machine

_DATASET = flags.DEFINE_string("dataset", None, "Dataset spec (dtd10).",
                               required=True)
_IMAGES = flags.DEFINE_integer("images", 0, "Images to use (0: all).",
                               lower_bound=0)
_SIZE = flags.DEFINE_integer("size", 128, "Image side.", lower_bound=16)
_WEIGHTS = flags.DEFINE_string("weights", None, "VGG19 weights.")
_PRECISIONS = flags.DEFINE_multi_enum(
    "precisions", [precision.AUTO, precision.FLOAT32], precision.PRECISIONS,
    "The precisions to run dataset examples in, one after another.")


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


class _Clock:
  """Wall and process CPU seconds since it was made."""

  def __init__(self):
    self._wall, self._cpu = time.perf_counter(), time.process_time()

  def read(self) -> tuple[float, float]:
    return (time.perf_counter() - self._wall,
            time.process_time() - self._cpu)


def _both(wall, cpu, wall_base, cpu_base) -> str:
  if wall_base is None:
    return f"{wall:8.1f}         {cpu:8.1f}"
  return (f"{wall:8.1f} ({wall / wall_base:.2f} x) "
          f"{cpu:8.1f} ({cpu / cpu_base:.2f} x)")


def main(argv):
  cli.no_stray_arguments(argv)
  machine.print_header()
  data = _images(datasets.load(_DATASET.value), _IMAGES.value)
  backbone = feature_model.vgg19(cli.weights_source(_WEIGHTS.value))
  size = _SIZE.value
  config = encoder_config.EncoderConfig().for_network(backbone)
  cache = experiment.cache_for(data, size, backbone, None)
  clock = _Clock()
  encoded = cache.encode(encoder.build(backbone, config), data.train, size)
  encoding, encoding_cpu = clock.read()
  count = len(encoded.names)
  print(f"{count} images of {_DATASET.value} at {size} px; wall s "
        "(x encoding), CPU s (x encoding)")
  print(f"  recognition encoding ({config.kind}, "
        f"{','.join(config.layers)}, float32): "
        f"{_both(encoding, encoding_cpu, encoding, encoding_cpu)}")
  for asked in _PRECISIONS.value:
    with tempfile.TemporaryDirectory() as out:
      clock = _Clock()
      result = examples.dataset_examples(
          backbone, list(vgg19_names.CONV_LAYERS), data, out, image_size=size,
          precision=asked, progress=False)
      whole, whole_cpu = clock.read()
    name = precision.resolve(asked).name
    label = f"{asked} = {name}" if asked == precision.AUTO else name
    print(f"  dataset examples, 16 layers, {label}:")
    the_pass = _both(result.seconds, result.cpu_seconds, encoding,
                     encoding_cpu)
    print(f"    the pass:         {the_pass}")
    rest = (whole - result.seconds, whole_cpu - result.cpu_seconds)
    print(f"    crops and files:  {_both(*rest, None, None)}")
    print(f"    in all:           "
          f"{_both(whole, whole_cpu, encoding, encoding_cpu)}", flush=True)


if __name__ == "__main__":
  app.run(main)

r"""Encoder throughput (tf.data vs a per-image Python loop), export latency.

Usage:
  python benchmarks/encode.py --dataset=/path/to/dtd10 --images=64 \
      --size=224 [--weights=vgg19.h5]

Measures, in one run so that the ratios are fair:
  * images/s of the energy encoder fed by the tf.data pipeline (parallel
    decode, resize/crop, batches of 16, prefetch, compiled encoder);
  * images/s of a plain Python loop: Pillow decode, the same resize/crop
    in Pillow, `model.predict` on one image at a time;
  * latency of the exported end-to-end SavedModel (image bytes -> scores)
    for a batch of 1 and of 32 (median of repeated calls).
"""

import statistics
import tempfile
import time

from absl import app
from absl import flags
import numpy as np
from PIL import Image
import tensorflow as tf

from fmi_tf import datasets
from fmi_tf.datasets import pipeline
from fmi_tf.nets import feature_model
from fmi_tf.nets import networks
from fmi_tf.recognition import classifier
from fmi_tf.recognition import encoder
from fmi_tf.recognition import encoder_config
from fmi_tf.recognition import trained_model
from fmi_tf.serving import client as serving_client
from fmi_tf.serving import export
from fmi_tf.tools import cli

import machine

_DATASET = flags.DEFINE_string("dataset", None, "Dataset spec (dtd10).",
                               required=True)
_IMAGES = flags.DEFINE_integer("images", 128, "Images to encode.",
                               lower_bound=32)
_SIZE = flags.DEFINE_integer("size", 224, "Image side.", lower_bound=16)
_WEIGHTS = flags.DEFINE_string("weights", None, "VGG19 weights.")
_REPEATS = flags.DEFINE_integer("repeats", 5, "Latency repetitions.",
                                lower_bound=1)


def _pil_fit(path: str, size: int) -> np.ndarray:
  """The resize/crop policy of `pipeline.fit_image`, in Pillow."""
  with Image.open(path) as image:
    image = image.convert("RGB")
    scale = size / min(image.size)
    width, height = (max(size, round(s * scale)) for s in image.size)
    image = image.resize((width, height), Image.BILINEAR)
    left, top = (width - size) // 2, (height - size) // 2
    image = image.crop((left, top, left + size, top + size))
  return np.asarray(image, np.float32) / 255.0


def _pipeline_rate(model, examples, size) -> float:
  encode = tf.function(model, reduce_retracing=True)
  warm = next(iter(pipeline.batches(examples.images(), size, 16)))
  encode(warm["image"])
  start = time.perf_counter()
  count = sum(int(encode(batch["image"]).shape[0])
              for batch in pipeline.batches(examples.images(), size, 16))
  return count / (time.perf_counter() - start)


def _loop_rate(model, paths, size) -> float:
  model.predict(_pil_fit(paths[0], size)[None], verbose=0)
  start = time.perf_counter()
  for path in paths:
    model.predict(_pil_fit(path, size)[None], verbose=0)
  return len(paths) / (time.perf_counter() - start)


def _latency(signature, images: list[bytes], repeats: int) -> float:
  batch = tf.constant(images)
  signature(image_bytes=batch)
  times = []
  for _ in range(repeats):
    start = time.perf_counter()
    signature(image_bytes=batch)
    times.append(time.perf_counter() - start)
  return statistics.median(times)


def main(argv):
  machine.print_header()
  cli.no_stray_arguments(argv)
  dataset = datasets.load(_DATASET.value)
  names = dataset.train.names[::max(1, len(dataset.train) // _IMAGES.value)]
  examples = dataset.train.subset(names[:_IMAGES.value])
  paths = [f"{dataset.name.split(':', 1)[1]}/{n}" for n in examples.names]
  backbone = feature_model.vgg19(cli.weights_source(_WEIGHTS.value))
  config = encoder_config.EncoderConfig().for_network(backbone)
  model = encoder.build(backbone, config)
  size = _SIZE.value

  fast = _pipeline_rate(model, examples, size)
  slow = _loop_rate(model, paths, size)
  print(f"encoder {config.kind} at {size} px, {len(paths)} images")
  print(f"  tf.data pipeline   {fast:7.2f} images/s")
  print(f"  PIL + predict loop {slow:7.2f} images/s")
  print(f"  speed-up           {fast / slow:7.2f} x")

  descriptors = model.predict(
      np.stack([_pil_fit(p, size) for p in paths[:32]]), verbose=0)
  labels = np.asarray([dataset.class_names.index(n.split("/")[0])
                       for n in examples.names[:32]])
  fitted = classifier.train(descriptors, labels, dataset.class_names)
  with tempfile.TemporaryDirectory() as base:
    path = export.export(trained_model.TrainedModel(
        model, config, size, fitted, networks.record(backbone)),
                         base)["texture"]
    serve = tf.saved_model.load(path).signatures["serving_default"]
    encoded = serving_client.read_images(paths[:32])
    for batch in (1, 32):
      seconds = _latency(serve, encoded[:batch], _REPEATS.value)
      print(f"  export latency, batch {batch:2d}: {1000 * seconds:8.1f} ms "
            f"({batch / seconds:.2f} images/s)")


if __name__ == "__main__":
  app.run(main)

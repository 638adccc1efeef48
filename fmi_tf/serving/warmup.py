"""TF Serving's warmup file: real requests run before the first user's.

TF Serving runs the `PredictionLog`s of `assets.extra/tf_serving_warmup_requests`
(a TFRecord file) when it loads a version, so that the graph is built and
its kernels are compiled before a user waits on them. Every export gets
one: for each of its signatures, requests of real photographs (Chelsea the
cat, shipped with fmi_tf) in each format and shape it takes: the photo as
JPEG and a smaller copy as PNG for `image_bytes`, a uint8 crop for
`images`, and their descriptors for the classifier's `descriptors`.
"""

import io
import os
from typing import Mapping

import numpy as np
from PIL import Image
import tensorflow as tf
from tensorflow_serving.apis import predict_pb2
from tensorflow_serving.apis import prediction_log_pb2

from fmi_tf.io import images as image_io

DIRECTORY = "assets.extra"
FILE = "tf_serving_warmup_requests"
_SMALL_SIDE = 96


def sample_inputs() -> dict[str, np.ndarray]:
  """{input name: a batch of real requests}: `image_bytes` (the photo as
  JPEG and a smaller PNG) and `images` (a uint8 crop, [1, H, W, 3])."""
  with open(image_io.DEFAULT_IMAGE, "rb") as f:
    jpeg = f.read()
  photo = Image.open(io.BytesIO(jpeg)).convert("RGB")
  small = photo.copy()
  small.thumbnail((_SMALL_SIDE, _SMALL_SIDE))
  buffer = io.BytesIO()
  small.save(buffer, format="PNG")
  return {"image_bytes": np.asarray([jpeg, buffer.getvalue()], object),
          "images": np.asarray(small)[None]}


def _input_names(function) -> list[str]:
  """The signature's input names: its specs' names, as the export keys
  them."""
  return sorted(spec.name for spec in function.input_signature)


def requests(model_name: str, signatures: Mapping,
             inputs: Mapping[str, np.ndarray]) -> list:
  """One PredictionLog per signature, fed the inputs it takes.

  Args:
    model_name: the served model's name.
    signatures: {signature name: its tf.function (with input_signature)}.
    inputs: {input name: the batch to send}.
  """
  logs = []
  for name, function in sorted(signatures.items()):
    request = predict_pb2.PredictRequest()
    request.model_spec.name = model_name
    request.model_spec.signature_name = name
    for input_name in _input_names(function):
      request.inputs[input_name].CopyFrom(
          tf.make_tensor_proto(inputs[input_name]))
    logs.append(prediction_log_pb2.PredictionLog(
        predict_log=prediction_log_pb2.PredictLog(request=request)))
  return logs


def write(export_dir: str, logs: list) -> str:
  """Writes the logs as the export's warmup file; returns its path."""
  directory = os.path.join(export_dir, DIRECTORY)
  os.makedirs(directory, exist_ok=True)
  path = os.path.join(directory, FILE)
  with tf.io.TFRecordWriter(path) as writer:
    for log in logs:
      writer.write(log.SerializeToString())
  return path


def read(export_dir: str) -> list:
  """The PredictionLogs of an export's warmup file."""
  path = os.path.join(export_dir, DIRECTORY, FILE)
  return [prediction_log_pb2.PredictionLog.FromString(record.numpy())
          for record in tf.data.TFRecordDataset(path)]

r"""fmi-classify: top-k texture classes of images, from TF Serving or locally.

Usage:
  fmi-classify IMAGE... --server=http://localhost:8501 --model_name=texture
  fmi-classify IMAGE... --server=grpc://localhost:8500 --model_name=texture
  fmi-classify IMAGE... --saved_model=exports/texture/1
  fmi-classify IMAGE... --saved_model=exports/texture/1 --explain=5

Prints each image's --top_k classes, or with --explain=K its class and the
K filters that contributed most to it (fmi_tf.connect's client).
"""

from absl import flags

from fmi_tf import errors
from fmi_tf.serving import client
from fmi_tf.serving import connect
from fmi_tf.serving import deadline
from . import cli

_SERVER = flags.DEFINE_string(
    "server", None, "TF Serving's REST address, http://HOST:8501 (or "
    "https://), or its gRPC address, grpc://HOST:8500.")
_MODEL_NAME = flags.DEFINE_string(
    "model_name", "texture",
    "Served model name (TF Serving's --model_name).")
_VERSION = flags.DEFINE_integer("version", None, "Served model version "
                                "(default: the latest).", lower_bound=1)
_SAVED_MODEL = flags.DEFINE_string(
    "saved_model", None, "Run this end-to-end export locally instead.")
_TIMEOUT = flags.DEFINE_float(
    "timeout", deadline.DEFAULT_SECONDS, "Seconds the server may take to "
    "answer all the requests (every batch of images) together; a slower "
    "answer is cut off.")
_TOP_K = flags.DEFINE_integer("top_k", 3, "Classes shown per image.",
                              lower_bound=1)
_EXPLAIN = flags.DEFINE_integer(
    "explain", None, "Show each image's class and the K filters that "
    "contributed most to its score (layer/filter +contribution) instead of "
    "its top classes.", lower_bound=1)


def main(argv):
  paths = argv[1:]
  if not paths:
    raise errors.ArgumentError("name at least one image to classify")
  served = connect.connect(_SERVER.value or None, _SAVED_MODEL.value or None,
                           model_name=_MODEL_NAME.value,
                           version=_VERSION.value, timeout=_TIMEOUT.value)
  images = client.read_images(paths)
  if _EXPLAIN.value:
    lines = [why.describe(_EXPLAIN.value) for why in served.explain(images)]
  else:
    lines = [p.describe(_TOP_K.value) for p in served.classify(images)]
  print("\n".join(f"{path}: {line}" for path, line in zip(paths, lines)))


def run():
  cli.run(main)


if __name__ == "__main__":
  run()

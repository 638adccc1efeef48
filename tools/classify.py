r"""fmi-classify: top-k texture classes of images, from TF Serving or locally.

Usage:
  fmi-classify IMAGE... --server=http://localhost:8501 --model_name=texture
  fmi-classify IMAGE... --server=grpc://localhost:8500 --model_name=texture
  fmi-classify IMAGE... --saved_model=exports/texture/1
  fmi-classify IMAGE... --saved_model=exports/texture/1 --explain=5

Prints, for every image, its k best classes with their calibrated
probabilities; with --explain=K, its class and the K filters that
contributed most to it (the export's explain signature). All the requests
to a server must be answered within --timeout seconds together.
"""

from absl import flags

from fmi_tf import errors
from fmi_tf.serving import client as serving_client
from fmi_tf.serving import deadline
from fmi_tf.serving import grpc_client
from fmi_tf.serving import local_client
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
  if bool(_SERVER.value) == bool(_SAVED_MODEL.value):
    raise errors.ArgumentError("give exactly one of --server, --saved_model")
  if _SERVER.value and _SERVER.value.startswith(grpc_client.SCHEME + ":"):
    client = grpc_client.GrpcClient(_SERVER.value, _MODEL_NAME.value,
                                    _VERSION.value, _TIMEOUT.value)
  elif _SERVER.value:
    client = serving_client.RestClient(_SERVER.value, _MODEL_NAME.value,
                                       _VERSION.value, _TIMEOUT.value)
  else:
    client = local_client.LocalClient(_SAVED_MODEL.value)
  images = serving_client.read_images(paths)
  if _EXPLAIN.value:
    explained = client.explain(images)
    lines = [f"{path}: {why.class_name} {why.score:.3f} because " + ", ".join(
        f"{layer}/{filter_id} {part:+.4f}"
        for layer, filter_id, part in why.top(_EXPLAIN.value))
             for path, why in zip(paths, explained)]
  else:
    lines = [f"{path}: " + ", ".join(
        f"{name} {score:.3f}" for name, score in prediction.top(_TOP_K.value))
             for path, prediction in zip(paths, client.classify(images))]
  print("\n".join(lines))


def run():
  cli.run(main)


if __name__ == "__main__":
  run()

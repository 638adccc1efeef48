"""The files `tensorflow_model_server` reads beside an export: models, batching.

`export` writes them into the export base, in protobuf text format:

* `models.config`, a `ModelServerConfig` naming every model of the base
  (each export's encoder, classifier and end-to-end model) and their
  absolute base paths, for
  `--model_config_file` (one server serves all three);
* `batching_parameters.txt`, the `BatchingParameters` of
  `--enable_batching --batching_parameters_file`: requests arriving together
  are run as one batch of at most `MAX_BATCH_SIZE` images (the clients'
  batch size, `client.BATCH_SIZE`), waiting at most `BATCH_TIMEOUT_MICROS`
  for a batch to fill.

  tensorflow_model_server --port=8500 --rest_api_port=8501 \\
      --model_config_file=exports/models.config \\
      --enable_batching --batching_parameters_file=exports/batching_parameters.txt
"""

import os
from typing import Sequence

from fmi_tf.io import outputs
from fmi_tf.serving import client

MODEL_CONFIG_FILE = "models.config"
BATCHING_FILE = "batching_parameters.txt"
MAX_BATCH_SIZE = client.BATCH_SIZE
BATCH_TIMEOUT_MICROS = 5000
MAX_ENQUEUED_BATCHES = 64
NUM_BATCH_THREADS = 4


def model_config(base: str, names: Sequence[str]) -> str:
  """The ModelServerConfig text of the models under base."""
  entries = "".join(
      "  config {\n"
      f"    name: {_quoted(name)}\n"
      f"    base_path: {_quoted(os.path.join(os.path.abspath(base), name))}\n"
      '    model_platform: "tensorflow"\n'
      "  }\n" for name in names)
  return f"model_config_list {{\n{entries}}}\n"


def served_models(base: str) -> list[str]:
  """The models under base: directories holding a version's SavedModel."""
  return sorted(
      name for name in os.listdir(base)
      if os.path.isdir(os.path.join(base, name)) and any(
          version.isdigit() and os.path.isfile(
              os.path.join(base, name, version, "saved_model.pb"))
          for version in os.listdir(os.path.join(base, name))))


def batching_parameters() -> str:
  """The BatchingParameters text."""
  return "".join(f"{field} {{ value: {value} }}\n" for field, value in (
      ("max_batch_size", MAX_BATCH_SIZE),
      ("batch_timeout_micros", BATCH_TIMEOUT_MICROS),
      ("max_enqueued_batches", MAX_ENQUEUED_BATCHES),
      ("num_batch_threads", NUM_BATCH_THREADS)))


def _quoted(text: str) -> str:
  """A protobuf text-format string literal."""
  return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write(base: str, names: Sequence[str]) -> dict[str, str]:
  """Writes both files into base (atomically each); returns their paths."""
  paths = {"model_config": os.path.join(base, MODEL_CONFIG_FILE),
           "batching_parameters": os.path.join(base, BATCHING_FILE)}
  outputs.write_bytes(paths["model_config"],
                      model_config(base, names).encode("utf8"))
  outputs.write_bytes(paths["batching_parameters"],
                      batching_parameters().encode("utf8"))
  return paths

"""A trained texture classifier on disk: encoder config, weights, classifier.

`fmi-texture-train` writes, and `fmi-texture-export` reads, a directory
(`<run>/model`; `load` also takes the run directory itself):

* `encoder.json`: the encoder configuration, the image size and the network
  (its name, preprocessing and options);
* `encoder.weights.h5`: the encoder's (network slice's) weights, Keras format;
* `classifier.npz`: the linear classifier and the class names.

The encoder is rebuilt from the network's architecture and these weights, so
the directory does not depend on the original weights file.
"""

import dataclasses
import json
import os

import keras

from fmi_tf import errors
from fmi_tf.io import outputs
from fmi_tf.nets import networks
from fmi_tf.nets import weights as weights_files
from fmi_tf.recognition import classifier as linear
from fmi_tf.recognition import encoder as texture_encoder
from fmi_tf.io import directories
from fmi_tf.recognition import encoder_config

RUN_SUBDIRECTORY = "model"
CONFIG_FILE = "encoder.json"
WEIGHTS_FILE = "encoder.weights.h5"


@dataclasses.dataclass(frozen=True)
class TrainedModel:
  """An encoder and the linear classifier fitted on its descriptors.

  Attributes:
    encoder: the encoder model.
    config: what the encoder computes; a config without layers takes the
      encoder's (its network's defaults, `EncoderConfig.for_network`).
    image_size: the side of the square images it was trained on.
    classifier: the linear classifier.
    network: the encoder's network, as `networks.record` describes it.
  """
  encoder: keras.Model
  config: encoder_config.EncoderConfig
  image_size: int
  classifier: linear.LinearClassifier
  network: dict

  def __post_init__(self):
    if not self.config.layers:
      object.__setattr__(self, "config", texture_encoder.descriptor_layer(
          self.encoder).config)

  @property
  def class_names(self) -> tuple[str, ...]:
    return self.classifier.class_names


def save(directory: str, model: TrainedModel) -> None:
  """Writes the model's three files as directory, whole or not at all.

  They are written into a temporary sibling renamed into place at the end
  (`directories.write_whole`): an error midway, a full disk say, leaves
  no part of them.

  Raises:
    OutputError: if a file cannot be written.
  """
  with directories.write_whole(directory) as staging:
    outputs.write_json(os.path.join(staging, CONFIG_FILE), {
        "encoder": model.config.to_dict(), "image_size": model.image_size,
        "network": model.network})
    weights_path = os.path.join(staging, WEIGHTS_FILE)
    try:
      model.encoder.save_weights(weights_path)
    except (OSError, RuntimeError, ValueError) as e:
      reason = getattr(e, "strerror", None) or weights_files.first_line(e)
      raise errors.OutputError(
          f"cannot write {os.path.join(directory, WEIGHTS_FILE)}: "
          f"{reason}") from None
    model.classifier.save(staging)


def load(directory: str) -> TrainedModel:
  """Reads a directory written by `save`, or the training run holding it.

  Raises:
    ArgumentError: if a file is missing or malformed.
  """
  inner = os.path.join(directory, RUN_SUBDIRECTORY)
  if (not os.path.isfile(os.path.join(directory, CONFIG_FILE))
      and os.path.isfile(os.path.join(inner, CONFIG_FILE))):
    directory = inner
  config_path = os.path.join(directory, CONFIG_FILE)
  weights_path = os.path.join(directory, WEIGHTS_FILE)
  for path in (config_path, weights_path):
    if not os.path.isfile(path):
      raise errors.ArgumentError(
          f"{directory} is no trained model directory: {path} is missing")
  try:
    with open(config_path, encoding="utf8") as f:
      record = json.load(f)
    config = encoder_config.EncoderConfig.from_dict(record["encoder"])
    image_size = int(record["image_size"])
    network = record.get("network", networks.UNNAMED_RECORD)
    backbone = networks.architecture(network, directory)
  except (ValueError, KeyError, TypeError) as e:
    raise errors.ArgumentError(f"cannot read {config_path}: {e}") from None
  encoder_model = texture_encoder.build(backbone, config)
  try:
    encoder_model.load_weights(weights_path)
  except (OSError, ValueError) as e:
    raise errors.ArgumentError(
        f"cannot load encoder weights {weights_path}: {e}") from None
  return TrainedModel(encoder_model, config, image_size,
                      linear.LinearClassifier.load(directory), network)

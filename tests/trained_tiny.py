"""A trained texture model of the tiny network, saved as the tools save one."""

import numpy as np

from fmi_tf.nets import networks
from fmi_tf.recognition import classifier
from fmi_tf.recognition import encoder
from fmi_tf.recognition import encoder_config
from fmi_tf.recognition import trained_model
from tests import tiny_vgg


def saved_model_dir(root, size: int) -> str:
  """Saves the tiny network as a .keras file under `root`, trains a
  two-class energy model of it on random images of `size` px, saves that
  under root/model and returns its path."""
  path = str(root / "tiny.keras")
  tiny_vgg.tiny_vgg19_model(seed=3).save(path)
  backbone = networks.load(path)
  config = encoder_config.EncoderConfig(kind="energy", order=2)
  encoder_model = encoder.build(backbone, config)
  train = np.random.default_rng(1).uniform(size=(6, size, size, 3))
  fitted = classifier.train(encoder_model(train.astype(np.float32)).numpy(),
                            np.arange(6) % 2, ("a", "b"))
  directory = str(root / "model")
  trained_model.save(directory, trained_model.TrainedModel(
      encoder_model, config, size, fitted, networks.record(backbone)))
  return directory

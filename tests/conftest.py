"""Shared fixtures: the tiny backbone, the real weights, the shared data."""

import os

import numpy as np
import pytest

from fmi_tf import feature_model
from fmi_tf import images
from tests import tiny_vgg

# The tools under test run as installed programs. Under Bazel, PYTHONPATH lists
# the test's runfiles, where @bazel_tools has a `tools` package of its own;
# it must not leak into them (tests that start Python themselves set it).
os.environ.pop("PYTHONPATH", None)


@pytest.fixture(scope="session")
def tiny_backbone():
  return tiny_vgg.tiny_backbone()


@pytest.fixture(scope="session")
def real_weights_path():
  """The real (blocks 1-3) VGG19 weights named by $FMI_VGG19_WEIGHTS."""
  path = os.environ.get("FMI_VGG19_WEIGHTS")
  if not path or not os.path.isfile(path):
    pytest.skip("set FMI_VGG19_WEIGHTS to the VGG19 weights file")
  return path


@pytest.fixture(scope="session")
def real_backbone(real_weights_path):
  return feature_model.vgg19(real_weights_path)


@pytest.fixture(scope="session")
def dtd10_root():
  """The shared DTD-10 directory named by $FMI_DTD10."""
  path = os.environ.get("FMI_DTD10")
  if not path or not os.path.isdir(path):
    pytest.skip("set FMI_DTD10 to the dtd10 directory")
  return path


@pytest.fixture(scope="session")
def brodatz_root():
  """The shared Brodatz directory named by $FMI_BRODATZ."""
  path = os.environ.get("FMI_BRODATZ")
  if not path or not os.path.isdir(path):
    pytest.skip("set FMI_BRODATZ to the brodatz directory")
  return path


@pytest.fixture(scope="session")
def photo():
  """The embedded default photo at 32 px (longer side)."""
  return images.load_image(None, 32)


@pytest.fixture
def rng():
  return np.random.default_rng(0)

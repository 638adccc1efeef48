"""Shared fixtures: the tiny backbone, the real weights, the shared data."""

import importlib.util
import os

import numpy as np
import pytest

from fmi_tf.atlas import draw
from fmi_tf.io import images
from fmi_tf.nets import feature_model
from fmi_tf.nets import networks
from fmi_tf.nets import precision
from tests import beam_runs
from tests import s3_server as s3_server_lib
from tests import tiny_vgg

# The tools under test run as installed programs. Under Bazel, PYTHONPATH lists
# the test's runfiles, where @bazel_tools has a `tools` package of its own;
# it must not leak into them (tests that start Python themselves set it).
os.environ.pop("PYTHONPATH", None)


# The extras of setup.cfg that some tests need beyond [test], and the modules
# that show each is installed. A test marked with an extra's name is skipped
# without it, the skip naming the extra; `pytest -m beam` selects them.
EXTRA_MODULES = {"beam": ("apache_beam", "boto3")}


def pytest_runtest_setup(item):
  for extra, modules in EXTRA_MODULES.items():
    if item.get_closest_marker(extra) and any(
        importlib.util.find_spec(m) is None for m in modules):
      pytest.skip(f'needs the [{extra}] extra: pip install -e ".[{extra}]"')
  if item.get_closest_marker("bfloat16"):
    refusal = precision.cpu_refusal(precision.cpu_flags(), os.environ)
    if refusal:
      pytest.skip(refusal)


@pytest.fixture(scope="session")
def tiny_backbone():
  return tiny_vgg.tiny_backbone()


def _shared_path(variable: str, what: str, check) -> str:
  """The path in $variable, or a skip naming what to set it to."""
  path = os.environ.get(variable)
  if not path or not check(path):
    pytest.skip(f"set {variable} to {what}")
  return path


@pytest.fixture(scope="session")
def real_weights_path():
  """The real VGG19 weights (all 16 convolutions) named by $FMI_VGG19_WEIGHTS."""
  return _shared_path("FMI_VGG19_WEIGHTS", "the VGG19 weights file",
                      os.path.isfile)


@pytest.fixture(scope="session")
def real_backbone(real_weights_path):
  return feature_model.vgg19(real_weights_path)


@pytest.fixture(scope="session")
def mobilenet_weights_path():
  """keras.applications' MobileNet (alpha 0.25) file, $FMI_MOBILENET_WEIGHTS."""
  return _shared_path("FMI_MOBILENET_WEIGHTS",
                      "mobilenet_2_5_224_tf_no_top.h5", os.path.isfile)


@pytest.fixture(scope="session")
def block1_3_weights_path():
  """Real VGG19 weights of blocks 1-3 only, named by
  $FMI_VGG19_BLOCK1_3_WEIGHTS: a file that does not cover the network."""
  return _shared_path("FMI_VGG19_BLOCK1_3_WEIGHTS",
                      "the VGG19 blocks 1-3 weights file", os.path.isfile)


@pytest.fixture(scope="session")
def dtd10_root():
  """The shared DTD-10 directory named by $FMI_DTD10."""
  return _shared_path("FMI_DTD10", "the dtd10 directory", os.path.isdir)


@pytest.fixture(scope="session")
def brodatz_root():
  """The shared Brodatz directory named by $FMI_BRODATZ."""
  return _shared_path("FMI_BRODATZ", "the brodatz directory", os.path.isdir)


@pytest.fixture(scope="session")
def tiny_keras(tmp_path_factory):
  """The tiny VGG-named model saved as a `.keras` file, as a user gives one."""
  path = str(tmp_path_factory.mktemp("net") / "tiny.keras")
  tiny_vgg.tiny_vgg19_model().save(path)
  return path


@pytest.fixture(scope="module")
def single_process_atlas(tiny_keras, tmp_path_factory):
  """The atlas of the Beam tests drawn by `draw_atlas` in one process: the
  files a pipeline must write."""
  out = str(tmp_path_factory.mktemp("single"))
  draw.draw_atlas(networks.load(tiny_keras), beam_runs.LAYERS, out,
                  progress=False, **beam_runs.ATLAS_SETTINGS)
  return out


@pytest.fixture(scope="session")
def photo():
  """The embedded default photo as inversions take it by default: cut to a
  32 px square."""
  return images.fit_photo(None, 32, square=True)


@pytest.fixture
def rng():
  return np.random.default_rng(0)


@pytest.fixture(scope="session")
def s3_server():
  """A local S3-compatible server on 127.0.0.1 (`tests.s3_server`)."""
  yield from s3_server_lib.start()

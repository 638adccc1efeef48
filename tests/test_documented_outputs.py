"""Every output name docs/tools.md gives is what the tool writes.

The names are read from the manual itself (each tool's section, every
backticked path ending in an output suffix), so a name the docs change, or a
file a tool stops writing, fails here.
"""

import os
import shutil

import pytest

from tests import tool_runs
from tests.tools_page import assert_documented_names_written
from tests.tools_page import documented_names
from tests.tools_page import pattern

def _run(*command):
  process = tool_runs.run_tool(*command)
  assert process.returncode == 0, process.stderr[-3000:]


@pytest.fixture(scope="module")
def weights(real_weights_path):
  return f"--weights={real_weights_path}"


@pytest.fixture(scope="module")
def texture_folder(dtd10_root, tmp_path_factory):
  """Four images of each of two dtd10 classes, copied into a folder."""
  root = tmp_path_factory.mktemp("textures")
  for name in ("banded", "braided"):
    (root / name).mkdir()
    for file in sorted(os.listdir(os.path.join(dtd10_root, name)))[:4]:
      shutil.copyfile(os.path.join(dtd10_root, name, file),
                      root / name / file)
  return root


@pytest.mark.slow
@pytest.mark.real_weights
def test_inversion_tools_write_what_the_docs_say(weights, tmp_path):
  fast = ["--size=16", "--steps=2", weights]
  _run("fmi-invert", "--layer=block1_conv1", "--filters=0:2",
       f"--out={tmp_path}/invert", *fast)
  assert_documented_names_written("fmi-invert", f"{tmp_path}/invert")
  _run("fmi-atlas", "--layers=block1_conv1", f"--out={tmp_path}/atlas", *fast)
  assert_documented_names_written("fmi-atlas", f"{tmp_path}/atlas")
  _run("fmi-atlas-stats", f"--atlas={tmp_path}/atlas")
  assert_documented_names_written("fmi-atlas-stats", f"{tmp_path}/atlas")
  _run("fmi-reallocate", "--seeds=0:2", f"--out={tmp_path}/realloc", *fast)
  assert_documented_names_written("fmi-reallocate", f"{tmp_path}/realloc")


@pytest.mark.slow
@pytest.mark.real_weights
@pytest.mark.real_data
def test_texture_tools_write_what_the_docs_say(weights, texture_folder,
                                               tmp_path):
  data = [f"--dataset=folder:{texture_folder}", "--test_fraction=0.5",
          "--image_size=32", "--encoder=gap", weights]
  _run("fmi-texture-train", *data, f"--out={tmp_path}/train")
  assert_documented_names_written("fmi-texture-train", f"{tmp_path}/train")
  _run("fmi-texture-eval", *data[:-2], "--encoders=energy,gap", "--folds=1",
       weights, f"--report_dir={tmp_path}/eval")
  assert_documented_names_written("fmi-texture-eval", f"{tmp_path}/eval")
  _run("fmi-texture-export", f"--model_dir={tmp_path}/train",
       f"--export_base={tmp_path}/exports")
  assert_documented_names_written("fmi-texture-export", f"{tmp_path}/exports")


@pytest.mark.slow
@pytest.mark.real_weights
@pytest.mark.real_data
def test_microscope_tools_write_what_the_docs_say(weights, texture_folder,
                                                  tmp_path):
  _run("fmi-dataset-examples", f"--dataset=folder:{texture_folder}",
       "--layers=block1_conv1", "--image_size=32", "--k=2",
       weights, f"--out={tmp_path}/examples")
  assert_documented_names_written("fmi-dataset-examples",
                                  f"{tmp_path}/examples")
  _run("fmi-atlas", "--layers=block1_conv1", "--size=16", "--steps=2",
       weights, f"--out={tmp_path}/atlas")
  _run("fmi-site", f"--atlas={tmp_path}/atlas",
       f"--examples={tmp_path}/examples", f"--out={tmp_path}/site")
  assert_documented_names_written("fmi-site", f"{tmp_path}/site")


@pytest.mark.parametrize("tool,name,path", [
    ("fmi-reallocate", "seed_<seed:04d>.png", "seed_0003.png"),
    ("fmi-invert", "out/<layer>_<filter:04d>.png", "block1_conv1_0012.png"),
    ("fmi-texture-export", "exports/<name>_encoder/<v>/",
     "texture_encoder/2"),
    ("fmi-site", "out/<layer>/img/<filter:04d>_<i>.jpg",
     "block4_conv1/img/0007_1.jpg"),
])
def test_a_documented_name_matches_the_files_it_stands_for(tool, name, path):
  assert name in documented_names(tool)
  assert pattern(name).fullmatch(path)
  assert not pattern(name).fullmatch("x" + path.replace("0", "a"))

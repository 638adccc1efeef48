r"""Runs the tutorials at their written sizes and stores them with their outputs.

Usage (from the repository root; offline, with FMI_VGG19_WEIGHTS and
FMI_MOBILENET_WEIGHTS naming local weights files):
  python docs/tutorials/execute.py                 # every tutorial
  python docs/tutorials/execute.py docs/tutorials/02_your_own_model.ipynb

Each notebook runs top to bottom in a fresh kernel with the FMI_TUTORIAL_*
size variables unset (so at the sizes its first cell writes), in a scratch
directory. What the site shows is kept: stderr (TensorFlow's logs and
progress bars, which name local paths) is dropped, and of a picture given
both as PNG and JPEG the smaller is kept, without its text fallback.
Prints each notebook's wall time and size.
"""

import glob
import os
import sys
import tempfile
import time

import nbclient
import nbformat

_SIZES = ("FMI_TUTORIAL_SIZE", "FMI_TUTORIAL_STEPS", "FMI_TUTORIAL_IMAGES")
_PICTURES = ("image/png", "image/jpeg")


def _kept(output) -> bool:
  return not (output.output_type == "stream" and output.name == "stderr")


def _clean(output):
  data = output.get("data", {})
  if all(kind in data for kind in _PICTURES):
    del data[max(_PICTURES, key=lambda kind: len(data[kind]))]
  if any(kind in data for kind in _PICTURES):
    data.pop("text/plain", None)
  return output


def execute(path: str) -> float:
  """Runs the notebook at `path`, stores it cleaned; its wall seconds."""
  notebook = nbformat.read(path, as_version=4)
  start = time.time()
  with tempfile.TemporaryDirectory() as scratch:
    nbclient.NotebookClient(notebook, timeout=1800, kernel_name="python3",
                            resources={"metadata": {"path": scratch}}
                            ).execute()
  seconds = time.time() - start
  for cell in notebook.cells:
    if cell.cell_type == "code":
      cell.metadata.pop("execution", None)
      cell.outputs = [_clean(o) for o in cell.outputs if _kept(o)]
  nbformat.write(notebook, path)
  return seconds


def main(paths: list[str]) -> None:
  for name in _SIZES:
    os.environ.pop(name, None)
  here = os.path.dirname(os.path.abspath(__file__))
  for path in paths or sorted(glob.glob(os.path.join(here, "*.ipynb"))):
    seconds = execute(path)
    print(f"{os.path.basename(path)}: {seconds:.0f} s, "
          f"{os.path.getsize(path) / 1e3:.0f} kB")


if __name__ == "__main__":
  main(sys.argv[1:])

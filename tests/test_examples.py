"""The example notebooks run from top to bottom and show their pictures."""

import os

import nbclient
import nbformat
import pytest

_EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(__file__)),
                         "docs", "tutorials")


def _executed_code_cells(name: str, weights: str, tmp_path, monkeypatch):
  """Runs docs/tutorials/<name> in a kernel; its code cells, with no error."""
  monkeypatch.setenv("FMI_VGG19_WEIGHTS", weights)
  notebook = nbformat.read(os.path.join(_EXAMPLES, name), as_version=4)
  nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                          resources={"metadata": {"path": str(tmp_path)}}
                          ).execute()
  code = [cell for cell in notebook.cells if cell.cell_type == "code"]
  errors = [output for cell in code for output in cell.outputs
            if output.output_type == "error"]
  assert not errors
  return code


def _pictures(code) -> int:
  return sum("image/png" in output.get("data", {})
             for cell in code for output in cell.outputs)


@pytest.mark.slow
@pytest.mark.real_weights
def test_the_tour_runs_and_draws_its_pictures(real_weights_path, tmp_path,
                                              monkeypatch):
  code = _executed_code_cells("fmi_tf_tour.ipynb", real_weights_path,
                              tmp_path, monkeypatch)
  assert _pictures(code) >= 5  # two inversions, the composed one, style,
  # reallocation.
  exported = code[-1].outputs[-1]["data"]["text/plain"]
  assert "texture_classifier" in exported and "texture_encoder" in exported


@pytest.mark.slow
@pytest.mark.real_weights
def test_the_objectives_notebook_runs_and_draws_every_objective(
    real_weights_path, tmp_path, monkeypatch):
  code = _executed_code_cells("objectives.ipynb", real_weights_path,
                              tmp_path, monkeypatch)
  # Channels, the three objectives, diversity, MaCo and its transparency,
  # accentuation.
  assert _pictures(code) >= 6

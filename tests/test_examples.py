"""The example notebook runs from top to bottom and shows its pictures."""

import os

import nbclient
import nbformat
import pytest

_NOTEBOOK = os.path.join(os.path.dirname(os.path.dirname(__file__)),
                         "examples", "fmi_tf_tour.ipynb")


@pytest.mark.slow
@pytest.mark.real_weights
def test_the_tour_runs_and_draws_its_pictures(real_weights_path, tmp_path,
                                              monkeypatch):
  monkeypatch.setenv("FMI_VGG19_WEIGHTS", real_weights_path)
  notebook = nbformat.read(_NOTEBOOK, as_version=4)
  nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                          resources={"metadata": {"path": str(tmp_path)}}
                          ).execute()
  code = [cell for cell in notebook.cells if cell.cell_type == "code"]
  pictures = sum("image/png" in output.get("data", {})
                 for cell in code for output in cell.outputs)
  assert pictures >= 5  # two inversions, the composed one, style, realloc.
  errors = [output for cell in code for output in cell.outputs
            if output.output_type == "error"]
  assert not errors
  exported = code[-1].outputs[-1]["data"]["text/plain"]
  assert "texture_classifier" in exported and "texture_encoder" in exported


_OBJECTIVES = os.path.join(os.path.dirname(_NOTEBOOK), "objectives.ipynb")


@pytest.mark.slow
@pytest.mark.real_weights
def test_the_objectives_notebook_runs_and_draws_every_objective(
    real_weights_path, tmp_path, monkeypatch):
  monkeypatch.setenv("FMI_VGG19_WEIGHTS", real_weights_path)
  notebook = nbformat.read(_OBJECTIVES, as_version=4)
  nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                          resources={"metadata": {"path": str(tmp_path)}}
                          ).execute()
  code = [cell for cell in notebook.cells if cell.cell_type == "code"]
  errors = [output for cell in code for output in cell.outputs
            if output.output_type == "error"]
  assert not errors
  pictures = sum("image/png" in output.get("data", {})
                 for cell in code for output in cell.outputs)
  # Channels, the three objectives, diversity, MaCo and its transparency,
  # accentuation.
  assert pictures >= 6

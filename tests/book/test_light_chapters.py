"""The heavy chapters run to the end in the light setting (course.light), as in the browser.

nbval checks the stored outputs, which are the full setting's. Here each heavy chapter runs in a
fresh kernel with NPGRAD_LIGHT=1, the way it runs in JupyterLite: its own assert cells, with
their light floors, must pass, its first code cells must say that the light setting runs, and no
cell may print a warning.
Outputs are not compared (the light numbers are not stored anywhere). Needs the datasets
(`make data`); about a minute in all on one core.
"""

from pathlib import Path

import nbformat
import pytest
from course import light
from nbclient import NotebookClient

CHAPTERS = Path(__file__).resolve().parents[2] / "chapters"
HEAVY = ["04_softmax_regression.ipynb", "04b_softmax_on_images.ipynb", "05_mlp.ipynb",
         "05b_mlp_on_images.ipynb", "06_optimisers.ipynb", "07_generalisation.ipynb",
         "08_convnets.ipynb"]
FULL_LINE = light.describe(light.Setting("full", "the default outside the browser"))
LIGHT_LINE = light.describe(light.Setting("light", "NPGRAD_LIGHT=1"))


def printed(cell) -> str:
    return "".join(out.get("text", "") for out in cell.get("outputs", [])
                   if out["output_type"] == "stream" and out["name"] == "stdout")


def setting_cell(nb) -> int:
    """The index of the code cell that announces the setting: the chapter's sizes cell."""
    found = [i for i, cell in enumerate(nb.cells)
             if cell.cell_type == "code" and "light.announce()" in cell.source]
    assert len(found) == 1, f"expected one cell calling light.announce(), found {found}"
    return found[0]


@pytest.mark.parametrize("name", HEAVY)
def test_the_stored_outputs_are_the_full_setting(name):
    nb = nbformat.read(CHAPTERS / name, as_version=4)
    first = setting_cell(nb)
    # the sizes cell, near the top, is the first to use the setting
    assert first == min(i for i, c in enumerate(nb.cells)
                        if c.cell_type == "code" and "light." in c.source)
    assert first <= 6, f"the sizes cell is cell {first}: put it near the top"
    assert printed(nb.cells[first]) == FULL_LINE + "\n"
    assert "light setting:" not in "".join(printed(c) for c in nb.cells)


@pytest.mark.slow
@pytest.mark.parametrize("name", HEAVY)
def test_chapter_runs_to_the_end_in_the_light_setting(name, monkeypatch):
    monkeypatch.setenv(light.VARIABLE, "1")  # the kernel inherits it
    nb = nbformat.read(CHAPTERS / name, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    # a failing assert cell raises CellExecutionError, naming the cell and the assertion
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(CHAPTERS)}}).execute()
    assert printed(nb.cells[setting_cell(nb)]) == LIGHT_LINE + "\n"
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o["output_type"] == "error"]
    # no warning either: the reader of the light setting (the browser's) sees every line
    assert not [o["text"] for o in outputs
                if o["output_type"] == "stream" and o["name"] == "stderr"]

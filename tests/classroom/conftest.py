"""Shared by the grader's tests: a small stand-in for assignment 4 (a trained global model)."""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import pytest

from classroom import assign
from classroom.assign import make_version, read_source

REPO = Path(__file__).resolve().parents[2]
A1 = "01_backward_rules"

STANDIN = "05_standin"


@pytest.fixture(scope="session")
def standin() -> nbformat.NotebookNode:
    """A tiny assignment whose test checks a global `model` trained by a locked cell."""
    def meta(gid, **extra):
        base = {"grade": False, "grade_id": gid, "locked": False, "schema_version": 3,
                "solution": False, "task": False}
        return {"nbgrader": base | extra}

    kernel = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": kernel,
                                            "classroom": {"withheld": []}})
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import numpy as np\n\nfrom npgrad import Tensor, nn, no_grad\n\n"
            "X = np.random.default_rng(0).standard_normal((200, 2)).astype(np.float32)\n"
            "y = (X[:, 0] < X[:, 1]).astype(np.int64)",
            metadata=meta("setup", locked=True)),
        nbformat.v4.new_code_cell(
            'def fit(X, y):\n    """A linear classifier of the two features."""\n'
            "    ### BEGIN SOLUTION\n    model = nn.Linear(2, 2)\n"
            "    model.weight.data[...] = np.float32([[1, -1], [-1, 1]])\n"
            "    model.bias.data[...] = 0\n    return model\n    ### END SOLUTION",
            metadata=meta("fit", solution=True)),
        nbformat.v4.new_code_cell("model = fit(X, y)", metadata=meta("train", locked=True)),
        nbformat.v4.new_code_cell(
            'def test_model():\n    """The model the locked cell trained."""\n'
            "    ### BEGIN HIDDEN TESTS\n"
            "    from classroom.judge import model_state, rebuild, submitted, verdicts\n\n"
            '    state = submitted("the trained model", lambda: model_state(model))\n'
            "    if verdicts():\n        with no_grad():\n"
            "            predicted = rebuild(state)(Tensor(X)).data.argmax(axis=1)\n"
            '        assert (predicted == y).mean() >= 0.95, "below 0.95"\n'
            "    ### END HIDDEN TESTS\n\n\ntest_model()",
            metadata=meta("test_model", grade=True, locked=True, points=4)),
    ]
    assign.check(nb, STANDIN)
    return nb


@pytest.fixture(scope="session")
def small_class(tmp_path_factory) -> Path:
    """A class of six on assignment 1 (right, empty, one mistake, twice over); its folder.

    Its own copy of the assignment is beside it, in ``sources``."""
    root = tmp_path_factory.mktemp("small_class")
    (root / "sources").mkdir()
    (root / "sources" / f"{A1}.ipynb").write_bytes(
        (REPO / "assignments" / f"{A1}.ipynb").read_bytes())
    source = read_source(root / "sources" / f"{A1}.ipynb")
    right, empty = make_version(source, "solutions"), make_version(source, "student")
    wrong = copy.deepcopy(right)
    cell = next(c for c in wrong.cells if "-grad * self.a / (self.b" in c.source)
    cell.source = cell.source.replace("-grad * self.a / (self.b",
                                      "grad * self.a / (self.b")  # Div: a sign lost
    for i, nb in enumerate([right, empty, wrong] * 2):
        folder = root / "submitted" / f"student{i}"
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{A1}.ipynb")
    return root / "submitted"

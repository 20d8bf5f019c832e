"""Shared by the grader's tests: a small stand-in for assignment 4 (a trained global model)."""

from __future__ import annotations

import nbformat
import pytest

from classroom import assign

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

"""The notebook the grader runs: the student's cells, every locked cell of the source
back.

And what the sandbox's runner is given to run (``runner_input``): every code cell, a
test cell as its hidden region only.
"""

from __future__ import annotations

import copy

from nbformat import NotebookNode

from classroom.markers import grade_id, hidden_code, is_locked, is_test_cell


def graded_notebook(source: NotebookNode, submission: NotebookNode) -> NotebookNode:
    """The submission with every locked cell of the source restored, hidden tests
    included.

    The student's own cells stay where they are; a locked cell the student deleted goes
    back after the cell that precedes it in the source (or at the end, after the
    student's code, if that one is gone too); a student cell cannot claim points.
    """
    originals = {grade_id(c): c for c in source.cells if is_locked(c) and grade_id(c)}
    cells, placed = [], set()
    for cell in submission.cells:
        gid = grade_id(cell)
        if gid in originals and gid not in placed:
            cells.append(copy.deepcopy(originals[gid]))
            placed.add(gid)
        else:
            cells.append(_as_student_cell(cell))
    _put_back_missing(source, cells, originals)
    nb = copy.deepcopy(source)
    nb.cells = cells
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def _as_student_cell(cell: NotebookNode) -> NotebookNode:
    cell = copy.deepcopy(cell)
    if is_locked(cell) or is_test_cell(cell):
        cell.metadata.pop("nbgrader", None)
    return cell


def _put_back_missing(
    source: NotebookNode, cells: list[NotebookNode], originals: dict
) -> None:
    """Each locked cell the student deleted goes after the graded cell that precedes it
    in the source if that one is there, at the top if none precedes it, else at the
    end."""
    previous = None
    for cell in source.cells:
        gid = grade_id(cell)
        if gid is None:
            continue
        if gid in originals and _position(cells, gid) is None:
            after = _position(cells, previous) if previous is not None else -1
            where = len(cells) if after is None else after + 1
            cells.insert(where, copy.deepcopy(originals[gid]))
        previous = gid


def _position(cells: list[NotebookNode], gid: str) -> int | None:
    return next((i for i, cell in enumerate(cells) if grade_id(cell) == gid), None)


def runner_input(nb: NotebookNode, max_output: int) -> dict:
    """What the sandbox runs: every code cell, a test cell as its hidden region only."""
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if is_test_cell(cell):
            cells.append(
                {"kind": "hidden", "test": grade_id(cell), "source": hidden_code(cell)}
            )
        else:
            kind = "locked" if is_locked(cell) else "student"
            cells.append({"kind": kind, "source": cell.source})
    return {"cells": cells, "max_output": max_output}

"""The nbgrader vocabulary that ``assign`` and ``grade`` share: cell metadata and
regions.

A source notebook marks its cells the way nbgrader does:

- a *solution cell* (``metadata.nbgrader.solution: true``) holds one or more regions
  between ``### BEGIN SOLUTION`` and ``### END SOLUTION``;
- a *test cell* (``grade: true, solution: false, locked: true, points: N``) may end its
  checks with a region between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``;
- a *locked cell* (``locked: true``) is one the grader restores from the source.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from nbformat import NotebookNode

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
MARKERS = (BEGIN_SOLUTION, END_SOLUTION, BEGIN_HIDDEN, END_HIDDEN)


# ---------------------------------------------------------------- cell metadata


def nbgrader(cell: NotebookNode) -> dict:
    """The cell's nbgrader metadata ({} for an ordinary cell)."""
    return cell.get("metadata", {}).get("nbgrader", {})


def grade_id(cell: NotebookNode) -> str | None:
    return nbgrader(cell).get("grade_id")


def is_test_cell(cell: NotebookNode) -> bool:
    """An autograded test cell: graded, not a solution."""
    meta = nbgrader(cell)
    return bool(meta.get("grade")) and not meta.get("solution")


def is_solution_cell(cell: NotebookNode) -> bool:
    return bool(nbgrader(cell).get("solution"))


def is_locked(cell: NotebookNode) -> bool:
    return bool(nbgrader(cell).get("locked"))


def points(cell: NotebookNode) -> float:
    return float(nbgrader(cell).get("points", 0))


def test_cells(nb: NotebookNode) -> list[NotebookNode]:
    return [cell for cell in nb.cells if is_test_cell(cell)]


# ---------------------------------------------------------------- regions


def find_regions(lines: Sequence[str], begin: str, end: str) -> list[tuple[int, int]]:
    """(begin, end) line indices of each region; ValueError if markers do not pair."""
    regions, start = [], None
    for i, line in enumerate(lines):
        text = line.strip()
        if text == begin:
            if start is not None:
                raise ValueError(
                    f"line {i + 1}: {begin!r} inside a region opened on "
                    f"line {start + 1}"
                )
            start = i
        elif text == end:
            if start is None:
                raise ValueError(f"line {i + 1}: {end!r} without a {begin!r} before it")
            regions.append((start, i))
            start = None
        elif any(marker in line for marker in (begin, end)):
            raise ValueError(
                f"line {i + 1}: a marker must stand alone on its line: {line.strip()!r}"
            )
    if start is not None:
        raise ValueError(f"line {start + 1}: {begin!r} is never closed by {end!r}")
    return regions


def region_lines(source: str, begin: str, end: str) -> list[str]:
    """Every line strictly inside the regions: what a student must never see."""
    lines = source.split("\n")
    return [
        line for a, b in find_regions(lines, begin, end) for line in lines[a + 1 : b]
    ]


def hidden_code(cell: NotebookNode) -> str:
    """A test cell's hidden region, dedented: what the sandbox and the grader run."""
    return textwrap.dedent(
        "\n".join(region_lines(cell.source, BEGIN_HIDDEN, END_HIDDEN))
    )

"""The assignments' source notebooks, for the tests that generate and grade them."""

from pathlib import Path

import nbformat

from classroom import markers
from classroom.assign import read_source, source_notebooks

SOURCE = Path(__file__).resolve().parents[2] / "assignments"
SOURCES = source_notebooks(SOURCE)
NAMES = [path.stem for path in SOURCES]
A1, A2, A3, A4, A5 = NAMES


def source(name: str) -> nbformat.NotebookNode:
    return read_source(SOURCE / f"{name}.ipynb")


def secret_lines(nb: nbformat.NotebookNode) -> list[str]:
    """The lines inside solution and hidden-test regions, but not also outside them."""
    inside, outside = [], set()
    pairs = ((markers.BEGIN_SOLUTION, markers.END_SOLUTION),
             (markers.BEGIN_HIDDEN, markers.END_HIDDEN))
    for cell in nb.cells:
        lines = cell.source.split("\n")
        regions = [r for pair in pairs for r in markers.find_regions(lines, *pair)]
        hidden = {i for begin, end in regions for i in range(begin, end + 1)}
        inside += [line.strip() for i, line in enumerate(lines) if i in hidden]
        outside |= {line.strip() for i, line in enumerate(lines) if i not in hidden}
    return [line for line in inside
            if line and line not in outside and line not in markers.MARKERS]

"""Every code line of an assignment fits the book's page: at most 80 characters.

The sources, the three versions the generator writes from them (its stubs included) and the
student copies the book shows; a wider line is clipped on the page and in a narrow notebook.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from classroom import assign
from classroom.assign import make_version, read_source, source_notebooks

SOURCE = Path(__file__).resolve().parents[2] / "assignments"
WIDTH = 80


def too_long(nb: nbformat.NotebookNode) -> list[str]:
    """'cell a1-03, line 4 (86 characters): ...' for each code line wider than WIDTH."""
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for number, line in enumerate(cell.source.split("\n"), start=1):
            if len(line) > WIDTH:
                where = cell.get("id", f"#{index}")
                found.append(f"cell {where}, line {number} ({len(line)} characters): {line.strip()}")
    return found


@pytest.mark.parametrize("path", source_notebooks(SOURCE), ids=lambda p: p.stem)
def test_every_code_line_of_every_version_fits_80_characters(path):
    src = read_source(path)
    versions = {"source": src} | {v: make_version(src, v) for v in assign.VERSIONS}
    versions["assignments/student"] = nbformat.read(SOURCE / "student" / path.name, as_version=4)
    wide = {name: too_long(nb) for name, nb in versions.items()}
    assert not any(wide.values()), "\n".join(
        f"{path.name} ({name}): {line}" for name, lines in wide.items() for line in lines)


def test_the_check_finds_a_long_line_and_the_generator_wraps_a_long_stub():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1\n" + "y = " + "1 + " * 20 + "1")]
    assert too_long(nb) == [f"cell {nb.cells[0].id}, line 2 (85 characters): y = {'1 + ' * 20}1"]
    method = "a_method_whose_name_is_long_enough_to_push_the_stub_line"
    solution = (f"class Widget:\n    def {method}(self):\n        ### BEGIN SOLUTION\n"
                "        return 1\n        ### END SOLUTION")
    stubbed = assign.with_stubs(solution)
    assert stubbed.split("\n")[2:] == [
        "        # YOUR CODE HERE", "        raise NotImplementedError(",
        f'            "Widget.{method}: not written yet"', "        )"]
    namespace: dict = {}
    exec(stubbed, namespace)
    with pytest.raises(NotImplementedError, match=f"Widget.{method}: not written yet"):
        getattr(namespace["Widget"](), method)()

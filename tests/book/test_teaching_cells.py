"""The cells a reader sees teach: no light-setting plumbing, no accuracy floors.

The light setting (course.light) reaches a chapter's code in one place, the sizes cell near the
top that calls `light.announce()`. Any other code cell the site shows (no `hide-input`,
`remove-input`, `hide-cell` or `remove-cell` tag) must not call `light.`, and must not assert
an accuracy floor (`assert acc >= 0.97`): the checks that guard the numbers live in hidden
cells. Asserts that teach (a gradient check, two computations that agree) stay visible.
"""

import ast
import re
from pathlib import Path

import nbformat
import pytest

CHAPTERS = sorted((Path(__file__).resolve().parents[2] / "chapters").glob("*.ipynb"))
HIDDEN = {"hide-input", "remove-input", "hide-cell", "remove-cell"}
ACCURACY = re.compile(r"acc", re.IGNORECASE)


def visible_code_cells(nb):
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and not HIDDEN & set(cell.metadata.get("tags", [])):
            yield i, cell


def python_of(source: str) -> str:
    """The cell's source with IPython's magics and shell lines commented out."""
    return "\n".join("#" + line if line.lstrip().startswith(("%", "!")) else line
                     for line in source.splitlines())


def is_fraction(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, float) and 0 < node.value < 1


def is_floor(node: ast.Assert) -> bool:
    """An assert that compares an accuracy with a number between 0 and 1 (a floor or a
    ceiling): `acc >= 0.97`, `accs[2] < 0.8 < accs[64]`."""
    for compare in (n for n in ast.walk(node.test) if isinstance(n, ast.Compare)):
        operands = [compare.left, *compare.comparators]
        for op, a, b in zip(compare.ops, operands[:-1], operands[1:], strict=True):
            if not isinstance(op, (ast.Lt, ast.LtE, ast.Gt, ast.GtE)):
                continue
            for number, other in ((a, b), (b, a)):
                if is_fraction(number) and ACCURACY.search(ast.unparse(other)):
                    return True
    return False


def test_is_floor_tells_a_floor_from_a_teaching_assert():
    def check(src):
        return is_floor(ast.parse(src).body[0])

    assert check("assert acc_scratch >= 0.97")
    assert check("assert accs[2] < 0.8 < 0.97 < accs[64]")
    assert check("assert losses[-1] < 0.5 * losses[0] and accuracy > 0.85")
    assert not check("assert accuracy(X @ W.T, y) == acc_2")
    assert not check("assert abs(grad - numeric).max() < 1e-7")
    assert not check("assert acc_forgot < acc_eval - 5")
    assert not check("assert gap < 1e-5 and acc_mlp == acc_scratch")


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_visible_code_cells_hold_no_plumbing(path):
    nb = nbformat.read(path, as_version=4)
    sizes = [i for i, c in enumerate(nb.cells)
             if c.cell_type == "code" and "light.announce()" in c.source]
    assert len(sizes) <= 1, f"{path.name}: more than one sizes cell: {sizes}"
    found = []
    for i, cell in visible_code_cells(nb):
        if i not in sizes and "light." in cell.source:
            found.append(f"cell {i} calls light. outside the sizes cell")
        for node in ast.walk(ast.parse(python_of(cell.source))):
            if isinstance(node, ast.Assert) and is_floor(node):
                found.append(f"cell {i} asserts an accuracy floor: {ast.unparse(node)}")
    assert not found, (f"{path.name}: move these into a hidden cell (tag hide-input):\n"
                       + "\n".join(found))

"""nbval skips cells that never ran and cannot see errors it is told to expect: check both here."""

import json
from pathlib import Path

import pytest

CHAPTERS = sorted((Path(__file__).parents[2] / "chapters").glob("*.ipynb"))


def code_cells(path: Path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for i, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] == "code" and "".join(cell["source"]).strip():
            yield i, cell


@pytest.mark.skipif(not CHAPTERS, reason="chapters/ holds no notebook yet")
@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_code_cell_ran_in_order_without_unexpected_errors(path):
    counts, problems = [], []
    for i, cell in code_cells(path):
        if cell.get("execution_count") is None:
            problems.append(f"cell {i} never ran (nbval would skip it): run `make execute`")
            continue
        counts.append(cell["execution_count"])
        tags = cell.get("metadata", {}).get("tags", [])
        errors = [o for o in cell["outputs"] if o["output_type"] == "error"]
        if errors and "raises-exception" not in tags:
            name = errors[0]["ename"]
            problems.append(f"cell {i} stores an error {name} but is not tagged raises-exception")
    if counts != list(range(1, len(counts) + 1)):
        problems.append(f"cells ran out of order (execution counts {counts}): run `make execute`")
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


# A chapter a reader finishes in a sitting: past this, split it (a second page as a section
# of the chapter in _toc.yml, as chapters 4 and 5 do) or fold digressions into dropdowns.
MAX_CELLS = 105  # "about 100"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_no_chapter_page_is_over_about_a_hundred_cells(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    assert len(cells) <= MAX_CELLS, (
        f"{path.name} has {len(cells)} cells: split it into two pages (a section in "
        "_toc.yml) or move a digression into a dropdown")

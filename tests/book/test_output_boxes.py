"""What a chapter prints fits the page: every line a chapter prints (stored stream and text
outputs, the figures and widgets aside) is at most 80 characters, the book's column; a wider
one scrolls on the page. (That the built site shows each stream in one box is checked on the
built site, tests/browser/test_site_html.py.)"""

from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
WIDTH = 80


def printed_lines(output):
    if output.output_type == "stream":
        yield from output.text.splitlines()
    elif output.output_type in ("execute_result", "display_data"):
        data = output.get("data", {})
        if "text/plain" in data and not ({"image/png", "text/html"} & data.keys()
                                         or any("widget" in k for k in data)):
            yield from data["text/plain"].splitlines()


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_no_printed_line_is_wider_than_the_page(path):
    nb = nbformat.read(path, as_version=4)
    wide = [f"cell {i}: {len(line)} characters: {line[:60]}..."
            for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
            for output in cell.outputs for line in printed_lines(output)
            if len(line) > WIDTH]
    assert not wide, f"{path.name}: lines wider than {WIDTH} characters:\n" + "\n".join(wide)

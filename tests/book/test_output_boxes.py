"""What a chapter prints fits the page and shows in one box per stream.

- Every line a chapter prints (stored stream and text outputs, the figures and widgets aside)
  is at most 80 characters, the book's column: a wider one scrolls on the page.
- On the built site (`make book`), no cell shows its printed output split into several boxes,
  nor an empty box: ipykernel may flush one print in pieces, and _config.yml's
  `nb_merge_streams` joins them at build time. Skipped when the site is not built.
"""

import itertools
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
SITE = ROOT / "_build" / "html" / "chapters"
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


def stream_boxes(html: str):
    """For each cell's output area on a page: the (stream, text) of its boxes in order."""
    soup = BeautifulSoup(html, "html.parser")
    for area in soup.select("div.cell_output"):
        boxes = []
        for box in area.find_all("div", class_="output", recursive=False):
            classes = box.get("class", [])
            name = "stderr" if "stderr" in classes else "stdout" if "stream" in classes else ""
            boxes.append((name, box.get_text()))
        yield boxes


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_the_site_shows_each_stream_in_one_box_never_empty(path):
    page = SITE / (path.stem + ".html")
    if not page.is_file():
        pytest.skip(f"no built page {page}: run `make book`")
    found = []
    for k, boxes in enumerate(stream_boxes(page.read_text(encoding="utf-8"))):
        names = [name for name, _ in boxes]
        if any(a == b != "" for a, b in itertools.pairwise(names)):
            found.append(f"output area {k}: {names.count('stdout')} stdout boxes in a row: "
                         + " | ".join(text.strip()[:30] for _, text in boxes))
        found += [f"output area {k}: an empty {name} box" for name, text in boxes
                  if name and not text.strip()]
    assert not found, f"{page.name}:\n" + "\n".join(found)

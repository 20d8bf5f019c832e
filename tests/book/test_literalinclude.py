"""Every line a chapter shows through `literalinclude` fits the book's column (80).

The library is formatted to 88 columns; what the book shows of it must fit in 80, so the
most-read code of the course does not scroll sideways on a phone. The shown lines are
read by Sphinx's own LiteralIncludeReader, with the options the chapter gives
(:pyobject:, :lines:, :start-after:, ...), so this test sees exactly what the book shows.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = ROOT / "chapters"
WIDTH = 80

# ```{literalinclude} path  (or a ::: fence), then :option: value lines or a --- block
DIRECTIVE = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{literalinclude\}[ \t]+(?P<path>\S+)[ \t]*\n"
    r"(?P<body>.*?)^(?P=fence)[ \t]*$",
    re.MULTILINE | re.DOTALL,
)


@dataclass(frozen=True)
class Include:
    chapter: str  # file name, with the cell number for a notebook
    path: Path  # the included file
    options: dict[str, str]

    @property
    def what(self) -> str:
        shown = {k: v for k, v in self.options.items() if k != "language"}
        where = ", ".join(f":{k}: {v}" for k, v in shown.items()) or "the whole file"
        return f"{self.path.relative_to(ROOT)} ({where})"


def _options(body: str) -> dict[str, str]:
    """The directive's options: `:key: value` lines, or a YAML-like --- block."""
    lines = body.splitlines()
    if lines and lines[0].strip() == "---":
        end = lines.index("---", 1)
        pairs = (line.split(":", 1) for line in lines[1:end])
        return {k.strip(): v.strip() for k, v in pairs}
    options = {}
    for line in lines:
        match = re.match(r"^:([\w-]+):\s*(.*)$", line)
        if not match:
            break  # the directive's content, if any, follows its options
        options[match[1]] = match[2].strip()
    return options


def _texts() -> list[tuple[str, str]]:
    """(where, markdown) for every .md chapter and every markdown cell of a notebook."""
    texts = [(p.name, p.read_text(encoding="utf-8")) for p in sorted(CHAPTERS.glob("*.md"))]
    for path in sorted(CHAPTERS.glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        texts += [(f"{path.name} cell {i}", "".join(cell["source"]))
                  for i, cell in enumerate(cells) if cell["cell_type"] == "markdown"]
    return texts


def includes() -> list[Include]:
    return [
        Include(where, (CHAPTERS / m["path"]).resolve(), _options(m["body"]))
        for where, text in _texts()
        for m in DIRECTIVE.finditer(text)
    ]


def shown_lines(include: Include) -> list[tuple[int, str]]:
    """(line number in the file, text) of every line the book shows, as Sphinx reads it."""
    from sphinx.directives.code import LiteralIncludeReader

    config = SimpleNamespace(source_encoding="utf-8-sig")
    text, _ = LiteralIncludeReader(str(include.path), include.options, config).read()
    file_lines = include.path.read_text(encoding="utf-8").splitlines()
    numbered, at = [], 0
    for line in text.splitlines():
        # the first line of the file, from where the last one was found, that it is
        found = next((i for i in range(at, len(file_lines)) if file_lines[i] == line), None)
        at = at if found is None else found + 1
        numbered.append((at if found is not None else 0, line))
    return numbered


INCLUDES = includes()

def test_the_chapters_show_library_code_and_this_test_finds_it():
    """A change to the directive's syntax must not make this test vacuous."""
    assert len(INCLUDES) >= 30, [i.what for i in INCLUDES]
    assert {i.chapter.split()[0].rsplit(".", 1)[1] for i in INCLUDES} == {"ipynb", "md"}
    missing = [f"{i.chapter}: {i.path}" for i in INCLUDES if not i.path.is_file()]
    assert not missing, f"literalinclude of a file that does not exist: {missing}"


@pytest.mark.parametrize(
    "include",
    INCLUDES,
    ids=[f"{i.chapter}:{i.options.get('pyobject', '')}" for i in INCLUDES],
)
def test_every_line_a_chapter_shows_fits_in_80_columns(include):
    pytest.importorskip("sphinx", reason="Sphinx reads the includes: pip install -r requirements.txt")
    wide = [
        f"    line {number}, {len(line)} characters: {line.strip()}"
        for number, line in shown_lines(include)
        if len(line) > WIDTH
    ]
    assert not wide, (
        f"{include.chapter} shows {include.what} with lines wider than the book's "
        f"{WIDTH} columns; rewrap them in the library:\n" + "\n".join(wide)
    )

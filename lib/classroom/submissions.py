"""Finding the handed-in notebooks, in whichever layout they come, and reading one
safely.

A class may be laid out the way nbgrader collects
(``<student>/<assignment>/<assignment>.ipynb``), as one folder per student
(``<student>/<assignment>.ipynb``) or flat, as a learning platform's download
(``<student>_<assignment>.ipynb``); a browser's ``<assignment> (1).ipynb`` copy counts
(the highest number wins, and the report says so). Symbolic links are refused.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode

MAX_NOTEBOOK_BYTES = 50 * 2**20
CELL_TYPES = ("code", "markdown", "raw")
COPY = re.compile(r"^(?P<stem>.*?)(?: \((?P<n>\d{1,4})\))?$")


@dataclass
class Submission:
    """Where one student's notebook for one assignment is (None: missing or refused)."""

    student: str
    assignment: str
    path: Path | None
    notes: list[str] = field(default_factory=list)
    refused: str = ""


@dataclass
class FoundSubmissions:
    """Every submission found, the layout kind(s) seen, and what was not understood."""

    submissions: dict[tuple[str, str], Submission]
    kind: str
    unknown: list[str]


# An offer(student, stem, path, is_link, layout kind) of a candidate notebook: True if
# stem names an assignment.
Offer = Callable[[str, str, Path, bool, str], bool]


def _split_copy(stem: str) -> tuple[str, int]:
    """'01_x (2)' -> ('01_x', 2); '01_x' -> ('01_x', 0)."""
    match = COPY.match(stem)
    return match.group("stem"), int(match.group("n") or 0)


def _entries(folder: Path) -> list[os.DirEntry]:
    with os.scandir(folder) as it:
        entries = [e for e in it if not e.name.startswith((".", "_"))]
    return sorted(entries, key=lambda e: e.name)


def find_submissions(root: str | Path, assignments: Sequence[str]) -> FoundSubmissions:
    """Every (student, assignment) notebook under root, whichever layout it uses."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"no submissions folder {root}")
    candidates: dict[tuple[str, str], list[tuple[int, Path, bool]]] = {}
    unknown: list[str] = []
    kinds: set[str] = set()

    def offer(student: str, stem: str, path: Path, link: bool, kind: str) -> bool:
        name, number = _split_copy(stem)
        if name not in assignments:
            return False
        candidates.setdefault((student, name), []).append((number, path, link))
        kinds.add(kind)
        return True

    for entry in _entries(root):
        _top_level(entry, assignments, offer, unknown)
    found = {key: _latest(*key, options) for key, options in candidates.items()}
    return FoundSubmissions(found, "/".join(sorted(kinds)) or "empty", unknown)


def _top_level(
    entry: os.DirEntry, assignments: Sequence[str], offer: Offer, unknown: list[str]
) -> None:
    path, flat = Path(entry.path), None
    if entry.name.endswith(".ipynb"):
        flat = _flat(entry.name, assignments)
    if entry.is_symlink() and not flat:
        unknown.append(f"{entry.name}: a symbolic link (refused)")
    elif entry.is_dir(follow_symlinks=False):
        if not _student_folder(entry.name, path, assignments, offer, unknown):
            unknown.append(
                f"{entry.name}/: no notebook named after an assignment "
                f"({', '.join(assignments)})"
            )
    elif flat:
        offer(*flat, path, entry.is_symlink(), "flat")
    else:
        unknown.append(
            f"{entry.name}: not a student folder nor <student>_<assignment>.ipynb"
        )


def _latest(
    student: str, name: str, options: list[tuple[int, Path, bool]]
) -> Submission:
    """The highest-numbered copy handed in; a symbolic link is refused."""
    number, path, link = max(options, key=lambda o: o[0])
    item = Submission(student, name, path)
    if len(options) > 1:
        others = ", ".join(sorted(p.name for _, p, _ in options if p != path))
        item.notes.append(
            f"graded {path.name}, the latest copy (also handed in: {others})"
        )
    if link:
        item.path, item.refused = None, f"{path.name} is a symbolic link, not a file"
    return item


def _flat(filename: str, assignments: Sequence[str]) -> tuple[str, str] | None:
    """'alice_01_x (1).ipynb' -> ('alice', '01_x (1)') when 01_x is an assignment."""
    stem = filename[: -len(".ipynb")]
    name, number = _split_copy(stem)
    for assignment in assignments:
        if name.endswith(assignment) and len(name) > len(assignment):
            student = name[: -len(assignment)].rstrip("_- .")
            if student and name[len(student)] in "_- .":
                return student, stem[len(name) - len(assignment) :]
    return None


def _student_folder(
    student: str,
    folder: Path,
    assignments: Sequence[str],
    offer: Offer,
    unknown: list[str],
) -> bool:
    understood = False
    for entry in _entries(folder):
        path = Path(entry.path)
        is_dir = entry.is_dir(follow_symlinks=False)
        if is_dir and _split_copy(entry.name)[0] in assignments:
            understood |= _nbgrader_folder(student, entry, offer, unknown)
        elif entry.name.endswith(".ipynb"):
            if offer(student, entry.name[:-6], path, entry.is_symlink(), "per-student"):
                understood = True
            else:
                unknown.append(f"{student}/{entry.name}: not named after an assignment")
        elif entry.is_symlink():
            unknown.append(f"{student}/{entry.name}: a symbolic link (refused)")
    return understood


def _nbgrader_folder(
    student: str, folder: os.DirEntry, offer: Offer, unknown: list[str]
) -> bool:
    """<student>/<assignment>/<assignment>.ipynb, as nbgrader collects."""
    understood = False
    for e in _entries(Path(folder.path)):
        if not e.name.endswith(".ipynb"):
            continue
        if _split_copy(e.name[:-6])[0] == folder.name:
            understood |= offer(
                student, e.name[:-6], Path(e.path), e.is_symlink(), "nbgrader"
            )
        else:
            unknown.append(
                f"{student}/{folder.name}/{e.name}: not named after its assignment"
            )
    return understood


def select_assignments(
    sources: Iterable[str], wanted: Iterable[str] | None
) -> list[str]:
    """The assignments a --assignment filter names (a name or a number); all if None."""
    sources = list(sources)
    if wanted is None:
        return sources
    chosen = []
    for name in wanted:
        number = name.isdigit() and int(name)
        matches = [
            s
            for s in sources
            if s == name or (number and s.split("_", 1)[0] == f"{number:02d}")
        ]
        if len(matches) != 1:
            raise ValueError(
                f"--assignment {name}: matches {matches or 'none'} of "
                f"{', '.join(sources)}"
            )
        chosen.append(matches[0])
    return list(dict.fromkeys(chosen))


# ---------------------------------------------------------------- reading one notebook


class Unreadable(ValueError):
    """A submission that is not a notebook the grader can run."""


def read_submission(path: Path) -> NotebookNode:
    """The notebook at path, read once, links not followed; Unreadable if not one."""
    try:
        flags = os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0)
        fd = os.open(path, flags)
    except OSError as error:
        raise Unreadable(f"could not open {path.name}: {error.strerror}") from None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise Unreadable(f"{path.name} is not a regular file")
        data = f.read(MAX_NOTEBOOK_BYTES + 1)
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise Unreadable(f"{path.name} is larger than {MAX_NOTEBOOK_BYTES // 2**20} MB")
    try:
        return _parse_notebook(data)
    except UnicodeError as error:
        raise Unreadable(
            f"{path.name} is not valid UTF-8 text ({type(error).__name__})"
        ) from None
    except RecursionError:
        raise Unreadable(f"{path.name} is nested too deeply to be a notebook") from None
    except Exception as error:  # a student's file can be broken in any way
        raise Unreadable(
            f"{path.name} is not a notebook: {type(error).__name__}"
        ) from None


def _parse_notebook(data: bytes) -> NotebookNode:
    text = data.decode("utf-8")
    content = json.loads(text)
    json.dumps(content, ensure_ascii=False).encode(
        "utf-8"
    )  # lone surrogates ("\ud800")
    nb = nbformat.reads(text, as_version=4)
    if not isinstance(nb.get("cells"), list):
        raise ValueError("no list of cells")
    for cell in nb.cells:
        if (
            not isinstance(cell.get("source"), str)
            or cell.get("cell_type") not in CELL_TYPES
        ):
            raise ValueError("a cell without a cell type and a text source")
    return nb

"""Offline autograder: each submission runs isolated; its scores are decided outside its reach.

    python -m classroom.grade SUBMISSIONS [--assignment NAME] [--student NAME] [--out DIR]

SUBMISSIONS may be laid out the way nbgrader collects (``<student>/<assignment>/<assignment>.ipynb``),
as one folder per student (``<student>/<assignment>.ipynb``) or flat, as a learning platform's
download (``<student>_<assignment>.ipynb``); a browser's ``<assignment> (1).ipynb`` copy counts
(the highest number wins, and the report says so). Symbolic links are refused. Anything else
is reported and makes the exit status non-zero.

For each submission the grader builds the notebook to run (the student's cells, with every
locked cell of the source put back as the instructor wrote it) and runs it in a sandbox
(``classroom.sandbox``: bubblewrap where it can run) with a copy of npgrad from which the
assignment's reference implementation is withheld (``classroom.withhold``). Each test cell
runs there only as its hidden region, whose ``submitted(...)`` calls record what the student's
functions return as plain data. The grader then runs the same hidden region in its own process,
on its own inputs, with those records replayed (``classroom.judge``): the assertions, and so
the scores, are computed by code the student's code never ran beside. A test cell earns its
points when its hidden region raises nothing there.

It writes, under --out (default: ``grades`` beside SUBMISSIONS), each file atomically:
``scores.csv`` (one row per student and assignment), ``scores.json`` (every test, and the
isolation used), ``feedback/<student>.md`` (for the student: results only, no test code) and
``autograded/<student>/<assignment>.ipynb`` (the run, hidden tests included: for the
instructor only). Exit status: 0 when every row is ``ok`` or ``missing``; 1 when something
needs a look (a notebook unreadable, refused, timed out or crashed, or files it did not
understand); 2 when it could not grade at all.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import csv
import io
import json
import os
import re
import shutil
import stat
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from classroom import judge, sandbox, withhold
from classroom.assign import (
    BEGIN_HIDDEN,
    END_HIDDEN,
    grade_id,
    is_locked,
    is_test_cell,
    read_source,
    region_lines,
    source_notebooks,
)

DEFAULT_TIMEOUT = 600  # seconds per notebook
DEFAULT_MAX_OUTPUT = 1_000_000  # characters of output kept per notebook
MAX_NOTEBOOK_BYTES = 50 * 2**20
MESSAGE_CHARS = 300  # of an error message, in the feedback
NEEDS_A_LOOK = ("unreadable", "refused", "timed out", "crashed")
CELL_TYPES = ("code", "markdown", "raw")
COPY = re.compile(r"^(?P<stem>.*?)(?: \((?P<n>\d{1,4})\))?$")


# ---------------------------------------------------------------- results


@dataclass
class TestResult:
    """One test cell: its points if its hidden tests passed in the grader, else 0 and why."""

    test: str
    points: float
    max_points: float
    passed: bool
    message: str = ""


@dataclass
class AssignmentResult:
    """One student's one assignment."""

    student: str
    assignment: str
    status: str  # ok, missing, unreadable, refused, timed out, crashed
    tests: list[TestResult]
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    isolation: str = ""
    file: str = ""

    @property
    def points(self) -> float:
        return sum(t.points for t in self.tests)

    @property
    def max_points(self) -> float:
        return sum(t.max_points for t in self.tests)


# ---------------------------------------------------------------- finding the submissions


@dataclass
class Found:
    """Where one student's notebook for one assignment is (path None: missing, or refused)."""

    student: str
    assignment: str
    path: Path | None
    notes: list[str] = field(default_factory=list)
    refused: str = ""


@dataclass
class Layout:
    found: dict[tuple[str, str], Found]
    kind: str
    unknown: list[str]


def _split_copy(stem: str) -> tuple[str, int]:
    """'01_x (2)' -> ('01_x', 2); '01_x' -> ('01_x', 0)."""
    match = COPY.match(stem)
    return match.group("stem"), int(match.group("n") or 0)


def _entries(folder: Path) -> list[os.DirEntry]:
    with os.scandir(folder) as it:
        return sorted((e for e in it if not e.name.startswith((".", "_"))), key=lambda e: e.name)


def find_submissions(root: str | Path, assignments: Sequence[str]) -> Layout:
    """Every (student, assignment) notebook under root, whichever layout it uses."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"no submissions folder {root}")
    found: dict[tuple[str, str], Found] = {}
    candidates: dict[tuple[str, str], list[tuple[int, Path, bool]]] = {}
    unknown, kinds = [], set()

    def offer(student: str, stem: str, path: Path, link: bool, kind: str) -> bool:
        name, number = _split_copy(stem)
        if name not in assignments:
            return False
        candidates.setdefault((student, name), []).append((number, path, link))
        kinds.add(kind)
        return True

    for entry in _entries(root):
        path = Path(entry.path)
        if entry.is_symlink():
            if entry.name.endswith(".ipynb") and _flat(entry.name, assignments):
                student, stem = _flat(entry.name, assignments)
                offer(student, stem, path, True, "flat")
            else:
                unknown.append(f"{entry.name}: a symbolic link (refused)")
        elif entry.is_dir():
            understood = _student_folder(entry.name, path, assignments, offer, unknown)
            if not understood:
                unknown.append(f"{entry.name}/: no notebook named after an assignment "
                               f"({', '.join(assignments)})")
        elif entry.name.endswith(".ipynb") and _flat(entry.name, assignments):
            student, stem = _flat(entry.name, assignments)
            offer(student, stem, path, False, "flat")
        else:
            unknown.append(f"{entry.name}: not a student folder nor <student>_<assignment>.ipynb")
    for (student, name), options in candidates.items():
        number, path, link = max(options, key=lambda o: o[0])
        item = Found(student, name, path)
        if len(options) > 1:
            others = ", ".join(sorted(p.name for _, p, _ in options if p != path))
            item.notes.append(f"graded {path.name}, the latest copy (also handed in: {others})")
        if link:
            item.path, item.refused = None, f"{path.name} is a symbolic link, not a file"
        found[student, name] = item
    kind = "/".join(sorted(kinds)) or "empty"
    return Layout(found, kind, unknown)


def _flat(filename: str, assignments: Sequence[str]) -> tuple[str, str] | None:
    """'alice_01_x (1).ipynb' -> ('alice', '01_x (1)') when 01_x is an assignment."""
    stem = filename[: -len(".ipynb")]
    name, number = _split_copy(stem)
    for assignment in assignments:
        if name.endswith(assignment) and len(name) > len(assignment):
            student = name[: -len(assignment)].rstrip("_- .")
            if student and name[len(student)] in "_- .":
                return student, stem[len(name) - len(assignment):]
    return None


def _student_folder(student: str, folder: Path, assignments: Sequence[str], offer, unknown) -> bool:
    understood = False
    for entry in _entries(folder):
        path = Path(entry.path)
        if entry.is_dir(follow_symlinks=False) and _split_copy(entry.name)[0] in assignments:
            inner = [e for e in _entries(path) if e.name.endswith(".ipynb")]
            for e in inner:  # nbgrader: <student>/<assignment>/<assignment>.ipynb
                if _split_copy(e.name[:-6])[0] == entry.name:
                    understood |= offer(student, e.name[:-6], Path(e.path), e.is_symlink(), "nbgrader")
                else:
                    unknown.append(f"{student}/{entry.name}/{e.name}: not named after its assignment")
        elif entry.name.endswith(".ipynb"):
            if offer(student, entry.name[:-6], path, entry.is_symlink(), "per-student"):
                understood = True
            else:
                unknown.append(f"{student}/{entry.name}: not named after an assignment")
        elif entry.is_symlink():
            unknown.append(f"{student}/{entry.name}: a symbolic link (refused)")
    return understood


# ---------------------------------------------------------------- reading one notebook


class Unreadable(ValueError):
    """A submission that is not a notebook the grader can run."""


def read_submission(path: Path) -> NotebookNode:
    """The notebook at path, read once without following links; Unreadable if it is not one."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        raise Unreadable(f"could not open {path.name}: {error.strerror}") from None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise Unreadable(f"{path.name} is not a regular file")
        data = f.read(MAX_NOTEBOOK_BYTES + 1)
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise Unreadable(f"{path.name} is larger than {MAX_NOTEBOOK_BYTES // 2**20} MB")
    try:
        text = data.decode("utf-8")
        content = json.loads(text)
        json.dumps(content, ensure_ascii=False).encode("utf-8")  # lone surrogates ("\ud800")
        nb = nbformat.reads(text, as_version=4)
        if not isinstance(nb.get("cells"), list):
            raise ValueError("no list of cells")
        for cell in nb.cells:
            if not isinstance(cell.get("source"), str) or cell.get("cell_type") not in CELL_TYPES:
                raise ValueError("a cell without a cell type and a text source")
    except UnicodeError as error:
        raise Unreadable(f"{path.name} is not valid UTF-8 text ({type(error).__name__})") from None
    except RecursionError:
        raise Unreadable(f"{path.name} is nested too deeply to be a notebook") from None
    except Exception as error:  # a student's file can be broken in any way
        raise Unreadable(f"{path.name} is not a notebook: {type(error).__name__}") from None
    return nb


# ---------------------------------------------------------------- the notebook to run


def graded_notebook(source: NotebookNode, submission: NotebookNode) -> NotebookNode:
    """The submission with every locked cell of the source restored, hidden tests included.

    The student's own cells stay where they are; a locked cell the student deleted goes back
    after the cell that precedes it in the source (or at the end, after the student's code,
    if that one is gone too); a student cell cannot claim points.
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


def _put_back_missing(source: NotebookNode, cells: list[NotebookNode], originals: dict) -> None:
    """Each locked cell the student deleted goes after the graded cell that precedes it in the
    source if that one is there, at the top if none precedes it, else at the end."""
    previous = None
    for cell in source.cells:
        gid = grade_id(cell)
        if gid is None:
            continue
        if gid in originals and _position(cells, gid) is None:
            after = _position(cells, previous) if previous is not None else -1
            cells.insert(len(cells) if after is None else after + 1, copy.deepcopy(originals[gid]))
        previous = gid


def _position(cells: list[NotebookNode], gid: str) -> int | None:
    return next((i for i, cell in enumerate(cells) if grade_id(cell) == gid), None)


def hidden_code(cell: NotebookNode) -> str:
    """A test cell's hidden region, dedented: what the sandbox and the grader both run."""
    return textwrap.dedent("\n".join(region_lines(cell.source, BEGIN_HIDDEN, END_HIDDEN)))


def job(nb: NotebookNode, max_output: int) -> dict:
    """What the sandbox runs: every code cell, a test cell as its hidden region only."""
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if is_test_cell(cell):
            cells.append({"kind": "hidden", "test": grade_id(cell), "source": hidden_code(cell)})
        else:
            cells.append({"kind": "locked" if is_locked(cell) else "student", "source": cell.source})
    return {"cells": cells, "max_output": max_output}


# ---------------------------------------------------------------- the grader's side


class Judge:
    """One assignment's hidden tests, run in the grader's process on replayed records."""

    def __init__(self, source: NotebookNode) -> None:
        setup = [c for c in source.cells if grade_id(c) == "setup"]
        self.namespace: dict[str, Any] = {"__name__": "__grader__"}
        with contextlib.redirect_stdout(io.StringIO()):
            for cell in setup:
                exec(compile(cell.source, "<setup>", "exec"), self.namespace)

    def verdict(self, cell: NotebookNode, records: Any) -> tuple[bool, str]:
        """(passed, why not): the cell's hidden region with the sandbox's records replayed."""
        records = records if isinstance(records, dict) else {}
        namespace = dict(self.namespace)
        try:
            with judge._mode("replay", records), contextlib.redirect_stdout(io.StringIO()):
                exec(compile(hidden_code(cell), f"<hidden tests of {grade_id(cell)}>", "exec"), namespace)
        except Exception as error:
            return False, error_line(error)
        return True, ""


def error_line(error: BaseException) -> str:
    """'AssertionError: ...': the exception and the first lines of its message, shortened."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    text = f"{type(error).__name__}: {' | '.join(lines[:3])}".rstrip(": ")
    return text if len(text) <= MESSAGE_CHARS else text[: MESSAGE_CHARS - 3] + "..."


@dataclass
class Assignment:
    """A source notebook, its judge and its npgrad copy for the sandbox."""

    name: str
    source: NotebookNode
    lib_dir: Path
    judge: Judge | None = None

    def get_judge(self) -> Judge:
        if self.judge is None:
            self.judge = Judge(self.source)
        return self.judge


def prepare(name: str, source: NotebookNode, workdir: Path) -> Assignment:
    """The sandbox's library folder: npgrad with the assignment's references withheld, classroom."""
    import npgrad

    lib = workdir / name
    lib.mkdir(parents=True)
    withhold.copy_without(Path(npgrad.__path__[0]), withhold.withheld_names(source), lib)
    shutil.copytree(Path(__file__).parent, lib / "classroom",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return Assignment(name, source, lib)


def grade_submission(assignment: Assignment, found: Found, limits: sandbox.Limits,
                     isolation: str) -> tuple[AssignmentResult, NotebookNode | None]:
    """Grade one notebook: the result and the run notebook for the instructor (None if none ran)."""
    source, student = assignment.source, found.student
    file = found.path.name if found.path else ""
    if found.refused:
        return _unscored(source, found, "refused", found.refused), None
    if found.path is None:
        return _unscored(source, found, "missing", "no submission"), None
    try:
        nb = graded_notebook(source, read_submission(found.path))
    except Unreadable as error:
        return _unscored(source, found, "unreadable", str(error)), None
    outcome = sandbox.run(job(nb, limits.max_output), assignment.lib_dir, limits, isolation, _data_dir())
    cells = {r["cell"]: r for r in outcome.records if isinstance(r.get("cell"), int)}
    tests, test_records = [], {}
    for record in cells.values():
        if isinstance(record.get("test"), str):
            test_records[record["test"]] = record.get("probes")
    status = outcome.status
    for cell in nb.cells:
        if is_test_cell(cell):
            full = float(cell.metadata.nbgrader.points)
            gid = grade_id(cell)
            if gid not in test_records:
                why = {"timed out": f"the notebook reached its time limit ({limits.timeout:g} s)",
                       "crashed": f"the notebook crashed ({outcome.detail})"}.get(status, "it stopped")
                tests.append(TestResult(gid, 0.0, full, False, f"not run: {why}"))
                continue
            passed, message = assignment.get_judge().verdict(cell, test_records[gid])
            tests.append(TestResult(gid, full if passed else 0.0, full, passed, message))
    notes = found.notes + _notes(nb, cells, outcome, limits)
    result = AssignmentResult(student, assignment.name, status, tests, notes, round(outcome.seconds, 1),
                              outcome.isolation, file)
    return result, _with_outputs(nb, cells, tests)


def _notes(nb: NotebookNode, cells: dict[int, dict], outcome: sandbox.Outcome, limits: sandbox.Limits,
           limit: int = 5) -> list[str]:
    """What the student should know besides the tests: their cells' errors (by name), cut output."""
    errors, number = [], 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        record = cells.get(number, {})
        if not is_test_cell(cell) and record.get("status") == "error":
            name = record.get("ename")
            name = name if name in judge.SHOWN_ERRORS else "an exception"
            errors.append(f"code cell {number + 1} raised {name}")
        number += 1
    notes = errors[:limit] + ([f"... and {len(errors) - limit} more"] if len(errors) > limit else [])
    if any(r.get("truncated") is True for r in cells.values()):
        notes.append(f"the output was cut at {limits.max_output} characters")
    if outcome.status == "timed out":
        notes.append(f"the notebook reached its time limit ({limits.timeout:g} s)")
    elif outcome.status == "crashed":
        notes.append(f"the notebook crashed ({outcome.detail})")
    return notes


def _with_outputs(nb: NotebookNode, cells: dict[int, dict], tests: list[TestResult]) -> NotebookNode:
    """The run notebook for the instructor: printed text, errors and each test's verdict."""
    nb = copy.deepcopy(nb)
    verdicts = {t.test: t for t in tests}
    number = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        record = cells.get(number, {})
        out = record.get("out") if isinstance(record.get("out"), str) else ""
        if out:
            cell.outputs.append(nbformat.v4.new_output("stream", name="stdout", text=out))
        result = record.get("result")
        if isinstance(result, str):
            cell.outputs.append(nbformat.v4.new_output("execute_result", data={"text/plain": result},
                                                       execution_count=number + 1))
        if record.get("status") == "error":
            cell.outputs.append(nbformat.v4.new_output(
                "error", ename=str(record.get("ename"))[:100], evalue=str(record.get("evalue", ""))[:2000],
                traceback=[]))
        if is_test_cell(cell) and grade_id(cell) in verdicts:
            t = verdicts[grade_id(cell)]
            text = f"[classroom.grade] {t.test}: {t.points:g} / {t.max_points:g}"
            text += "" if t.passed else f", {t.message}"
            cell.outputs.append(nbformat.v4.new_output("stream", name="stderr", text=text + "\n"))
        cell.execution_count = number + 1 if record else None
        number += 1
    return nb


def _unscored(source: NotebookNode, found: Found, status: str, reason: str) -> AssignmentResult:
    tests = [TestResult(grade_id(c), 0.0, float(c.metadata.nbgrader.points), False, reason)
             for c in source.cells if is_test_cell(c)]
    file = found.path.name if found.path else ""
    return AssignmentResult(found.student, found.assignment, status, tests, found.notes + [reason],
                            0.0, "", file)


def _data_dir() -> Path | None:
    from npgrad.datasets import data_root

    root = data_root()
    return root if root.is_dir() else None


def grade_all(submissions_dir: str | Path, source_dir: str | Path, out_dir: str | Path,
              limits: sandbox.Limits | None = None, isolation: str = "auto",
              assignments: Iterable[str] | None = None, students: Iterable[str] | None = None,
              log: Callable[[str], None] = print) -> tuple[list[AssignmentResult], Layout]:
    """Grade the submissions (those the filters select) and write the reports under out_dir."""
    limits = limits or sandbox.Limits()
    isolation = sandbox.choose_isolation(isolation)
    sources = {path.stem: read_source(path) for path in source_notebooks(source_dir)}
    wanted = _select(sources, assignments)
    layout = find_submissions(submissions_dir, list(sources))
    chosen = sorted({s for s, _ in layout.found} if students is None else set(students))
    results = []
    with tempfile.TemporaryDirectory(prefix="classroom-lib-") as workdir:
        prepared = {name: prepare(name, sources[name], Path(workdir)) for name in wanted}
        for student in chosen:
            for name in wanted:
                found = layout.found.get((student, name), Found(student, name, None))
                try:
                    result, nb = grade_submission(prepared[name], found, limits, isolation)
                except Exception as error:  # one submission must never stop the others
                    result, nb = _unscored(sources[name], found, "crashed",
                                           f"the grader failed on it: {error_line(error)}"), None
                results.append(result)
                if nb is not None:
                    path = Path(out_dir) / "autograded" / _slug(student) / f"{name}.ipynb"
                    _write(path, nbformat.writes(nb))
                log(f"{result.student}/{name}: {result.points:g}/{result.max_points:g} "
                    f"({result.status}, {result.seconds:.1f} s, {result.isolation or 'not run'})")
    run = {"isolation": isolation, "layout": layout.kind, "unknown": layout.unknown}
    write_reports(results, out_dir, run)
    return results, layout


def _select(sources: dict, assignments: Iterable[str] | None) -> list[str]:
    if assignments is None:
        return list(sources)
    wanted = []
    for name in assignments:
        number = name.isdigit() and int(name)
        matches = [s for s in sources if s == name or (number and s.split("_", 1)[0] == f"{number:02d}")]
        if len(matches) != 1:
            raise ValueError(f"--assignment {name}: matches {matches or 'none'} of {', '.join(sources)}")
        wanted.append(matches[0])
    return list(dict.fromkeys(wanted))


# ---------------------------------------------------------------- reports


def _slug(name: str) -> str:
    """A student's name as a safe file name."""
    text = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return re.sub(r"[^\w.@-]+", "_", text).strip(".") or "_"


def _printable(name: str) -> str:
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def write_reports(results: Sequence[AssignmentResult], out_dir: str | Path, run: dict | None = None) -> None:
    """scores.csv, scores.json and feedback/<student>.md under out_dir, each written atomically."""
    out = Path(out_dir)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["student", "assignment", "status", "points", "max_points"])
    for r in results:
        writer.writerow([_printable(r.student), r.assignment, r.status, f"{r.points:g}", f"{r.max_points:g}"])
    _write(out / "scores.csv", buffer.getvalue())
    report = {"run": run or {}, "students": scores_json(results)}
    _write(out / "scores.json", json.dumps(report, indent=1) + "\n")
    for student in dict.fromkeys(r.student for r in results):
        mine = [r for r in results if r.student == student]
        _write(out / "feedback" / f"{_slug(student)}.md", feedback(mine))


def scores_json(results: Sequence[AssignmentResult]) -> dict:
    """{student: {points, max_points, assignments: {name: {status, points, ..., tests}}}}."""
    report: dict[str, dict] = {}
    for r in results:
        entry = report.setdefault(_printable(r.student),
                                  {"points": 0.0, "max_points": 0.0, "assignments": {}})
        entry["points"] += r.points
        entry["max_points"] += r.max_points
        entry["assignments"][r.assignment] = {
            "status": r.status, "points": r.points, "max_points": r.max_points, "file": _printable(r.file),
            "seconds": r.seconds, "isolation": r.isolation, "notes": r.notes,
            "tests": [asdict(t) for t in r.tests],
        }
    return report


def feedback(results: Sequence[AssignmentResult]) -> str:
    """A short Markdown report for one student: scores, and why each failed test failed."""
    total, full = sum(r.points for r in results), sum(r.max_points for r in results)
    lines = [f"# Feedback for {_printable(results[0].student)}", "", f"Total: {total:g} / {full:g}", ""]
    for r in results:
        lines += [f"## {r.assignment}: {r.points:g} / {r.max_points:g}", ""]
        if r.status != "ok":
            lines += [f"Status: {r.status}.", ""]
        for t in r.tests:
            verdict = "passed" if t.passed else f"failed: {t.message}"
            lines.append(f"- {t.test} ({t.points:g} / {t.max_points:g}): {verdict}")
        lines += [""] + [f"Note: {note}" for note in r.notes] + ([""] if r.notes else [])
    return "\n".join(lines).rstrip() + "\n"


def _write(path: Path, text: str) -> None:
    """Write text to path atomically: a temporary file beside it, then a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


# ---------------------------------------------------------------- command line


def default_source() -> Path:
    """./assignments if there is one, else the course repository's assignments/."""
    here = Path("assignments")
    return here if here.is_dir() else Path(__file__).resolve().parents[2] / "assignments"


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m classroom.grade SUBMISSIONS [options]`; the exit status says what needs a look."""
    parser = argparse.ArgumentParser(prog="python -m classroom.grade", description=__doc__.split("\n")[0])
    parser.add_argument("submissions", help="the handed-in notebooks (nbgrader, per-student or flat layout)")
    parser.add_argument("--source", default=None, help="the source notebooks (default: assignments/)")
    parser.add_argument("--out", default=None, help="reports folder (default: grades/ beside SUBMISSIONS)")
    parser.add_argument("--assignment", action="append", help="grade only this assignment (name or number; "
                        "repeat for more)")
    parser.add_argument("--student", action="append", help="grade only this student (repeat for more)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per notebook (600)")
    parser.add_argument("--max-output", type=int, default=DEFAULT_MAX_OUTPUT,
                        help="characters of printed output kept per notebook (1000000)")
    parser.add_argument("--memory-mb", type=int, default=sandbox.Limits.memory_mb,
                        help=f"address space per notebook, in MiB ({sandbox.Limits.memory_mb})")
    parser.add_argument("--isolation", choices=("auto", "bubblewrap", "fallback"), default="auto",
                        help="auto: bubblewrap where it runs, else the fallback (the report says which)")
    args = parser.parse_args(argv)
    out = Path(args.out) if args.out else Path(args.submissions).resolve().parent / "grades"
    limits = sandbox.Limits(timeout=args.timeout, memory_mb=args.memory_mb, max_output=args.max_output)
    start = time.monotonic()
    try:
        results, layout = grade_all(args.submissions, args.source or default_source(), out, limits,
                                    args.isolation, args.assignment, args.student)
    except (FileNotFoundError, ValueError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for problem in layout.unknown:
        print(f"warning: not understood, not graded: {problem}", file=sys.stderr)
    look = [r for r in results if r.status in NEEDS_A_LOOK]
    for r in look:
        notes = "; ".join(r.notes)[:200]
        print(f"needs a look: {_printable(r.student)}/{r.assignment}: {r.status} ({notes})", file=sys.stderr)
    isolation = sorted({r.isolation for r in results if r.isolation}) or ["none needed"]
    print(f"{len(results)} results ({layout.kind} layout), isolation: {', '.join(isolation)}; "
          f"reports in {out} ({time.monotonic() - start:.0f} s)")
    if not layout.found and layout.unknown:
        print("error: no submission found in a layout the grader understands", file=sys.stderr)
        return 2
    return 1 if look or layout.unknown else 0


if __name__ == "__main__":
    sys.exit(main())

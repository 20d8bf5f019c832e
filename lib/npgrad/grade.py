"""Offline autograder: run each submission, then the hidden tests against the student's own code.

    python -m npgrad.grade SUBMISSIONS_DIR [--source assignments] [--out DIR] [--timeout 600]

SUBMISSIONS_DIR holds one folder per student, each with the notebooks handed in under the
names of the source notebooks: ``SUBMISSIONS_DIR/<student>/<assignment>.ipynb`` (for
example ``submitted/alice/02_softmax_cross_entropy.ipynb``).

For each submission the grader builds the notebook to run: the student's cells, with every
locked cell of the source (the setup and the test cells, hidden tests included) put back as
the instructor wrote it. It runs that in a fresh IPython kernel of this Python, with a time
limit for the whole notebook and a cap on the output it keeps, and goes on after errors. A
test cell earns its points if it ran without an exception. The hidden tests call the graded
functions inside ``reference_blocked(...)``, which makes npgrad's own implementation raise,
so a submission that delegates to npgrad gets no points for them.

It writes, under --out (default: a ``grades`` folder beside SUBMISSIONS_DIR):
``scores.csv`` (one row per student and assignment), ``scores.json`` (every test),
``feedback/<student>.md`` (short, for the student: no hidden test code) and
``autograded/<student>/<assignment>.ipynb`` (the executed notebooks, hidden tests included:
for the instructor only).

This is not a sandbox: student code runs with your permissions. Grade in a container or a
throwaway account.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import FunctionType, MethodType, ModuleType
from typing import Any

import nbformat
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode

from npgrad.assign import grade_id, is_locked, is_test_cell, read_source, source_notebooks

DEFAULT_TIMEOUT = 600  # seconds per notebook
DEFAULT_MAX_OUTPUT = 1_000_000  # characters of output kept per notebook
MESSAGE_CHARS = 300  # of an exception message, in the feedback


# ---------------------------------------------------------------- blocking npgrad's reference


class ReferenceUsedError(RuntimeError):
    """A graded function called the npgrad implementation it was meant to replace."""

    def __init__(self, name: str) -> None:
        super().__init__(f"{name} is npgrad's own implementation, which this test blocks: "
                         "write the code yourself instead of calling it")


def _refuse(*args: Any, **kwargs: Any) -> None:
    # This code object replaces a blocked function's, and so runs with that function's
    # globals: it reaches everything it needs through builtins.
    name = __import__("sys")._getframe().f_code.co_qualname
    raise __import__("npgrad.grade", fromlist=["ReferenceUsedError"]).ReferenceUsedError(name)


@contextlib.contextmanager
def reference_blocked(*targets: Any) -> Iterator[None]:
    """Inside the block, calling any target raises ReferenceUsedError.

    A target is a function, a class (the methods in its body, except those that call
    super(): block the parent class too) or a module (every function defined in it). The
    function objects themselves change (their ``__code__``), so names bound before the
    block (``from npgrad.tensor import unbroadcast``), subclasses and saved references
    (``ref = F.Mul.backward``) are all blocked too.
    """
    functions = list({id(f): f for target in targets for f in _functions(target)}.values())
    for f in functions:
        if f.__closure__:
            raise TypeError(f"reference_blocked: cannot block {f.__qualname__}, it has a closure "
                            "(super() or an enclosing function); block what it calls instead")
    saved = [(f, f.__code__) for f in functions]
    try:
        for f, code in saved:
            qualname = f"{f.__module__}.{code.co_qualname}"
            f.__code__ = _refuse.__code__.replace(co_name=code.co_name, co_qualname=qualname)
        yield
    finally:
        for f, code in reversed(saved):
            f.__code__ = code


def _functions(target: Any) -> list[FunctionType]:
    """The functions a target stands for; a class's methods with closures (super()) are left out."""
    if isinstance(target, FunctionType):
        return [target]
    if isinstance(target, MethodType):
        return [target.__func__]
    if isinstance(target, type):
        members = [getattr(v, "__func__", v) for v in vars(target).values()]
        return [f for f in members if isinstance(f, FunctionType) and not f.__closure__]
    if isinstance(target, ModuleType):
        return [f for f in vars(target).values()
                if isinstance(f, FunctionType) and f.__module__ == target.__name__]
    raise TypeError(f"reference_blocked: cannot block {target!r}; pass functions, classes or modules")


# ---------------------------------------------------------------- results


@dataclass
class TestResult:
    """One test cell: its points if it ran without an exception, else 0 and the reason."""

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
    status: str  # ok, timeout, kernel died, missing, unreadable
    tests: list[TestResult]
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def points(self) -> float:
        return sum(t.points for t in self.tests)

    @property
    def max_points(self) -> float:
        return sum(t.max_points for t in self.tests)


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


# ---------------------------------------------------------------- running it


class _ThisPython(KernelSpecManager):
    """Every kernel is IPython in the grader's own interpreter, whatever kernelspecs say."""

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        return KernelSpec(argv=argv, display_name="Python 3 (npgrad.grade)", language="python")


class _GradingClient(NotebookClient):
    """A NotebookClient that keeps at most max_output characters of output (errors always)."""

    def __init__(self, nb: NotebookNode, max_output: int, **kwargs: Any) -> None:
        super().__init__(nb, **kwargs)
        self.max_output, self.output_used, self.truncated = max_output, 0, False

    def create_kernel_manager(self) -> AsyncKernelManager:
        self.km = AsyncKernelManager(kernel_spec_manager=_ThisPython(), kernel_name="python3")
        return self.km

    def output(self, outs: list, msg: dict, display_id: str | None, cell_index: int) -> Any:
        if msg["msg_type"] == "error":
            out = super().output(outs, msg, display_id, cell_index)
            return _shorten_error(out) if out is not None else None
        self.output_used += len(json.dumps(msg["content"]))
        if self.output_used <= self.max_output:
            return super().output(outs, msg, display_id, cell_index)
        if not self.truncated:
            self.truncated = True
            note = f"[npgrad.grade: output beyond {self.max_output} characters was dropped]\n"
            outs.append(nbformat.v4.new_output("stream", name="stderr", text=note))
        return None


def _shorten_error(out: NotebookNode) -> NotebookNode:
    out.evalue = out.evalue[:MESSAGE_CHARS * 10]
    out.traceback = [line[:2000] for line in out.traceback[-40:]]
    return out


@dataclass
class Run:
    """How an execution went: its status and the kernel's reply to each cell that ran."""

    status: str  # ok, timeout, kernel died
    replies: dict[int, dict]
    truncated: bool
    seconds: float


def execute(nb: NotebookNode, timeout: float, max_output: int = DEFAULT_MAX_OUTPUT) -> Run:
    """Run nb in place, cell by cell, in a fresh kernel and an empty folder, within timeout s."""
    replies: dict[int, dict] = {}
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="npgrad-grade-") as workdir:
        client = _GradingClient(nb, max_output, allow_errors=True, shutdown_kernel="immediate",
                                resources={"metadata": {"path": workdir}})
        client.on_cell_executed = lambda cell, cell_index, execute_reply: replies.update(
            {cell_index: execute_reply["content"]})
        try:
            with client.setup_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
                status = _run_cells(client, nb, start + timeout)
        except DeadKernelError:
            status = "kernel died"
    return Run(status, replies, client.truncated, time.monotonic() - start)


def _run_cells(client: NotebookClient, nb: NotebookNode, deadline: float) -> str:
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        remaining = deadline - time.monotonic()
        if remaining < 1:
            return "timeout"
        client.timeout = int(remaining)
        try:
            client.execute_cell(cell, index)
        except CellTimeoutError:
            return "timeout"
        except DeadKernelError:
            return "kernel died"
    return "ok"


# ---------------------------------------------------------------- scoring


def score(nb: NotebookNode, run: Run, timeout: float) -> list[TestResult]:
    """Each test cell's points: all of them if it ran without an exception, else none."""
    results = []
    for index, cell in enumerate(nb.cells):
        if is_test_cell(cell):
            reply = run.replies.get(index)
            passed = reply is not None and reply.get("status") == "ok"
            message = "" if passed else _why_failed(reply, run.status, timeout)
            full = float(cell.metadata.nbgrader.points)
            results.append(TestResult(grade_id(cell), full if passed else 0.0, full, passed, message))
    return results


def _why_failed(reply: dict | None, status: str, timeout: float) -> str:
    if reply is None:
        reason = {"timeout": f"the notebook reached its time limit ({timeout:g} s)"}.get(status, status)
        return f"not run: {reason}"
    return _error_line(reply)


def _error_line(reply: dict) -> str:
    """'AssertionError: ...': the exception and the first lines of its message, shortened."""
    lines = [line.strip() for line in str(reply.get("evalue", "")).splitlines() if line.strip()]
    text = f"{reply.get('ename', 'Error')}: {' | '.join(lines[:3])}".rstrip(": ")
    return text if len(text) <= MESSAGE_CHARS else text[: MESSAGE_CHARS - 3] + "..."


def student_errors(nb: NotebookNode, run: Run, limit: int = 5) -> list[str]:
    """The exceptions the student's own cells raised (the first few), for the feedback."""
    errors = [f"cell {i + 1} raised {_error_line(run.replies[i])}" for i, cell in enumerate(nb.cells)
              if not is_test_cell(cell) and run.replies.get(i, {}).get("status") == "error"]
    return errors[:limit] + ([f"... and {len(errors) - limit} more"] if len(errors) > limit else [])


def grade_submission(source: NotebookNode, path: Path, student: str, assignment: str,
                     timeout: float = DEFAULT_TIMEOUT,
                     max_output: int = DEFAULT_MAX_OUTPUT) -> tuple[AssignmentResult, NotebookNode | None]:
    """Grade one notebook: the result and the executed notebook (None if there was none to run)."""
    if not path.exists():
        return _unscored(source, student, assignment, "missing", f"no submission: {path.name}"), None
    try:
        submission = nbformat.read(path, as_version=4)
        nb = graded_notebook(source, submission)
    except Exception as error:  # a student's file can be broken in any way
        reason = f"could not read {path.name}: {type(error).__name__}: {error}"[:MESSAGE_CHARS]
        return _unscored(source, student, assignment, "unreadable", reason), None
    run = execute(nb, timeout, max_output)
    notes = student_errors(nb, run)
    if run.truncated:
        notes.append(f"the output was cut at {max_output} characters")
    result = AssignmentResult(student, assignment, run.status, score(nb, run, timeout), notes,
                              round(run.seconds, 1))
    return result, nb


def _unscored(source: NotebookNode, student: str, assignment: str, status: str,
              reason: str) -> AssignmentResult:
    tests = [TestResult(grade_id(c), 0.0, float(c.metadata.nbgrader.points), False, reason)
             for c in source.cells if is_test_cell(c)]
    return AssignmentResult(student, assignment, status, tests, [reason])


def grade_all(submissions_dir: str | Path, source_dir: str | Path, out_dir: str | Path,
              timeout: float = DEFAULT_TIMEOUT, max_output: int = DEFAULT_MAX_OUTPUT,
              log: Callable[[str], None] = print) -> list[AssignmentResult]:
    """Grade every student's every assignment and write the reports under out_dir."""
    sources = {path.stem: read_source(path) for path in source_notebooks(source_dir)}
    out, results = Path(out_dir), []
    for student_dir in students(submissions_dir):
        for assignment, source in sources.items():
            path = student_dir / f"{assignment}.ipynb"
            result, nb = grade_submission(source, path, student_dir.name, assignment, timeout, max_output)
            results.append(result)
            if nb is not None:
                _write(out / "autograded" / student_dir.name / path.name, nbformat.writes(nb))
            log(f"{result.student}/{assignment}: {result.points:g}/{result.max_points:g} "
                f"({result.status}, {result.seconds:.1f} s)")
    write_reports(results, out)
    return results


def students(submissions_dir: str | Path) -> list[Path]:
    """One folder per student, sorted; other entries are ignored."""
    root = Path(submissions_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"no submissions folder {root}")
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


# ---------------------------------------------------------------- reports


def write_reports(results: Sequence[AssignmentResult], out_dir: str | Path) -> None:
    """scores.csv, scores.json and feedback/<student>.md under out_dir."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "scores.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "assignment", "status", "points", "max_points"])
        for r in results:
            writer.writerow([r.student, r.assignment, r.status, f"{r.points:g}", f"{r.max_points:g}"])
    _write(out / "scores.json", json.dumps(scores_json(results), indent=1) + "\n")
    for student in dict.fromkeys(r.student for r in results):
        mine = [r for r in results if r.student == student]
        _write(out / "feedback" / f"{student}.md", feedback(mine))


def scores_json(results: Sequence[AssignmentResult]) -> dict:
    """{student: {points, max_points, assignments: {name: {status, points, ..., tests}}}}."""
    report: dict[str, dict] = {}
    for r in results:
        entry = report.setdefault(r.student, {"points": 0.0, "max_points": 0.0, "assignments": {}})
        entry["points"] += r.points
        entry["max_points"] += r.max_points
        entry["assignments"][r.assignment] = {
            "status": r.status, "points": r.points, "max_points": r.max_points,
            "seconds": r.seconds, "notes": r.notes, "tests": [asdict(t) for t in r.tests],
        }
    return report


def feedback(results: Sequence[AssignmentResult]) -> str:
    """A short Markdown report for one student: scores, and why each failed test failed."""
    total, full = sum(r.points for r in results), sum(r.max_points for r in results)
    lines = [f"# Feedback for {results[0].student}", "", f"Total: {total:g} / {full:g}", ""]
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
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


# ---------------------------------------------------------------- command line


def default_source() -> Path:
    """./assignments if there is one, else the course repository's assignments/."""
    here = Path("assignments")
    return here if here.is_dir() else Path(__file__).resolve().parents[2] / "assignments"


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m npgrad.grade SUBMISSIONS_DIR [--source DIR] [--out DIR] [--timeout S]`."""
    parser = argparse.ArgumentParser(prog="python -m npgrad.grade", description=__doc__.split("\n")[0])
    parser.add_argument("submissions", help="one subfolder per student: <student>/<assignment>.ipynb")
    parser.add_argument("--source", default=None, help="the source notebooks (default: assignments/)")
    parser.add_argument("--out", default=None, help="reports folder (default: grades/ beside SUBMISSIONS)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help="seconds per notebook (default: 600)")
    parser.add_argument("--max-output", type=int, default=DEFAULT_MAX_OUTPUT,
                        help="characters of output kept per notebook (default: 1000000)")
    args = parser.parse_args(argv)
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")  # one BLAS thread per kernel: fair time limits
    out = Path(args.out) if args.out else Path(args.submissions).resolve().parent / "grades"
    try:
        results = grade_all(args.submissions, args.source or default_source(), out,
                            args.timeout, args.max_output)
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    ran = sum(r.status not in ("missing", "unreadable") for r in results)
    print(f"{len(results)} results, {ran} notebooks run; reports in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

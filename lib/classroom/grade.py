"""Offline autograder: each submission runs isolated; its scores are decided outside its
reach.

    python -m classroom.grade SUBMISSIONS [--assignment NAME] [--student NAME] [--out
    DIR]

SUBMISSIONS may be laid out the way nbgrader collects, as one folder per student or flat
(``classroom.submissions``). Anything the grader does not understand is reported and
makes the exit status non-zero.

For each submission the grader builds the notebook to run (the student's cells, with
every locked cell of the source put back as the instructor wrote it:
``classroom.graded_notebook``) and runs it in a sandbox (``classroom.sandbox``:
bubblewrap where it can run) with a copy of npgrad from which the assignment's reference
implementation is withheld (``classroom.withhold``); the scores are decided in the
grader on what the sandbox handed back (``classroom.scoring``).

It writes, under --out (default: ``grades`` beside SUBMISSIONS), each file atomically
(``classroom.reports``): ``scores.csv`` (one row per student and assignment),
``scores.json`` (every test, and the isolation used), ``feedback/<student>.md`` (for the
student: results only, no test code) and ``autograded/<student>/<assignment>.ipynb``
(the run, hidden tests included: for the instructor only). Exit status: 0 when every row
is ``ok`` or ``missing``; 1 when something needs a look (a notebook unreadable, refused,
timed out or crashed, or files it did not understand); 2 when it could not grade at all.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import nbformat

from classroom import sandbox
from classroom.assign import read_source, source_notebooks
from classroom.reports import printable, slug, write_atomic, write_reports
from classroom.results import NEEDS_A_LOOK, AssignmentResult
from classroom.scoring import error_line, grade_submission, prepare, unscored
from classroom.submissions import (
    FoundSubmissions,
    Submission,
    find_submissions,
    select_assignments,
)

DEFAULT_TIMEOUT = 600  # seconds per notebook
DEFAULT_MAX_OUTPUT = 1_000_000  # characters of output kept per notebook


def grade_all(
    submissions_dir: str | Path,
    source_dir: str | Path,
    out_dir: str | Path,
    limits: sandbox.Limits | None = None,
    isolation: str = "auto",
    assignments: Iterable[str] | None = None,
    students: Iterable[str] | None = None,
    log: Callable[[str], None] = print,
) -> tuple[list[AssignmentResult], FoundSubmissions]:
    """Grade the submissions the filters select; write the reports under out_dir."""
    limits = limits or sandbox.Limits()
    isolation = sandbox.choose_isolation(isolation)
    sources = {path.stem: read_source(path) for path in source_notebooks(source_dir)}
    wanted = select_assignments(sources, assignments)
    found = find_submissions(submissions_dir, list(sources))
    chosen = sorted(
        {s for s, _ in found.submissions} if students is None else set(students)
    )
    results = []
    with tempfile.TemporaryDirectory(prefix="classroom-lib-") as workdir:
        prepared = {
            name: prepare(name, sources[name], Path(workdir)) for name in wanted
        }
        for student in chosen:
            for name in wanted:
                submission = found.submissions.get(
                    (student, name), Submission(student, name, None)
                )
                try:
                    result, nb = grade_submission(
                        prepared[name], submission, limits, isolation
                    )
                except Exception as error:  # one submission must never stop the others
                    reason = f"the grader failed on it: {error_line(error)}"
                    result = unscored(sources[name], submission, "crashed", reason)
                    nb = None
                results.append(result)
                if nb is not None:
                    path = (
                        Path(out_dir) / "autograded" / slug(student) / f"{name}.ipynb"
                    )
                    write_atomic(path, nbformat.writes(nb))
                log(
                    f"{result.student}/{name}: {result.points:g}/{result.max_points:g} "
                    f"({result.status}, {result.seconds:.1f} s, "
                    f"{result.isolation or 'not run'})"
                )
    run = {"isolation": isolation, "layout": found.kind, "unknown": found.unknown}
    write_reports(results, out_dir, run)
    return results, found


def default_source() -> Path:
    """./assignments if there is one, else the course repository's assignments/."""
    here = Path("assignments")
    return (
        here if here.is_dir() else Path(__file__).resolve().parents[2] / "assignments"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m classroom.grade", description=__doc__.split("\n")[0]
    )
    add = parser.add_argument
    add(
        "submissions",
        help="the handed-in notebooks (nbgrader, per-student or flat layout)",
    )
    add("--source", default=None, help="the source notebooks (default: assignments/)")
    add(
        "--out",
        default=None,
        help="reports folder (default: grades/ beside SUBMISSIONS)",
    )
    add(
        "--assignment",
        action="append",
        help="grade only this assignment (name or number; repeat for more)",
    )
    add("--student", action="append", help="grade only this student (repeat for more)")
    add(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help="seconds per notebook (600)",
    )
    add(
        "--max-output",
        type=int,
        default=DEFAULT_MAX_OUTPUT,
        help="characters of printed output kept per notebook (1000000)",
    )
    add(
        "--memory-mb",
        type=int,
        default=sandbox.Limits.memory_mb,
        help=f"address space per notebook, in MiB ({sandbox.Limits.memory_mb})",
    )
    add(
        "--isolation",
        choices=("auto", "bubblewrap", "fallback"),
        default="auto",
        help="auto: bubblewrap where it runs, else the fallback "
        "(the report says which)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m classroom.grade SUBMISSIONS [options]`; 0, 1 (look) or 2."""
    args = _parser().parse_args(argv)
    out = (
        Path(args.out)
        if args.out
        else Path(args.submissions).resolve().parent / "grades"
    )
    limits = sandbox.Limits(
        timeout=args.timeout, memory_mb=args.memory_mb, max_output=args.max_output
    )
    start = time.monotonic()
    try:
        results, found = grade_all(
            args.submissions,
            args.source or default_source(),
            out,
            limits,
            args.isolation,
            args.assignment,
            args.student,
        )
    except (FileNotFoundError, ValueError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return _summary(results, found, out, time.monotonic() - start)


def _summary(
    results: list[AssignmentResult], found: FoundSubmissions, out: Path, seconds: float
) -> int:
    """Print what needs a look and one line of totals; the exit status."""
    for problem in found.unknown:
        print(f"warning: not understood, not graded: {problem}", file=sys.stderr)
    look = [r for r in results if r.status in NEEDS_A_LOOK]
    for r in look:
        notes = "; ".join(r.notes)[:200]
        print(
            f"needs a look: {printable(r.student)}/{r.assignment}: "
            f"{r.status} ({notes})",
            file=sys.stderr,
        )
    isolation = sorted({r.isolation for r in results if r.isolation}) or ["none needed"]
    print(
        f"{len(results)} results ({found.kind} layout), "
        f"isolation: {', '.join(isolation)}; "
        f"reports in {out} ({seconds:.0f} s)"
    )
    if not found.submissions and found.unknown:
        print(
            "error: no submission found in a layout the grader understands",
            file=sys.stderr,
        )
        return 2
    return 1 if look or found.unknown else 0


if __name__ == "__main__":
    sys.exit(main())

"""Offline autograder: each submission runs isolated; its scores are decided outside its
reach.

    python -m classroom.grade SUBMISSIONS [--assignment NAME] [--student NAME] [--out
    DIR] [--jobs N] [--shard I/N] python -m classroom.grade --merge SHARD_OUT [SHARD_OUT
    ...] --out DIR

SUBMISSIONS may be laid out the way nbgrader collects, as one folder per student or flat
(``classroom.submissions``). Anything the grader does not understand is reported and
makes the exit status non-zero.

For each submission the grader builds the notebook to run (the student's cells, with
every locked cell of the source put back: ``classroom.graded_notebook``) and runs it in
a sandbox (``classroom.sandbox``: bubblewrap where it can run) with a copy of npgrad
from which the assignment's reference implementation is withheld
(``classroom.withhold``); the scores are decided by the grader on what the sandbox
handed back (``classroom.scoring``, ``classroom.verdicts``). ``--jobs N`` grades N
notebooks at a time (default: the cores), with the same results as one at a time;
``--shard I/N`` grades the share I (from 0) of N of the students, for a class spread
over an array job, and ``--merge`` combines the shards' reports into one.

It writes, under --out (default: ``grades`` beside SUBMISSIONS), each file atomically
(``classroom.reports``): ``scores.csv`` (one row per student and assignment),
``scores.json`` (every test, the isolation and the limits in force),
``feedback/<student>.md`` (for the student: results only, no test code) and
``autograded/<student>/<assignment>.ipynb`` (the run, hidden tests included: for the
instructor only). Exit status: 0 when every row is ``ok`` or ``missing``; 1 when
something needs a look (a notebook unreadable, refused, timed out or crashed, or files
it did not understand); 2 when it could not grade at all.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import multiprocessing
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import nbformat

from classroom import sandbox
from classroom.assign import read_source, source_notebooks
from classroom.merge import in_shard, merge, parse_shard
from classroom.reports import printable, slug, write_atomic, write_reports
from classroom.results import NEEDS_A_LOOK, AssignmentResult
from classroom.safe_text import excerpt
from classroom.scoring import Assignment, grade_submission, prepare, unscored
from classroom.submissions import (
    FoundSubmissions,
    Submission,
    find_submissions,
    select_assignments,
)

DEFAULT_TIMEOUT = 600  # seconds per notebook
DEFAULT_MAX_OUTPUT = 1_000_000  # characters of output kept per notebook
_TASK: dict = {}  # what a worker process needs, set before the workers are forked


def grade_all(
    submissions_dir: str | Path,
    source_dir: str | Path,
    out_dir: str | Path,
    limits: sandbox.Limits | None = None,
    isolation: str = "auto",
    assignments: Iterable[str] | None = None,
    students: Iterable[str] | None = None,
    log: Callable[[str], None] = print,
    jobs: int = 1,
    shard: tuple[int, int] | None = None,
) -> tuple[list[AssignmentResult], FoundSubmissions]:
    """Grade the submissions the filters select; write the reports under out_dir."""
    limits, warnings = limits or sandbox.Limits(), []
    isolation = sandbox.choose_isolation(isolation, warn=_warner(warnings))
    sources = {path.stem: read_source(path) for path in source_notebooks(source_dir)}
    wanted = select_assignments(sources, assignments)
    found = find_submissions(submissions_dir, list(sources))
    chosen = sorted(
        {s for s, _ in found.submissions} if students is None else set(students)
    )
    if shard is not None:
        chosen = [student for student in chosen if in_shard(student, *shard)]
    tasks = [(student, name) for student in chosen for name in wanted]
    with tempfile.TemporaryDirectory(prefix="classroom-lib-") as workdir:
        os.chmod(workdir, 0o755)  # the sandbox's account reads the npgrad copies
        prepared = {
            name: prepare(name, sources[name], Path(workdir)) for name in wanted
        }
        _TASK.update(prepared=prepared, found=found, limits=limits, isolation=isolation)
        results = []
        for result, text in _graded(tasks, jobs):
            results.append(result)
            _keep_run(result, text, Path(out_dir), log)
    run = {
        "isolation": isolation,
        "layout": found.kind,
        "unknown": found.unknown,
        "warnings": warnings,
        "shard": list(shard) if shard else None,
        "limits": sorted({x for r in results for x in r.limits}),
    }
    write_reports(results, out_dir, run)
    return results, found


def _warner(warnings: list[str]) -> Callable[[str], None]:
    def warn(text: str) -> None:
        warnings.append(text)
        print(text, file=sys.stderr)

    return warn


def _graded(tasks: list[tuple[str, str]], jobs: int):
    """(result, run notebook text or None) for each task, in the order of the tasks."""
    if jobs <= 1 or len(tasks) <= 1:
        yield from map(grade_task, tasks)
        return
    for assignment in _TASK["prepared"].values():
        assignment.get_hidden_tests()  # once, before the workers are forked
    context = multiprocessing.get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=context) as pool:
        yield from pool.map(grade_task, tasks)


def grade_task(task: tuple[str, str]) -> tuple[AssignmentResult, str | None]:
    """One (student, assignment): its result, and the run notebook's text (or None).

    Whatever goes wrong is that submission's row ("crashed"), never the run's.
    """
    student, name = task
    assignment: Assignment = _TASK["prepared"][name]
    submission = _TASK["found"].submissions.get(task, Submission(student, name, None))
    try:
        result, nb = grade_submission(
            assignment, submission, _TASK["limits"], _TASK["isolation"]
        )
        return result, None if nb is None else nbformat.writes(nb)
    except Exception as error:  # one submission must never stop the others
        reason = f"the grader failed on it: {excerpt(repr(error), 200)}"
        return unscored(assignment.source, submission, "crashed", reason), None


def _keep_run(
    result: AssignmentResult, text: str | None, out: Path, log: Callable[[str], None]
) -> None:
    if text is not None:
        path = out / "autograded" / slug(result.student) / f"{result.assignment}.ipynb"
        try:
            write_atomic(path, text)
        except OSError as error:
            result.notes.append(
                f"the run notebook could not be written ({error.strerror})"
            )
    log(
        f"{printable(result.student)}/{result.assignment}: {result.points:g}/"
        f"{result.max_points:g} ({result.status}, {result.seconds:.1f} s, "
        f"{result.isolation or 'not run'})"
    )


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
        nargs="?",
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
        help=f"memory per notebook, in MiB ({sandbox.Limits.memory_mb})",
    )
    add(
        "--isolation",
        choices=("auto", "bubblewrap", "fallback"),
        default="auto",
        help="auto: bubblewrap where it runs, else the fallback, with a warning",
    )
    add(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="notebooks graded at a time (default: the cores)",
    )
    add(
        "--shard",
        type=parse_shard,
        default=None,
        help="I/N: grade only share I (0 to N-1) of the students, for an array job",
    )
    add(
        "--merge",
        nargs="+",
        metavar="SHARD_OUT",
        help="combine the reports of the shards' --out folders into --out",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m classroom.grade SUBMISSIONS [options]`; 0, 1 (look) or 2."""
    args = _parser().parse_args(argv)
    start = time.monotonic()
    try:
        if args.merge:
            if not args.out:
                raise ValueError(
                    "--merge needs --out, the folder for the combined reports"
                )
            results, found = merge(args.merge, Path(args.out))
            return _summary(results, found, Path(args.out), time.monotonic() - start)
        if not args.submissions:
            raise ValueError(
                "name the SUBMISSIONS folder (or --merge the shards' reports)"
            )
        out = Path(args.out or Path(args.submissions).resolve().parent / "grades")
        limits = sandbox.Limits(
            timeout=args.timeout, memory_mb=args.memory_mb, max_output=args.max_output
        )
        results, found = grade_all(
            args.submissions,
            args.source or default_source(),
            out,
            limits,
            args.isolation,
            args.assignment,
            args.student,
            jobs=args.jobs,
            shard=args.shard,
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
        print(
            f"warning: not understood, not graded: {printable(problem)}",
            file=sys.stderr,
        )
    look = [r for r in results if r.status in NEEDS_A_LOOK]
    for r in look:
        notes = printable("; ".join(r.notes)[:200])
        print(
            f"needs a look: {printable(r.student)}/{r.assignment}: "
            f"{r.status} ({notes})",
            file=sys.stderr,
        )
    isolation = sorted({r.isolation for r in results if r.isolation}) or ["none needed"]
    print(
        f"{len(results)} results ({found.kind} layout), isolation: "
        f"{', '.join(isolation)}; reports in {out} ({seconds:.0f} s)"
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

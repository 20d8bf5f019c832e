"""Grading one submission: run it in the sandbox, then decide each test in the grader.

Each test cell runs in the sandbox only as its hidden region, whose ``submitted(...)``
calls record what the student's functions return as plain data. The grader then runs the
same hidden region in its own process, on its own inputs, with those records replayed
(``classroom.judge``): the assertions, and so the scores, are computed by code the
student's code never ran beside. A test cell earns its points when its hidden region
raises nothing there.
"""

from __future__ import annotations

import copy
import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from classroom import judge, sandbox, withhold
from classroom.graded_notebook import graded_notebook, runner_input
from classroom.markers import grade_id, is_test_cell
from classroom.results import AssignmentResult, TestResult
from classroom.submissions import Submission, Unreadable, read_submission
from classroom.verdicts import HiddenTests, decide_apart


@dataclass
class Assignment:
    """A source notebook, its hidden tests and its npgrad copy for the sandbox."""

    name: str
    source: NotebookNode
    lib_dir: Path
    hidden_tests: HiddenTests | None = None

    def get_hidden_tests(self) -> HiddenTests:
        if self.hidden_tests is None:
            self.hidden_tests = HiddenTests(self.source)
        return self.hidden_tests


def prepare(name: str, source: NotebookNode, workdir: Path) -> Assignment:
    """The sandbox's library: npgrad with the references withheld, and classroom."""
    import npgrad

    lib = workdir / name
    lib.mkdir(parents=True)
    withheld = withhold.withheld_names(source)
    withhold.copy_without(Path(npgrad.__path__[0]), withheld, lib)
    shutil.copytree(
        Path(__file__).parent,
        lib / "classroom",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    return Assignment(name, source, lib)


def grade_submission(
    assignment: Assignment,
    submission: Submission,
    limits: sandbox.Limits,
    isolation: str,
) -> tuple[AssignmentResult, NotebookNode | None]:
    """Grade one notebook: the result, and the run notebook (None if none)."""
    source = assignment.source
    if submission.refused:
        return unscored(source, submission, "refused", submission.refused), None
    if submission.path is None:
        return unscored(source, submission, "missing", "no submission"), None
    try:
        nb = graded_notebook(source, read_submission(submission.path))
    except Unreadable as error:
        return unscored(source, submission, "unreadable", str(error)), None
    outcome = sandbox.run(
        runner_input(nb, limits.max_output),
        assignment.lib_dir,
        limits,
        isolation,
        _data_dir(),
    )
    cells = {r["cell"]: r for r in outcome.records if isinstance(r.get("cell"), int)}
    tests = _judged(assignment, nb, cells, outcome, limits)
    notes = submission.notes + _notes(nb, cells, outcome, limits) + outcome.notes
    result = AssignmentResult(
        submission.student,
        assignment.name,
        outcome.status,
        tests,
        notes,
        round(outcome.seconds, 1),
        outcome.isolation,
        submission.path.name,
        outcome.limits,
    )
    return result, _with_outputs(nb, cells, tests)


def _judged(
    assignment: Assignment,
    nb: NotebookNode,
    cells: dict[int, dict],
    outcome: sandbox.Outcome,
    limits: sandbox.Limits,
) -> list[TestResult]:
    """Each test cell's result: its hidden tests on what the sandbox recorded."""
    records = {
        r["test"]: r.get("probes")
        for r in cells.values()
        if isinstance(r.get("test"), str)
    }
    tests, ran = [], []
    for cell in nb.cells:
        if not is_test_cell(cell):
            continue
        full, gid = float(cell.metadata.nbgrader.points), grade_id(cell)
        tests.append(TestResult(gid, 0.0, full, False))
        if gid in records:
            ran.append((tests[-1], cell))
        else:
            tests[-1].message = f"not run: {_why_not_run(outcome, limits)}"
    pairs = [(cell, records[test.test]) for test, cell in ran]
    decided = (
        decide_apart(
            assignment.get_hidden_tests(),
            pairs,
            limits.check_seconds,
            limits.check_memory_mb,
        )
        if pairs
        else []
    )
    for (test, _), (passed, message) in zip(ran, decided, strict=True):
        test.passed, test.message = passed, message
        test.points = test.max_points if passed else 0.0
    return tests


def _why_not_run(outcome: sandbox.Outcome, limits: sandbox.Limits) -> str:
    if outcome.status == "timed out":
        return f"the notebook reached its time limit ({limits.timeout:g} s)"
    if outcome.status == "crashed":
        return f"the notebook crashed ({outcome.detail})"
    return "it stopped"


def _notes(
    nb: NotebookNode,
    cells: dict[int, dict],
    outcome: sandbox.Outcome,
    limits: sandbox.Limits,
    limit: int = 5,
) -> list[str]:
    """What the student should know besides the tests: errors, cut output."""
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
    notes = errors[:limit]
    if len(errors) > limit:
        notes.append(f"... and {len(errors) - limit} more")
    if any(r.get("truncated") is True for r in cells.values()):
        notes.append(f"the output was cut at {limits.max_output} characters")
    if outcome.status == "timed out":
        notes.append(f"the notebook reached its time limit ({limits.timeout:g} s)")
    elif outcome.status == "crashed":
        notes.append(f"the notebook crashed ({outcome.detail})")
    return notes


def _with_outputs(
    nb: NotebookNode, cells: dict[int, dict], tests: list[TestResult]
) -> NotebookNode:
    """The run notebook for the instructor: printed text, errors, each verdict."""
    nb = copy.deepcopy(nb)
    verdicts = {t.test: t for t in tests}
    number = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        record = cells.get(number, {})
        cell.outputs += _outputs(record, number + 1)
        if is_test_cell(cell) and grade_id(cell) in verdicts:
            t = verdicts[grade_id(cell)]
            text = f"[classroom.grade] {t.test}: {t.points:g} / {t.max_points:g}"
            text += "" if t.passed else f", {t.message}"
            cell.outputs.append(
                nbformat.v4.new_output("stream", name="stderr", text=text + "\n")
            )
        cell.execution_count = number + 1 if record else None
        number += 1
    return nb


def _outputs(record: dict, count: int) -> list[NotebookNode]:
    """One cell's outputs from its record: printed text, its last value, its error."""
    new, outputs = nbformat.v4.new_output, []
    out = record.get("out") if isinstance(record.get("out"), str) else ""
    if out:
        outputs.append(new("stream", name="stdout", text=out))
    result = record.get("result")
    if isinstance(result, str):
        outputs.append(
            new("execute_result", data={"text/plain": result}, execution_count=count)
        )
    if record.get("status") == "error":
        outputs.append(
            new(
                "error",
                ename=str(record.get("ename"))[:100],
                evalue=str(record.get("evalue", ""))[:2000],
                traceback=[],
            )
        )
    return outputs


def unscored(
    source: NotebookNode, submission: Submission, status: str, reason: str
) -> AssignmentResult:
    """Zero for every test of the assignment, for a reason."""
    tests = [
        TestResult(grade_id(c), 0.0, float(c.metadata.nbgrader.points), False, reason)
        for c in source.cells
        if is_test_cell(c)
    ]
    file = submission.path.name if submission.path else ""
    return AssignmentResult(
        submission.student,
        submission.assignment,
        status,
        tests,
        submission.notes + [reason],
        0.0,
        "",
        file,
    )


def _data_dir() -> Path | None:
    from npgrad.datasets import data_root

    root = data_root()
    return root if root.is_dir() else None

"""The assignments: one source, a student version that gives nothing away, npgrad's
reference blocked, and the notebook the grader builds.

The grader on honest work is in tests/classroom/test_grading_assignments.py; the attacks on
the grader, one crafted submission per class, in tests/classroom/test_grade_attacks.py."""

from __future__ import annotations

import copy
import inspect
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

import npgrad.functional as F
import npgrad.train
from classroom import assign, markers, withhold
from classroom.assign import AssignmentFormatError, enclosing_name, make_version
from classroom.graded_notebook import graded_notebook
from classroom.judge import ReferenceUsedError, reference_blocked
from classroom.markers import grade_id
from npgrad import Tensor
from tests.classroom.sources import A1, A2, NAMES, SOURCE, SOURCES, secret_lines, source


def visible_text(nb: nbformat.NotebookNode) -> str:
    """Everything a student can see in a notebook: sources, outputs, metadata."""
    return nbformat.writes(nb) + "\n".join(cell.source for cell in nb.cells)


# ---------------------------------------------------------------- the sources


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.stem)
def test_source_follows_the_nbgrader_conventions(path):
    nb = nbformat.read(path, as_version=4)
    assert assign.problems(nb) == []
    tests = markers.test_cells(nb)
    assert len(tests) >= 3
    for cell in tests:
        meta = cell.metadata.nbgrader
        assert meta == {"grade": True, "grade_id": meta["grade_id"], "locked": True, "points": meta["points"],
                        "schema_version": 3, "solution": False, "task": False}
        hidden = markers.find_regions(cell.source.split("\n"), markers.BEGIN_HIDDEN, markers.END_HIDDEN)
        assert hidden, f"{meta['grade_id']} has no hidden tests"
    assert nb.metadata.kernelspec.name == "python3"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.stem)
def test_source_is_committed_executed_in_order_without_errors(path):
    cells = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    assert [c.execution_count for c in cells] == list(range(1, len(cells) + 1)), "run it top to bottom"
    assert not [o for c in cells for o in c.outputs if o.output_type == "error"]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.stem)
def test_hidden_tests_reach_the_students_code_only_through_submitted(path):
    """So that the grader can decide them in its own process (classroom.judge)."""
    nb = nbformat.read(path, as_version=4)
    for cell in markers.test_cells(nb):
        hidden = markers.hidden_code(cell)
        compile(hidden, grade_id(cell), "exec")  # runs on its own, dedented
        assert "from classroom.judge import" in hidden and "submitted(" in hidden, grade_id(cell)
        assert "\nif verdicts():\n" in hidden, f"{grade_id(cell)}: assert only under `if verdicts():`"
        before = hidden.split("\nif verdicts():\n")[0]
        assert "assert" not in before, f"{grade_id(cell)}: an assertion outside `if verdicts():`"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.stem)
def test_what_each_assignment_withholds_exists_in_npgrad(path, tmp_path):
    names = withhold.withheld_names(nbformat.read(path, as_version=4))
    assert names
    copy = withhold.copy_without(Path(npgrad.__path__[0]), names, tmp_path)
    assert "is withheld while this assignment is graded" in "".join(
        p.read_text(encoding="utf-8") for p in copy.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.stem)
def test_every_solution_region_is_a_function_body(path):
    """So that the student's stub keeps a signature and a docstring."""
    for cell in nbformat.read(path, as_version=4).cells:
        lines = cell.source.split("\n")
        for begin, _ in markers.find_regions(lines, markers.BEGIN_SOLUTION, markers.END_SOLUTION):
            assert enclosing_name(lines, begin), f"{grade_id(cell)}: a solution region outside a def"


def test_the_books_student_copies_are_up_to_date():
    reasons = assign.stale(SOURCE, SOURCE / "student", "student")
    fix = "python -m classroom.assign assignments assignments/student --only student"
    assert not reasons, "\n".join(reasons) + f"\nrun: {fix}"


# ---------------------------------------------------------------- the generator


TOY = '''def f(x: int) -> int:
    """Twice x."""
    ### BEGIN SOLUTION
    y = 2 * x
    return y
    ### END SOLUTION


class A:
    def g(self):
        ### BEGIN SOLUTION
        return 1
        ### END SOLUTION'''


def test_a_stub_keeps_the_signature_and_docstring_and_names_the_function():
    assert assign.with_stubs(TOY) == '''def f(x: int) -> int:
    """Twice x."""
    # YOUR CODE HERE
    raise NotImplementedError("f: not written yet")


class A:
    def g(self):
        # YOUR CODE HERE
        raise NotImplementedError("A.g: not written yet")'''


def test_hidden_tests_go_and_markers_can_be_dropped():
    cell = "check(1)\n### BEGIN HIDDEN TESTS\ncheck(2)\n### END HIDDEN TESTS\n"
    assert assign.without_hidden_tests(cell) == "check(1)"
    assert "BEGIN" not in assign.without_markers(TOY) and "y = 2 * x" in assign.without_markers(TOY)
    inside = markers.region_lines(TOY, markers.BEGIN_SOLUTION, markers.END_SOLUTION)
    assert inside == ["    y = 2 * x", "    return y", "        return 1"]


def _toy_notebook(solution_source: str = TOY, **test_meta) -> nbformat.NotebookNode:
    meta = {"grade": False, "grade_id": "f", "locked": False, "schema_version": 3, "solution": True,
            "task": False}
    test = {"grade": True, "grade_id": "test_f", "locked": True, "points": 1, "schema_version": 3,
            "solution": False, "task": False} | test_meta
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(solution_source, metadata={"nbgrader": meta}),
                nbformat.v4.new_code_cell("assert f(1) == 2", metadata={"nbgrader": test})]
    return nb


@pytest.mark.parametrize("change, message", [
    (lambda nb: setattr(nb.cells[0], "source", TOY.replace("### END SOLUTION\n", "", 1)), "inside a region"),
    (lambda nb: setattr(nb.cells[1], "source", "### END HIDDEN TESTS"), "without a"),
    (lambda nb: setattr(nb.cells[1], "source", "x = 1  ### BEGIN HIDDEN TESTS"), "stand alone"),
    (lambda nb: nb.cells[0].metadata.nbgrader.update(solution=False), "without nbgrader solution"),
    (lambda nb: nb.cells[1].metadata.nbgrader.pop("points"), "positive points"),
    (lambda nb: nb.cells[1].metadata.nbgrader.update(grade_id="f"), "used twice"),
    (lambda nb: nb.cells[1].metadata.nbgrader.update(locked=False), "locked code cell"),
    (lambda nb: nb.cells.append(nbformat.v4.new_code_cell(
        f"{markers.BEGIN_HIDDEN}\n{markers.END_HIDDEN}")), "not a test"),
])
def test_a_malformed_source_is_refused_with_a_message_that_says_where(change, message):
    nb = _toy_notebook()
    assign.check(nb)
    change(nb)
    with pytest.raises(AssignmentFormatError, match=message):
        assign.check(nb, "toy.ipynb")


def test_the_command_line_writes_three_versions_and_checks_a_copy(tmp_path, capsys):
    assert assign.main([str(SOURCE), str(tmp_path)]) == 0
    for version in assign.VERSIONS:
        assert sorted(p.stem for p in (tmp_path / version).glob("*.ipynb")) == NAMES
    solutions = nbformat.read(tmp_path / "solutions" / f"{A1}.ipynb", as_version=4)
    assert "### " not in visible_text(solutions) and "return a / b" in visible_text(solutions)
    assert assign.main([str(SOURCE), str(SOURCE / "student"), "--only", "student", "--check"]) == 0
    (tmp_path / "student" / f"{A2}.ipynb").write_text("{}", encoding="utf-8")
    assert assign.main([str(SOURCE), str(tmp_path / "student"), "--only", "student", "--check"]) == 1
    assert f"{A2}.ipynb differs" in capsys.readouterr().err
    assert assign.main([str(SOURCE), str(SOURCE)]) == 2, "must refuse to write over the sources"


# ---------------------------------------------------------------- the student version


@pytest.mark.parametrize("name", NAMES)
def test_the_student_version_shows_no_solution_and_no_hidden_test(name):
    src, student = source(name), make_version(source(name), "student")
    text = visible_text(student)
    # A line that is one argument of a call wrapped one per line ("rtol=1e-4,", "dw,")
    # or closing brackets gives nothing away, and the visible tests hold the same ones.
    argument = re.compile(r"[^\s,()\[\]]+,|[)\]}]+,?")
    secret = [line for line in secret_lines(src) if not argument.fullmatch(line)]
    assert len(secret) > 20
    leaks = [line for line in secret if line in text]
    assert not leaks, f"solution or hidden-test lines in the student version: {leaks}"
    assert not any(marker in text for marker in markers.MARKERS)
    assert "classroom.judge" not in text and "submitted(" not in text and "verdicts()" not in text
    code = [c for c in student.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code), "outputs must be cleared"


@pytest.mark.parametrize("name", NAMES)
def test_every_stub_raises_not_implemented_error_naming_its_function(name):
    src, student = source(name), make_version(source(name), "student")
    namespace: dict = {}
    for cell in student.cells:
        if grade_id(cell) == "setup" or markers.is_solution_cell(cell):
            exec(compile(cell.source, f"<{name}:{grade_id(cell)}>", "exec"), namespace)
    stubs = [enclosing_name(lines, begin) for cell in src.cells for lines in [cell.source.split("\n")]
             for begin, _ in markers.find_regions(lines, markers.BEGIN_SOLUTION, markers.END_SOLUTION)]
    assert stubs
    for qualname in stubs:
        owner, _, method = qualname.rpartition(".")
        target = getattr(namespace[owner], method) if owner else namespace[qualname]
        args = [None] * sum(p.default is p.empty for p in inspect.signature(target).parameters.values())
        if owner:
            args[0] = namespace[owner].__new__(namespace[owner])
        with pytest.raises(NotImplementedError, match=qualname):
            target(*args)


# ---------------------------------------------------------------- blocking npgrad's reference


def test_reference_blocked_catches_every_way_of_reaching_the_reference():
    from npgrad.tensor import unbroadcast as bound_before

    saved_backward = F.Mul.backward

    class Subclass(F.Mul):
        pass

    calls = [lambda: bound_before(np.ones((2, 3)), (3,)), lambda: saved_backward(None, 1.0),
             lambda: Subclass().forward(np.ones(2), np.ones(2)), lambda: F.mul(np.ones(2), np.ones(2))]
    with reference_blocked(F.Mul, bound_before):
        for call in calls:
            with pytest.raises(ReferenceUsedError, match=r"npgrad\.(functional\.Mul\.|tensor\.unbroadcast)"):
                call()
    assert bound_before(np.ones((2, 3)), (3,)).tolist() == [2.0, 2.0, 2.0], "restored afterwards"
    assert Subclass().forward(np.ones(2), np.ones(2)).tolist() == [1.0, 1.0]


def test_a_label_used_twice_in_one_hidden_test_is_refused_in_the_sandbox():
    """Records are replayed by label: a second call under the same label would hand the
    first call's value to both checks (assignment 1's Pow(1) on two arrays did)."""
    from classroom import judge

    with judge.collecting() as records:
        assert judge.submitted("Pow(1)", lambda: 1.0) == 1.0
        with pytest.raises(ValueError, match="'Pow\\(1\\)' is used twice in this hidden test"):
            judge.submitted("Pow(1)", lambda: 2.0)
    assert list(records) == ["Pow(1)"]
    with judge.collecting():
        assert judge.submitted("Pow(1)", lambda: 3.0) == 3.0, "each hidden test starts afresh"
    assert judge.submitted("Pow(1)", lambda: 4.0) == 4.0, "a kernel reruns cells freely"


def test_reference_blocked_restores_after_an_error_and_when_nested():
    with pytest.raises(KeyError), reference_blocked(npgrad.train):
        with reference_blocked(npgrad.train.accuracy):
            pass
        with pytest.raises(ReferenceUsedError, match="npgrad.train.accuracy"):
            npgrad.train.accuracy(None, None)
        raise KeyError
    assert npgrad.train.accuracy(Tensor(np.eye(2)), Tensor(np.array([0, 1]))) == 1.0, "restored"


def test_reference_blocked_explains_what_it_cannot_block():
    def outer():
        x = 1
        return lambda: x

    with pytest.raises(TypeError, match="closure"), reference_blocked(outer()):
        pass
    with pytest.raises(TypeError, match="functions, classes or modules"), reference_blocked(42):
        pass


# ---------------------------------------------------------------- building the notebook to grade


def test_the_grader_restores_locked_cells_and_ignores_cells_claiming_points():
    src = source(A1)
    nb = copy.deepcopy(make_version(src, "solutions"))
    setup = next(c for c in nb.cells if grade_id(c) == "setup")
    setup.source = "rng = None"
    nb.cells = [c for c in nb.cells if grade_id(c) != "test_div"]
    bonus = {"grade": True, "grade_id": "bonus", "locked": True, "points": 100, "schema_version": 3,
             "solution": False, "task": False}
    nb.cells.append(nbformat.v4.new_code_cell("pass", metadata={"nbgrader": bonus}))
    graded = graded_notebook(src, nb)
    ids = [grade_id(c) for c in graded.cells if grade_id(c)]
    assert ids == [grade_id(c) for c in src.cells if grade_id(c)], "same graded cells, same order"
    assert next(c for c in graded.cells if grade_id(c) == "setup").source == \
           next(c for c in src.cells if grade_id(c) == "setup").source
    restored = next(c for c in graded.cells if grade_id(c) == "test_div")
    assert markers.BEGIN_HIDDEN in restored.source, "the hidden tests are back"
    div = next(c for c in graded.cells if grade_id(c) == "div")
    assert graded.cells.index(restored) == graded.cells.index(div) + 1, "back after the cell it followed"

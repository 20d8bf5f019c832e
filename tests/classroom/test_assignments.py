"""The assignments: one source, a student version that gives nothing away, and the grader on
honest work (full marks, zero, planted mistakes, npgrad's own code called instead).

The attacks on the grader, one crafted submission per class, are in tests/classroom/test_grade_attacks.py."""

from __future__ import annotations

import copy
import csv
import inspect
import json
import shutil
import textwrap
from pathlib import Path

import nbformat
import numpy as np
import pytest

import npgrad.functional as F
import npgrad.train
from classroom import assign, grade, withhold
from classroom.assign import (
    BEGIN_HIDDEN,
    BEGIN_SOLUTION,
    END_HIDDEN,
    END_SOLUTION,
    AssignmentFormatError,
    enclosing_name,
    find_regions,
    grade_id,
    make_version,
    read_source,
    region_lines,
    source_notebooks,
)
from classroom.grade import graded_notebook
from classroom.judge import ReferenceUsedError, reference_blocked
from npgrad import Tensor
from tools.ci.nbval_numbers import output_check_mode, same_within_tolerance

SOURCE = Path(__file__).resolve().parents[2] / "assignments"
SOURCES = source_notebooks(SOURCE)
NAMES = [path.stem for path in SOURCES]
A1, A2, A3, A4 = NAMES
SINGLE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                 "PYTHONHASHSEED": "0"}


def source(name: str) -> nbformat.NotebookNode:
    return read_source(SOURCE / f"{name}.ipynb")


def points_of(name: str) -> dict[str, float]:
    return {grade_id(c): assign.points(c) for c in assign.test_cells(source(name))}


def visible_text(nb: nbformat.NotebookNode) -> str:
    """Everything a student can see in a notebook: sources, outputs, metadata."""
    return nbformat.writes(nb) + "\n".join(cell.source for cell in nb.cells)


def secret_lines(nb: nbformat.NotebookNode) -> list[str]:
    """The lines inside solution and hidden-test regions, but not also outside them (an import, say)."""
    inside, outside = [], set()
    for cell in nb.cells:
        lines = cell.source.split("\n")
        regions = [r for pair in ((BEGIN_SOLUTION, END_SOLUTION), (BEGIN_HIDDEN, END_HIDDEN))
                   for r in find_regions(lines, *pair)]
        hidden = {i for begin, end in regions for i in range(begin, end + 1)}
        inside += [line.strip() for i, line in enumerate(lines) if i in hidden]
        outside |= {line.strip() for i, line in enumerate(lines) if i not in hidden}
    return [line for line in inside if line and line not in outside and line not in assign.MARKERS]


# ---------------------------------------------------------------- the sources


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.stem)
def test_source_follows_the_nbgrader_conventions(path):
    nb = nbformat.read(path, as_version=4)
    assert assign.problems(nb) == []
    tests = assign.test_cells(nb)
    assert len(tests) >= 3
    for cell in tests:
        meta = cell.metadata.nbgrader
        assert meta == {"grade": True, "grade_id": meta["grade_id"], "locked": True, "points": meta["points"],
                        "schema_version": 3, "solution": False, "task": False}
        hidden = find_regions(cell.source.split("\n"), BEGIN_HIDDEN, END_HIDDEN)
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
    for cell in assign.test_cells(nb):
        hidden = grade.hidden_code(cell)
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
        for begin, _ in find_regions(lines, BEGIN_SOLUTION, END_SOLUTION):
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
    raise NotImplementedError("f: replace this line with your code")


class A:
    def g(self):
        # YOUR CODE HERE
        raise NotImplementedError("A.g: replace this line with your code")'''


def test_hidden_tests_go_and_markers_can_be_dropped():
    cell = "check(1)\n### BEGIN HIDDEN TESTS\ncheck(2)\n### END HIDDEN TESTS\n"
    assert assign.without_hidden_tests(cell) == "check(1)"
    assert "BEGIN" not in assign.without_markers(TOY) and "y = 2 * x" in assign.without_markers(TOY)
    inside = region_lines(TOY, BEGIN_SOLUTION, END_SOLUTION)
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
    (lambda nb: nb.cells.append(nbformat.v4.new_code_cell(f"{BEGIN_HIDDEN}\n{END_HIDDEN}")), "not a test"),
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
    assert "### " not in visible_text(solutions) and "def unbroadcast" in visible_text(solutions)
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
    secret = secret_lines(src)
    assert len(secret) > 20
    leaks = [line for line in secret if line in text]
    assert not leaks, f"solution or hidden-test lines in the student version: {leaks}"
    assert not any(marker in text for marker in assign.MARKERS)
    assert "classroom.judge" not in text and "submitted(" not in text and "verdicts()" not in text
    code = [c for c in student.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code), "outputs must be cleared"


@pytest.mark.parametrize("name", NAMES)
def test_every_stub_raises_not_implemented_error_naming_its_function(name):
    src, student = source(name), make_version(source(name), "student")
    namespace: dict = {}
    for cell in student.cells:
        if grade_id(cell) == "setup" or assign.is_solution_cell(cell):
            exec(compile(cell.source, f"<{name}:{grade_id(cell)}>", "exec"), namespace)
    stubs = [enclosing_name(lines, begin) for cell in src.cells for lines in [cell.source.split("\n")]
             for begin, _ in find_regions(lines, BEGIN_SOLUTION, END_SOLUTION)]
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
    nb.cells = [c for c in nb.cells if grade_id(c) != "test_mul"]
    bonus = {"grade": True, "grade_id": "bonus", "locked": True, "points": 100, "schema_version": 3,
             "solution": False, "task": False}
    nb.cells.append(nbformat.v4.new_code_cell("pass", metadata={"nbgrader": bonus}))
    graded = graded_notebook(src, nb)
    ids = [grade_id(c) for c in graded.cells if grade_id(c)]
    assert ids == [grade_id(c) for c in src.cells if grade_id(c)], "same graded cells, same order"
    assert next(c for c in graded.cells if grade_id(c) == "setup").source == \
           next(c for c in src.cells if grade_id(c) == "setup").source
    restored = next(c for c in graded.cells if grade_id(c) == "test_mul")
    assert BEGIN_HIDDEN in restored.source, "the hidden tests are back"
    mul = next(c for c in graded.cells if grade_id(c) == "mul")
    assert graded.cells.index(restored) == graded.cells.index(mul) + 1, "back after the cell it followed"


# ---------------------------------------------------------------- grading: the submissions


def edited(nb: nbformat.NotebookNode, gid: str, old: str | None, new: str) -> nbformat.NotebookNode:
    """A copy of nb with `old` replaced by `new` in cell gid (the whole source if old is None)."""
    nb = copy.deepcopy(nb)
    cell = next(c for c in nb.cells if grade_id(c) == gid)
    assert old is None or old in cell.source, f"{gid}: {old!r} not found"
    cell.source = new if old is None else cell.source.replace(old, new)
    return nb


def inserted(nb: nbformat.NotebookNode, before: str, source_code: str) -> nbformat.NotebookNode:
    """A copy of nb with a new (student) cell placed before cell `before`."""
    nb = copy.deepcopy(nb)
    index = next(i for i, c in enumerate(nb.cells) if grade_id(c) == before)
    nb.cells.insert(index, nbformat.v4.new_code_cell(source_code))
    return nb


def dedent(text: str) -> str:
    return textwrap.dedent(text).strip() + "\n"


DELEGATING = {  # cells rewritten to call npgrad's own implementation, in the plain ways
    A1: {"unbroadcast": dedent("""
             from npgrad.tensor import unbroadcast as reference


             def unbroadcast(grad, shape):
                 return reference(grad, shape)
             """),
         "mul": dedent("""
             import npgrad.functional as F


             class Mul(F.Mul):
                 pass
             """),
         "exp_log": dedent("""
             import npgrad.functional as F

             forward, backward = F.Exp.forward, F.Exp.backward


             class Exp(Function):
                 def forward(self, x):
                     return forward(self, x)

                 def backward(self, grad):
                     return backward(self, grad)


             Log = F.Log
             """)},
    A2: {"mse_gradients": dedent("""
             def mse_gradients(X, y, w, b):
                 net = nn.Linear(X.shape[1], 1)
                 net.weight.data[...], net.bias.data[...] = w, b
                 nn.MSELoss()(net(Tensor(X)), Tensor(y)).backward()
                 return net.weight.grad.data, net.bias.grad.data
             """),
         "sgd_step": dedent("""
             from npgrad import optim


             def sgd_step(params, lr):
                 optim.SGD(list(params), lr=lr).step()
             """)},
    A3: {"softmax": dedent("""
             import npgrad.functional as F


             def softmax(Z):
                 return F.softmax(Tensor(Z), dim=1).data
             """),
         "cross_entropy": dedent("""
             def cross_entropy(logits, y):
                 import npgrad.functional as F

                 Z = Tensor(logits, requires_grad=True)
                 loss = F.cross_entropy(Z, y)
                 loss.backward()
                 return loss.item(), Z.grad.data
             """)},
    A4: {"train_epoch": dedent("""
             import npgrad.train


             def train_epoch(model, loader, loss_fn, optimizer):
                 return npgrad.train.train_epoch(model, loader, loss_fn, optimizer)["loss"]
             """)},
}
PLANTED_MISTAKES = {  # student: (assignment, cell, the right code, the wrong code)
    "wrong_softmax": (A3, "softmax", "(axis=1, keepdims=True))\n    return E / E.sum(axis=1, keepdims=True)",
                      "())\n    return E / E.sum()"),  # normalised over the whole batch
    "wrong_gradient": (A3, "cross_entropy", "grad / len(y)", "grad"),  # not divided by n
    "wrong_sum": (A1, "sum", "if self.dim is not None and not self.keepdim:",
                  "if False:"),  # the summed axis is never put back
    "wrong_sgd": (A2, "sgd_step", "p.data -= lr", "p.data += lr"),  # ascent
}


def submissions() -> dict[str, dict[str, nbformat.NotebookNode | str]]:
    """{student: {assignment: notebook}}: right, empty, wrong, delegating and messy work."""
    solutions = {name: make_version(source(name), "solutions") for name in NAMES}
    subs: dict[str, dict] = {
        "instructor": dict(solutions),
        "student": {name: make_version(source(name), "student") for name in NAMES},
        "delegates": {},
        "broken": {A1: "{ this is not a notebook"},
    }
    for student, (name, gid, right, wrong) in PLANTED_MISTAKES.items():
        subs[student] = {name: edited(solutions[name], gid, right, wrong)}
    for name, cells in DELEGATING.items():
        nb = solutions[name]
        for gid, code in cells.items():
            nb = edited(nb, gid, None, code)
        subs["delegates"][name] = nb
    messy = inserted(solutions[A1], "setup", "raise ValueError('a stray cell')")
    messy = edited(messy, "test_sum", None, "pass  # the test, emptied")
    messy.cells = [c for c in messy.cells if grade_id(c) != "test_mul"]
    messy.cells.append(copy.deepcopy(next(c for c in messy.cells if grade_id(c) == "test_unbroadcast")))
    messy.cells[-1].source = "assert False, 'a copy of a test cell, edited'"
    messy.cells[-1].id = "copied-test"
    subs["messy"] = {A1: messy}
    stripped = copy.deepcopy(solutions[A1])  # pasted into a fresh notebook: no nbgrader metadata left
    stripped.cells = [c for c in stripped.cells if not assign.is_locked(c)]
    for cell in stripped.cells:
        cell.metadata.pop("nbgrader", None)
    subs["stripped"] = {A1: stripped}
    return subs


def write_submissions(root: Path, subs: dict) -> Path:
    for student, notebooks in subs.items():
        (root / student).mkdir(parents=True)
        for name, nb in notebooks.items():
            text = nb if isinstance(nb, str) else nbformat.writes(nb)
            (root / student / f"{name}.ipynb").write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """One grading run over every submission above: {(student, assignment): result}, and the out dir."""
    root = tmp_path_factory.mktemp("grading")
    subs = write_submissions(root / "submitted", submissions())
    with pytest.MonkeyPatch.context() as mp:
        for key, value in SINGLE_THREAD.items():
            mp.setenv(key, value)
        results, layout = grade.grade_all(subs, SOURCE, root / "grades", log=lambda line: None)
    assert layout.unknown == []
    return {(r.student, r.assignment): r for r in results}, root / "grades"


def lost(result: grade.AssignmentResult) -> set[str]:
    return {t.test for t in result.tests if not t.passed}


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_the_instructor_version_scores_full_marks(graded, name):
    result = graded[0]["instructor", name]
    assert result.status == "ok" and not lost(result), [t.message for t in result.tests if not t.passed]
    assert result.points == result.max_points == sum(points_of(name).values())
    assert result.notes == [], "an honest notebook runs without an error in the sandbox"


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_graded_outputs_match_the_committed_executed_source(graded, name):
    """The sources' stored outputs are what a fresh run prints (the grader's run is one)."""
    def texts(nb):
        return [("".join(o.get("text", "") for o in c.outputs if o.output_type == "stream"),
                 [o.data.get("text/plain") for o in c.outputs if o.output_type == "execute_result"])
                for c in nb.cells if c.cell_type == "code" and not assign.is_test_cell(c)]

    run = nbformat.read(graded[1] / "autograded" / "instructor" / f"{name}.ipynb", as_version=4)
    if output_check_mode()[0] == "strict":
        assert texts(run) == texts(source(name))
        return
    for fresh, stored in zip(texts(run), texts(source(name)), strict=True):  # off the numeric pin
        assert same_within_tolerance(str(stored), str(fresh)), (stored, fresh)


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_the_student_version_runs_its_stubs_raise_and_it_scores_zero(graded, name):
    result = graded[0]["student", name]
    assert result.status == "ok"
    assert result.points == 0 and lost(result) == set(points_of(name))
    # Every failure is a stub raising; in assignment 4 the test of the model trained by a stub
    # finds no model.
    expected = {(A4, "test_train_mlp"): "NameError"}
    for t in result.tests:
        assert t.message.startswith("SubmissionFailed: "), t.message
        assert t.message.endswith(f"your code raised {expected.get((name, t.test), 'NotImplementedError')}")
    also = ("raised NameError",) if name == A4 else ()  # the cell that prints the missing model's accuracy
    assert result.notes and all(n.endswith(("raised NotImplementedError", *also)) or n.startswith("... and")
                                for n in result.notes)


PLANTED = [  # (student, assignment, the tests it must lose, and only those)
    ("wrong_softmax", A3, {"test_softmax"}),
    ("wrong_gradient", A3, {"test_cross_entropy", "test_softmax_cross_entropy"}),
    ("wrong_sum", A1, {"test_sum"}),
    ("wrong_sgd", A2, {"test_sgd_step", "test_train_linreg"}),
]


@pytest.mark.slow
@pytest.mark.parametrize("student, name, expected", PLANTED, ids=[p[0] for p in PLANTED])
def test_a_planted_mistake_loses_exactly_the_points_of_its_tests(graded, student, name, expected):
    result = graded[0][student, name]
    assert result.status == "ok" and lost(result) == expected
    assert result.points == result.max_points - sum(points_of(name)[t] for t in expected)
    for t in result.tests:  # a check that failed, or the student's code raising on the test's input
        if not t.passed:
            assert t.message.startswith(("AssertionError: ", "SubmissionFailed: ")), t.message


DELEGATED = {  # the tests whose function calls npgrad's reference
    A1: {"test_unbroadcast", "test_mul", "test_exp_log"},
    A2: {"test_mse_gradients", "test_sgd_step", "test_train_linreg"},
    A3: {"test_softmax", "test_cross_entropy", "test_softmax_cross_entropy"},
    A4: {"test_train_epoch", "test_train_mlp"},  # train_mlp trains with that train_epoch
}


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_calling_npgrads_reference_earns_no_points_for_those_tests(graded, name):
    """Withheld from the sandbox's npgrad (RuntimeError), or blocked during the call."""
    result = graded[0]["delegates", name]
    assert lost(result) == DELEGATED[name]
    for t in result.tests:
        if t.test in DELEGATED[name] and not (name == A4 and t.test == "test_train_mlp"):
            assert t.message.endswith(("raised ReferenceUsedError", "raised RuntimeError")), t.message


@pytest.mark.slow
def test_a_messy_notebook_is_graded_on_the_original_tests(graded):
    result = graded[0]["messy", A1]
    assert result.status == "ok" and result.points == result.max_points == 10
    assert [t.test for t in result.tests] == list(points_of(A1)), "no points for a cell that claims them"
    assert result.notes == ["code cell 1 raised ValueError", "code cell 14 raised AssertionError"]


@pytest.mark.slow
def test_a_notebook_without_nbgrader_metadata_gets_its_tests_after_its_code(graded):
    result = graded[0]["stripped", A1]
    assert result.status == "ok" and result.points == result.max_points == 10


@pytest.mark.slow
def test_missing_and_unreadable_notebooks_score_zero(graded):
    results = graded[0]
    assert results["broken", A1].status == "unreadable" and results["broken", A1].points == 0
    assert results["wrong_sum", A2].status == "missing" and results["wrong_sum", A2].points == 0


@pytest.mark.slow
def test_the_reports_csv_json_and_feedback(graded):
    results, out = graded
    with open(out / "scores.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(results) == len({s for s, _ in results}) * len(NAMES)
    row = next(r for r in rows if r["student"] == "wrong_softmax" and r["assignment"] == A3)
    assert (row["status"], float(row["points"]), float(row["max_points"])) == ("ok", 7, 9)
    report = json.loads((out / "scores.json").read_text(encoding="utf-8"))
    students = report["students"]
    full = sum(sum(points_of(name).values()) for name in NAMES)
    assert students["instructor"]["points"] == students["instructor"]["max_points"] == full
    assert [t["test"] for t in students["student"]["assignments"][A2]["tests"]] == list(points_of(A2))
    assert report["run"]["isolation"] in ("bubblewrap", "fallback")
    feedback = (out / "feedback" / "wrong_softmax.md").read_text(encoding="utf-8")
    assert f"## {A3}: 7 / 9" in feedback and "test_softmax (0 / 2): failed: AssertionError" in feedback
    secret = {line for name in NAMES for line in secret_lines(source(name)) if len(line) > 25}
    for path in (out / "feedback").glob("*.md"):
        text = path.read_text(encoding="utf-8")
        assert "HIDDEN" not in text and not [line for line in secret if line in text]
    assert (out / "autograded" / "delegates" / f"{A4}.ipynb").exists()


# ---------------------------------------------------------------- grading: notebooks that misbehave


@pytest.fixture(scope="module")
def misbehaving(tmp_path_factory):
    """Assignment 1 with a cell that loops forever, one that prints megabytes, one that ends the
    process; graded through the command line with a 15-second limit per notebook."""
    root = tmp_path_factory.mktemp("misbehaving")
    shutil.copy(SOURCE / f"{A1}.ipynb", root / f"{A1}.ipynb")
    solutions = make_version(source(A1), "solutions")
    loop = "while True:\n    try:\n        pass\n    except BaseException:\n        pass  # not even Ctrl-C"
    flood = "print('x' * 20_000_000)\nfor i in range(100_000):\n    print(i)"
    subs = {"loops": {A1: inserted(solutions, "exp_log", loop)},
            "prints": {A1: inserted(solutions, "unbroadcast", flood)},
            "dies": {A1: inserted(solutions, "matmul", "import os\n\nos._exit(3)")}}
    write_submissions(root / "submitted", subs)
    with pytest.MonkeyPatch.context() as mp:
        for key, value in SINGLE_THREAD.items():
            mp.setenv(key, value)
        code = grade.main([str(root / "submitted"), "--source", str(root), "--out", str(root / "grades"),
                           "--timeout", "15", "--max-output", "100000"])
    assert code == 1, "a notebook that timed out or crashed needs the instructor's look"
    report = json.loads((root / "grades" / "scores.json").read_text(encoding="utf-8"))
    students = report["students"]
    return {student: entry["assignments"][A1] for student, entry in students.items()}, root / "grades"


@pytest.mark.slow
def test_a_notebook_that_loops_forever_is_stopped_and_keeps_the_points_it_earned(misbehaving):
    result = misbehaving[0]["loops"]
    assert result["status"] == "timed out" and result["points"] == 6
    messages = {t["test"]: t["message"] for t in result["tests"]}
    assert messages["test_sum"] == "not run: the notebook reached its time limit (15 s)"


@pytest.mark.slow
def test_a_notebook_that_prints_megabytes_is_cut_and_graded(misbehaving):
    result, out = misbehaving
    assert result["prints"]["status"] == "ok" and result["prints"]["points"] == 10
    assert any("cut at 100000 characters" in note for note in result["prints"]["notes"])
    assert (out / "autograded" / "prints" / f"{A1}.ipynb").stat().st_size < 500_000


@pytest.mark.slow
def test_a_notebook_that_ends_its_process_keeps_the_points_it_earned(misbehaving):
    result = misbehaving[0]["dies"]
    assert result["status"] == "crashed" and result["points"] == 4
    assert "not run: the notebook crashed (exit status 3)" in {t["message"] for t in result["tests"]}


def test_the_grader_refuses_a_missing_submissions_folder(tmp_path, capsys):
    assert grade.main([str(tmp_path / "nowhere"), "--source", str(SOURCE)]) == 2
    assert "no submissions folder" in capsys.readouterr().err

"""The graded assignments on honest work: full marks, zero, planted mistakes, npgrad's own
code called instead, and notebooks that misbehave (loop, print megabytes, end their process)."""

from __future__ import annotations

import copy
import csv
import json
import shutil
import textwrap
from pathlib import Path

import nbformat
import pytest

from classroom import grade, markers
from classroom.assign import make_version
from classroom.results import AssignmentResult
from tests.classroom.sources import A1, A2, A3, A4, A5, NAMES, SOURCE, secret_lines, source
from tools.ci.nbval_numbers import output_check_mode, same_within_tolerance

SINGLE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                 "PYTHONHASHSEED": "0"}


def points_of(name: str) -> dict[str, float]:
    return {markers.grade_id(c): markers.points(c) for c in markers.test_cells(source(name))}


# ---------------------------------------------------------------- grading: the submissions


def edited(nb: nbformat.NotebookNode, gid: str, old: str | None, new: str) -> nbformat.NotebookNode:
    """A copy of nb with `old` replaced by `new` in cell gid (the whole source if old is None)."""
    nb = copy.deepcopy(nb)
    cell = next(c for c in nb.cells if markers.grade_id(c) == gid)
    assert old is None or old in cell.source, f"{gid}: {old!r} not found"
    cell.source = new if old is None else cell.source.replace(old, new)
    return nb


def inserted(nb: nbformat.NotebookNode, before: str, source_code: str) -> nbformat.NotebookNode:
    """A copy of nb with a new (student) cell placed before cell `before`."""
    nb = copy.deepcopy(nb)
    index = next(i for i, c in enumerate(nb.cells) if markers.grade_id(c) == before)
    nb.cells.insert(index, nbformat.v4.new_code_cell(source_code))
    return nb


def dedent(text: str) -> str:
    return textwrap.dedent(text).strip() + "\n"


DELEGATING = {  # cells rewritten to call npgrad's own implementation, in the plain ways
    A1: {"div": dedent("""
             import npgrad.functional as F


             class Div(F.Div):
                 pass
             """),
         "pow": dedent("""
             import npgrad.functional as F

             forward, backward = F.Pow.forward, F.Pow.backward


             class Pow(Function):
                 def __init__(self, exponent):
                     self.p = exponent

                 def forward(self, x):
                     return forward(self, x)

                 def backward(self, grad):
                     return backward(self, grad)
             """),
         "log_tanh": dedent("""
             import npgrad.functional as F

             Log, Tanh = F.Log, F.Tanh
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
    A5: {"im2col": dedent("""
             import npgrad.functional as F
             from npgrad import Tensor


             def im2col(x, kernel_size, stride=1, padding=0):
                 return F.unfold(Tensor(x), kernel_size, padding=padding, stride=stride).data
             """),
         "col2im": dedent("""
             from npgrad.conv import Fold, _geometry


             def col2im(cols, shape, kernel_size, stride=1, padding=0):
                 geometry = _geometry("fold", kernel_size, stride, padding, 1)
                 return Fold(geometry, shape).forward(cols)
             """),
         "conv2d": dedent("""
             import npgrad.functional as F
             from npgrad import Tensor


             class Conv2d(Function):
                 def __init__(self, stride=1, padding=0):
                     self.stride, self.padding = stride, padding

                 def forward(self, x, weight, bias):
                     self.inputs_ = [Tensor(a, requires_grad=True) for a in (x, weight, bias)]
                     self.y = F.conv2d(*self.inputs_, self.stride, self.padding)
                     return self.y.data

                 def backward(self, grad):
                     self.y.backward(grad)
                     return tuple(t.grad.data for t in self.inputs_)
             """),
         "maxpool": dedent("""
             import npgrad.pooling


             class MaxPool2d(npgrad.pooling.MaxPool2d):
                 def __init__(self, kernel_size, stride=None):
                     stride = kernel_size if stride is None else stride
                     geometry = npgrad.pooling._geometry("max_pool2d", kernel_size, stride, 0, 1)
                     super().__init__(geometry)
             """)},
}
PLANTED_MISTAKES = {  # student: (assignment, cell, the right code, the wrong code)
    "wrong_softmax": (A3, "softmax", "(axis=1, keepdims=True))\n    return E / E.sum(axis=1, keepdims=True)",
                      "())\n    return E / E.sum()"),  # normalised over the whole batch
    "wrong_gradient": (A3, "cross_entropy", "grad / len(y)", "grad"),  # not divided by n
    "wrong_max": (A1, "max", "elif not self.keepdim:",
                  "elif False:"),  # the reduced axis is never put back
    "wrong_sgd": (A2, "sgd_step", "p.data -= lr", "p.data += lr"),  # ascent
    "wrong_col2im": (A5, "col2im", "columns] += windows", "columns] = windows"),  # overlaps lost
    "wrong_maxpool": (A5, "maxpool", "self.argmax == i * k + j", "self.argmax >= 0"),  # to every element
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
    messy = edited(messy, "test_logsumexp", None, "pass  # the test, emptied")
    messy.cells = [c for c in messy.cells if markers.grade_id(c) != "test_pow"]
    copied = next(c for c in messy.cells if markers.grade_id(c) == "test_div")
    messy.cells.append(copy.deepcopy(copied))
    messy.cells[-1].source = "assert False, 'a copy of a test cell, edited'"
    messy.cells[-1].id = "copied-test"
    subs["messy"] = {A1: messy}
    stripped = copy.deepcopy(solutions[A1])  # pasted into a fresh notebook: no nbgrader metadata left
    stripped.cells = [c for c in stripped.cells if not markers.is_locked(c)]
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


def lost(result: AssignmentResult) -> set[str]:
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
                for c in nb.cells if c.cell_type == "code" and not markers.is_test_cell(c)]

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
    ("wrong_max", A1, {"test_max"}),
    ("wrong_sgd", A2, {"test_sgd_step", "test_train_linreg"}),
    ("wrong_col2im", A5, {"test_col2im", "test_conv2d_backward"}),  # dl/dx goes through col2im
    ("wrong_maxpool", A5, {"test_maxpool_backward"}),
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
    A1: {"test_div", "test_pow", "test_log_tanh"},
    A2: {"test_mse_gradients", "test_sgd_step", "test_train_linreg"},
    A3: {"test_softmax", "test_cross_entropy", "test_softmax_cross_entropy"},
    A4: {"test_train_epoch", "test_train_mlp"},  # train_mlp trains with that train_epoch
    A5: {"test_im2col", "test_col2im", "test_conv2d_forward", "test_conv2d_backward",
         "test_maxpool_backward"},
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
    assert results["wrong_max", A2].status == "missing" and results["wrong_max", A2].points == 0


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
    subs = {"loops": {A1: inserted(solutions, "max", loop)},
            "prints": {A1: inserted(solutions, "div", flood)},
            "dies": {A1: inserted(solutions, "log_tanh", "import os\n\nos._exit(3)")}}
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
    assert messages["test_logsumexp"] == "not run: the notebook reached its time limit (15 s)"


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

"""The grader's parts: finding submissions in every layout, plain data across the wall, the
judge's three modes, and npgrad with a reference withheld."""

from __future__ import annotations

import base64
import io
import json
import os
from pathlib import Path

import nbformat
import numpy as np
import pytest

from classroom import cgroups, grade, judge, plain_data, reports, sandbox, submissions, withhold
from classroom.assign import make_version, read_source
from npgrad import nn

REPO = Path(__file__).resolve().parents[2]
NAMES = ["01_backward_rules", "02_linear_regression", "03_softmax_cross_entropy", "04_mlp_mnist",
         "05_convolution"]


def touch(path: Path, text: str = "{}") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- layouts


def test_the_nbgrader_layout_is_understood(tmp_path):
    touch(tmp_path / "alice" / NAMES[0] / f"{NAMES[0]}.ipynb")
    touch(tmp_path / "alice" / NAMES[3] / f"{NAMES[3]}.ipynb")
    found = submissions.find_submissions(tmp_path, NAMES)
    assert found.kind == "nbgrader" and found.unknown == []
    assert sorted(found.submissions) == [("alice", NAMES[0]), ("alice", NAMES[3])]


def test_the_latest_browser_copy_is_graded_and_the_report_says_so(tmp_path):
    for name in (f"{NAMES[1]}.ipynb", f"{NAMES[1]} (1).ipynb", f"{NAMES[1]} (2).ipynb"):
        touch(tmp_path / "bob" / name)
    found = submissions.find_submissions(tmp_path, NAMES).submissions["bob", NAMES[1]]
    assert found.path.name == f"{NAMES[1]} (2).ipynb"
    assert found.notes == [f"graded {NAMES[1]} (2).ipynb, the latest copy (also handed in: "
                           f"{NAMES[1]} (1).ipynb, {NAMES[1]}.ipynb)"]


def test_a_flat_download_is_understood(tmp_path):
    touch(tmp_path / f"carol_{NAMES[0]}.ipynb")
    touch(tmp_path / f"Dan Smith-{NAMES[2]} (1).ipynb")
    found = submissions.find_submissions(tmp_path, NAMES)
    assert sorted(found.submissions) == [("Dan Smith", NAMES[2]), ("carol", NAMES[0])]
    assert found.kind == "flat" and found.unknown == []


def test_what_is_not_understood_is_listed_and_links_are_refused(tmp_path):
    touch(tmp_path / "notes.txt")
    touch(tmp_path / "eve" / "homework.ipynb")
    touch(tmp_path / "frank" / f"{NAMES[0]}.ipynb")
    (tmp_path / "gina").mkdir()
    (tmp_path / "gina" / f"{NAMES[0]}.ipynb").symlink_to(tmp_path / "frank" / f"{NAMES[0]}.ipynb")
    (tmp_path / "henry").symlink_to(tmp_path / "frank")
    found = submissions.find_submissions(tmp_path, NAMES)
    assert found.submissions["gina", NAMES[0]].refused == f"{NAMES[0]}.ipynb is a symbolic link, not a file"
    assert found.submissions["gina", NAMES[0]].path is None
    assert ("henry", NAMES[0]) not in found.submissions
    assert found.unknown == ["eve/homework.ipynb: not named after an assignment",
                              f"eve/: no notebook named after an assignment ({', '.join(NAMES)})",
                              "henry: a symbolic link (refused)",
                              "notes.txt: not a student folder nor <student>_<assignment>.ipynb"]


def test_a_layout_the_grader_does_not_understand_exits_non_zero(tmp_path, capsys):
    touch(tmp_path / "submitted" / "notes.txt")
    assert grade.main([str(tmp_path / "submitted"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "not understood, not graded: notes.txt" in err and "no submission found" in err


def test_assignment_filters_take_a_name_or_a_number():
    sources = dict.fromkeys(NAMES)
    chosen = submissions.select_assignments(sources, ["01", "03_softmax_cross_entropy", "1"])
    assert chosen == [NAMES[0], NAMES[2]]
    with pytest.raises(ValueError, match="--assignment 7: matches none"):
        submissions.select_assignments(sources, ["7"])


@pytest.mark.slow
def test_one_student_and_one_assignment_can_be_graded_alone(tmp_path, capsys):
    source = read_source(REPO / "assignments" / f"{NAMES[0]}.ipynb")
    student = nbformat.writes(make_version(source, "student"))
    for who in ("ann", "ben"):
        touch(tmp_path / "submitted" / who / f"{NAMES[0]}.ipynb", student)
    code = grade.main([str(tmp_path / "submitted"), "--student", "ben", "--assignment", "01",
                       "--out", str(tmp_path / "out"), "--timeout", "60"])
    assert code == 0, "an empty notebook scores 0 and needs no look"
    rows = (tmp_path / "out" / "scores.csv").read_text(encoding="utf-8").splitlines()
    assert rows == ["student,assignment,status,points,max_points", f"ben,{NAMES[0]},ok,0,10"]
    assert "isolation: " in capsys.readouterr().out


# ---------------------------------------------------------------- reading a notebook


@pytest.mark.parametrize("text, why", [
    ('{"cells": [{"cell_type": "code", "source": "\\ud800", "metadata": {}, "outputs": []}]}', "UTF-8"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"cells": 3, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}', "not a notebook"),
    ("\xff\xfe", "not a notebook"),
])
def test_a_malformed_notebook_is_unreadable_with_a_reason(tmp_path, text, why):
    path = tmp_path / "x.ipynb"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    with pytest.raises(submissions.Unreadable, match=why):
        submissions.read_submission(path)


def test_reports_are_written_atomically(tmp_path, monkeypatch):
    path = tmp_path / "scores.csv"
    reports.write_atomic(path, "old\n")
    assert path.stat().st_mode & 0o777 == 0o600  # the instructor's alone

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError):
        reports.write_atomic(path, "new\n")
    assert path.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["scores.csv"]


# ---------------------------------------------------------------- plain data


def test_plain_data_crosses_with_its_types_and_dtypes():
    value = {"a": (np.float32(1.5), np.arange(6, dtype=np.int16).reshape(2, 3), [True, None, "x"]),
             "b": 2**70, "c": 0.1, "d": np.array(3.0, dtype=np.float32)}
    back = plain_data.decode(json.loads(json.dumps(plain_data.encode(value))))
    assert type(back["a"]) is tuple and type(back["a"][0]) is np.float32 and back["a"][0] == 1.5
    assert back["a"][1].dtype == np.int16 and back["a"][1].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert back["a"][2] == [True, None, "x"] and back["b"] == 2**70 and back["c"] == 0.1
    assert isinstance(back["d"], np.ndarray) and back["d"].shape == () and back["d"].dtype == np.float32


@pytest.mark.parametrize("value", [np.array([object()]), nn.Linear(2, 1), lambda: 0, {1: 2}, {1, 2}])
def test_anything_else_does_not_cross(value):
    with pytest.raises(plain_data.NotPlainData):
        plain_data.encode(value)


def test_decoding_never_unpickles():
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    forged = {"ndarray": base64.b64encode(buffer.getvalue()).decode()}
    with pytest.raises(ValueError, match="allow_pickle=False"):
        plain_data.decode(forged)
    with pytest.raises(ValueError):
        plain_data.decode({"eval": "__import__('os')"})


# ---------------------------------------------------------------- the judge's modes


def test_replayed_records_decide_and_student_text_stays_out():
    with judge.replaying({"ok": {"value": plain_data.encode((1.0, np.ones(2)))},
                                "bad": {"error": "HiddenTests_copied_here"},
                                "not_plain": {"error": "NotPlainData", "message": "anything"}}):
        assert judge.verdicts()
        assert judge.submitted("ok", lambda: 1 / 0)[1].tolist() == [1.0, 1.0], "nothing is called"
        with pytest.raises(judge.SubmissionFailed, match="^bad: your code raised an exception$"):
            judge.submitted("bad", lambda: None)
        with pytest.raises(judge.SubmissionFailed, match="not NumPy arrays or numbers"):
            judge.submitted("not_plain", lambda: None)
        with pytest.raises(judge.SubmissionFailed, match="not run"):
            judge.submitted("never", lambda: None)


def test_collecting_records_values_and_errors_and_asserts_nothing():
    with judge.collecting() as records:
        assert not judge.verdicts()
        assert judge.submitted("x", lambda: np.arange(3)).tolist() == [0, 1, 2]
        assert judge.submitted("y", lambda: 1 / 0) is None
        assert judge.submitted("z", lambda: nn.ReLU()) is None
    assert plain_data.decode(records["x"]["value"]).tolist() == [0, 1, 2]
    assert records["y"]["error"] == "ZeroDivisionError" and records["z"]["error"] == "NotPlainData"


def test_in_a_kernel_submitted_blocks_the_reference_and_returns_plain_data():
    import npgrad.train

    assert judge.verdicts()
    with pytest.raises(judge.ReferenceUsedError, match="npgrad.train.accuracy"):
        judge.submitted("acc", lambda: npgrad.train.accuracy(None, None), (npgrad.train,))
    with pytest.raises(judge.SubmissionFailed, match="returned a Linear"):
        judge.submitted("model", lambda: nn.Linear(2, 1))


def test_a_model_crosses_as_its_weights_and_is_rebuilt_by_the_grader():
    model = nn.Sequential(nn.Linear(4, 3, rng=0), nn.ReLU(), nn.Dropout(0.2), nn.Linear(3, 2, rng=1))
    rebuilt = judge.rebuild(plain_data.decode(plain_data.encode(judge.model_state(model))))
    x = np.random.default_rng(2).standard_normal((5, 4)).astype(np.float32)
    model.eval()
    rebuilt.eval()
    np.testing.assert_array_equal(rebuilt(_tensor(x)).data, model(_tensor(x)).data)

    class Mine(nn.Sequential):
        pass

    with pytest.raises(plain_data.NotPlainData, match="a Mine: the grader rebuilds"):
        judge.model_state(Mine(nn.ReLU()))
    huge = {"layer": "Sequential", "layers": [{"layer": "Linear", "weight": np.zeros((9000, 784), np.float32),
                                                 "bias": None}]}
    with pytest.raises(judge.SubmissionFailed, match="larger than the grader evaluates"):
        judge.rebuild(huge)
    with pytest.raises(judge.SubmissionFailed, match="2-D float weight"):
        judge.rebuild({"layer": "Linear", "weight": np.ones(3), "bias": None})


def _tensor(x):
    from npgrad import Tensor

    return Tensor(x)


# ---------------------------------------------------------------- withholding


def test_a_withheld_function_raises_naming_itself_and_the_rest_works(tmp_path):
    import subprocess
    import sys

    import npgrad

    withhold.copy_without(Path(npgrad.__path__[0]), ["npgrad.functional.Mul", "npgrad.train"], tmp_path)
    code = ("import numpy as np, npgrad, npgrad.functional as F, npgrad.train as T, inspect\n"
            "print((npgrad.tensor(np.ones(2)) + 1).data.tolist())\n"
            "try:\n    F.Mul.apply(np.ones(2), np.ones(2))\nexcept RuntimeError as e:\n    print(e)\n"
            "print('a * b' in inspect.getsource(F.Mul), 'train_epoch' in dir(T))\n")
    run = subprocess.run([sys.executable, "-c", code], env={"PYTHONPATH": str(tmp_path)},
                         capture_output=True, text=True, check=True)
    assert run.stdout.splitlines() == [
        "[2.0, 2.0]",
        "npgrad.functional.Mul.forward is withheld while this assignment is graded: it is npgrad's own "
        "implementation of what the assignment asks you to write",
        "False True"]


def test_withholding_a_name_npgrad_does_not_have_is_an_error(tmp_path):
    import npgrad

    with pytest.raises(ValueError, match="npgrad.functional has no Nope"):
        withhold.copy_without(Path(npgrad.__path__[0]), ["npgrad.functional.Nope"], tmp_path)


@pytest.mark.slow
def test_the_fallback_isolation_grades_the_same_and_says_so(tmp_path):
    """Where bubblewrap cannot run: a process group, limits, a private folder, a scrubbed environment."""
    source = read_source(REPO / "assignments" / f"{NAMES[0]}.ipynb")
    for who, version in (("right", "solutions"), ("stubs", "student")):
        text = nbformat.writes(make_version(source, version))
        touch(tmp_path / "submitted" / who / f"{NAMES[0]}.ipynb", text)
    code = grade.main([str(tmp_path / "submitted"), "--assignment", "01", "--isolation", "fallback",
                       "--out", str(tmp_path / "out"), "--timeout", "60"])
    if sandbox.fallback_problem():  # root, and the sandbox's account cannot run this Python
        assert code == 2 and not (tmp_path / "out").exists()
        pytest.skip(sandbox.fallback_problem())
    report = json.loads((tmp_path / "out" / "scores.json").read_text(encoding="utf-8"))
    assert code == 0 and report["run"]["isolation"] == "fallback"
    entries = {who: report["students"][who]["assignments"][NAMES[0]] for who in ("right", "stubs")}
    assert [(e["points"], e["isolation"]) for e in entries.values()] == [(10, "fallback"), (0, "fallback")]


def test_a_notebooks_cgroup_gets_its_limits_and_is_removed(tmp_path, monkeypatch):
    """The cgroup v2 file protocol, on a folder that stands in for /sys/fs/cgroup."""
    line = Path("/proc/self/cgroup").read_text().split("0::", 1)[1].split("\n")[0]
    own = tmp_path / line.strip().lstrip("/")
    own.mkdir(parents=True, exist_ok=True)
    for root in {tmp_path, own}:
        (root / "cgroup.controllers").write_text("cpu memory pids\n")
    monkeypatch.setattr(cgroups, "ROOT", tmp_path)
    cgroups._parent.cache_clear()
    try:
        assert cgroups.available() == (True, "")
        assert (own / "cgroup.subtree_control").read_text() == "+memory +pids"
        cgroup = cgroups.NotebookCgroup(memory_mb=512, processes=32)
        limits = {name: (cgroup.path / name).read_text() for name in ("memory.max", "pids.max")}
        assert limits == {"memory.max": str(512 * 2**20), "pids.max": "32"}
        (cgroup.path / "cgroup.procs").unlink()
        (cgroup.path / "memory.max").unlink()
        (cgroup.path / "pids.max").unlink()
        cgroup.kill()
        assert not cgroup.path.exists()
    finally:
        cgroups._parent.cache_clear()


def test_a_notebooks_cgroup_v1_gets_its_limits_in_both_trees(tmp_path, monkeypatch):
    """The cgroup v1 file protocol: a folder in the memory tree and one in the pids tree."""
    mounts = {name: tmp_path / name for name in ("memory", "pids")}
    (tmp_path / "mountinfo").write_text(
        "31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n"
        f"35 31 0:31 / {mounts['memory']} rw - cgroup cgroup rw,memory\n"
        f"39 31 0:35 / {mounts['pids']} rw - cgroup cgroup rw,pids\n")
    (tmp_path / "own").write_text("8:pids:/\n4:memory:/jobs/7\n0::/\n")
    (mounts["memory"] / "jobs" / "7").mkdir(parents=True)
    mounts["pids"].mkdir()
    monkeypatch.setattr(cgroups, "ROOT", tmp_path)  # no cgroup.controllers: not v2
    monkeypatch.setattr(cgroups, "MOUNTINFO", tmp_path / "mountinfo")
    monkeypatch.setattr(cgroups, "OWN", tmp_path / "own")
    cgroups._parent.cache_clear()
    try:
        assert cgroups.available() == (True, "")
        assert cgroups.described(512, 32) == (
            "cgroup v1: memory.limit_in_bytes 512 MiB, pids.max 32 for the whole notebook")
        cgroup = cgroups.NotebookCgroup(memory_mb=512, processes=32)
        memory, pids = cgroup.paths
        assert memory.parent == mounts["memory"] / "jobs" / "7" and pids.parent == mounts["pids"]
        assert (memory / "memory.limit_in_bytes").read_text() == str(512 * 2**20)
        assert (pids / "pids.max").read_text() == "32"
        for path in cgroup.paths:
            for name in ("cgroup.procs", "memory.limit_in_bytes", "pids.max"):
                (path / name).unlink(missing_ok=True)
        cgroup.kill()
        assert not memory.exists() and not pids.exists()
    finally:
        cgroups._parent.cache_clear()


def test_without_a_writable_cgroup_the_reason_is_given(tmp_path, monkeypatch):
    (tmp_path / "mountinfo").write_text("31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n")
    (tmp_path / "own").write_text("0::/\n")
    monkeypatch.setattr(cgroups, "ROOT", tmp_path)
    monkeypatch.setattr(cgroups, "MOUNTINFO", tmp_path / "mountinfo")
    monkeypatch.setattr(cgroups, "OWN", tmp_path / "own")
    cgroups._parent.cache_clear()
    try:
        assert cgroups.available() == (
            False, "cgroup v1 not writable here (no cgroup hierarchy for memory and pids)")
    finally:
        cgroups._parent.cache_clear()

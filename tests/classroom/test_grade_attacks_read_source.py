"""The grader against a student who has read ``lib/classroom/``: one crafted submission a class.

Each attack here succeeded on the grader before these fixes (issue 26) and fails now; the
honest and empty controls still score full marks and zero. All are graded in one run of
the command line (two notebooks at a time), as root in CI and as an ordinary user
(``tools/ci/attack_user.sh``). The first round of attacks (patched checks, forged
records, npgrad's code reached around the block, tampering, signals) is in
``test_grade_attacks.py``.
"""

from __future__ import annotations

import json
import os
import signal
import textwrap
from pathlib import Path

import nbformat
import pytest

from classroom import cgroups, grade, markers, sandbox
from classroom.assign import make_version, read_source
from classroom.markers import grade_id, hidden_code
from classroom.reports import slug

pytestmark = pytest.mark.skipif(not sandbox.bwrap_works(),
                                reason="needs bubblewrap (apt-get install bubblewrap)")

REPO = Path(__file__).resolve().parents[2]
A1, A2, A4, STANDIN = ("01_backward_rules", "02_linear_regression", "04_mlp_mnist",
                       "05_standin")
FIND_RUNNER = """
import sys

frame = sys._getframe()
while frame is not None and not {"given", "job"} & set(frame.f_locals):
    frame = frame.f_back
runner = frame.f_locals
"""


def copy_of(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    return nbformat.from_dict(json.loads(nbformat.writes(nb)))


def after(nb: nbformat.NotebookNode, gid: str, code: str) -> nbformat.NotebookNode:
    """A copy of nb with a student cell inserted after cell gid."""
    nb = copy_of(nb)
    index = next(i for i, c in enumerate(nb.cells) if grade_id(c) == gid)
    cell = nbformat.v4.new_code_cell(textwrap.dedent(code).strip() + "\n")
    nb.cells.insert(index + 1, cell)
    return nb


def replaced(nb: nbformat.NotebookNode, gid: str, code: str) -> nbformat.NotebookNode:
    nb = copy_of(nb)
    next(c for c in nb.cells if grade_id(c) == gid).source = textwrap.dedent(code).strip()
    return nb


def attacks(versions: dict) -> dict[str, dict[str, nbformat.NotebookNode]]:
    """{student: {assignment: notebook}}; versions[(assignment, version)]: the notebooks."""
    a1, a1_stubs = versions[A1, "solutions"], versions[A1, "student"]
    standin_stubs, standin = versions[STANDIN, "student"], versions[STANDIN, "solutions"]
    return {
        "honest": {A1: a1, A2: versions[A2, "solutions"], STANDIN: standin},
        "empty": {A1: a1_stubs, A2: versions[A2, "student"], STANDIN: standin_stubs},
        # 1. the host's kernel settings, written back unchanged (harmless if it works)
        "sysctl": {A1: after(a1_stubs, "setup", """
            import os

            print("UID", os.getuid())
            try:
                current = open("/proc/sys/kernel/core_pattern").read()
                with open("/proc/sys/kernel/core_pattern", "w") as f:
                    f.write(current)
                print("SYSCTL WRITTEN")
            except OSError as error:
                print("SYSCTL REFUSED", type(error).__name__)
            """)},
        # 2. lone surrogates printed, raised, and in a forged layer name
        "bad_text": {A1: after(a1, "setup", """
            import sys

            print(chr(0xD800), "and", chr(0xDFFF))
            sys.stdout.write("\\udcff\\n")
            raise ValueError(chr(0xD800) * 3)
            """)},
        "forged_layer": {STANDIN: after(standin, "setup", """
            import classroom.judge as judge

            judge.model_state = lambda module: {"layer": chr(0xD800) + "Linear"}
            """)},
        # 3. a model of 40,000 layers without weights, a line of 4 million items, and an
        # output record forged past the output cap
        "deep_model": {STANDIN: after(standin, "setup", """
            import classroom.judge as judge

            try:
                from classroom import plain_data
            except ImportError:  # its name before issue 26
                from classroom import wire as plain_data

            plain_data.MAX_ITEMS = 10**9
            block = {"layer": "Sequential", "layers": [{"layer": "ReLU"}] * 200}
            judge.model_state = lambda m: {"layer": "Sequential", "layers": [block] * 200}
            """)},
        "big_line": {A1: after(a1_stubs, "setup", FIND_RUNNER + textwrap.dedent("""
            runner["channel"].write('{"cell": 99999, "junk": [' + "0," * 4_000_000 + "0]}\\n")
            """))},
        "forged_output": {A1: after(a1_stubs, "setup", FIND_RUNNER + textwrap.dedent("""
            import json

            forged = {"cell": 0, "status": "ok", "out": "A" * 5_000_000}
            runner["channel"].write(json.dumps(forged) + "\\n")
            """))},
        # 4. /dev/shm filled, and processes beyond the limit
        "shm": {A1: after(a1_stubs, "setup", """
            import errno

            written = 0
            try:
                for i in range(3):
                    with open(f"/dev/shm/block{i}", "wb") as f:
                        f.write(b"x" * (40 * 2**20))
                    written += 40
            except OSError as error:
                print("SHM REFUSED", errno.errorcode.get(error.errno))
            print("SHM MB", written)
            """)},
        "forks": {A1: after(a1_stubs, "setup", """
            import os
            import time

            children = []
            for _ in range(200):
                try:
                    pid = os.fork()
                except OSError:
                    break
                if pid == 0:
                    time.sleep(2)
                    os._exit(0)
                children.append(pid)
            print("FORKED", len(children))
            for pid in children:
                os.waitpid(pid, 0)
            """)},
        # 5. a line of the hidden test, read in the sandbox, sent back to be quoted
        "quotes_tests": {STANDIN: after(standin, "setup", FIND_RUNNER + textwrap.dedent("""
            import classroom.judge as judge

            given = runner.get("given") or runner["job"]
            hidden = [c["source"] for c in given["cells"] if c["kind"] == "hidden"]
            line = max(hidden[0].splitlines(), key=len)
            judge.model_state = lambda module: {"layer": "Dropout", "p": line}
            """))},
        # 6. "the same seed gives the same model", by giving the same model every time
        "caches_build": {A4: after(versions[A4, "solutions"], "build_mlp", """
            import copy

            first_built, build_anew = [], build_mlp


            def build_mlp(rng):
                if not first_built:
                    first_built.append(build_anew(rng))
                return copy.deepcopy(first_built[0])
            """)},
        # 6. "updated in place" claimed, not done
        "forges_in_place": {A2: replaced(versions[A2, "solutions"], "sgd_step", """
            def sgd_step(params, lr: float) -> None:
                for p in params:
                    if p.grad is not None:
                        p.data = (p.data - lr * p.grad.data).astype(p.data.dtype)


            try:
                from classroom import plain_data
            except ImportError:  # its name before issue 26
                from classroom import wire as plain_data

            real_encode = plain_data.encode


            def encode(value):
                if isinstance(value, tuple) and len(value) == 4 and value[1] is False:
                    value = (value[0], True, *value[2:])
                return real_encode(value)


            plain_data.encode = encode
            """)},
        # 7. gradients from npgrad ops that are not the ones asked for
        "delegates_ops": {A1: replaced(replaced(a1_stubs, "log_tanh", """
            import npgrad.functional as F


            class Log(Function):  # 1/x from Sqrt's backward at x^2: 1 / (2 sqrt(x^2))
                def forward(self, x):
                    self.x = x
                    return np.log(x)

                def backward(self, grad):
                    root = F.Sqrt()
                    root.forward(self.x * self.x)
                    return 2 * root.backward(grad)


            class Tanh(Function):  # tanh x = 2 sigmoid(2x) - 1
                def forward(self, x):
                    self.x = Tensor(2 * x, requires_grad=True)
                    self.y = 2 * F.sigmoid(self.x) - 1
                    return self.y.data

                def backward(self, grad):
                    self.y.backward(grad)
                    return 2 * self.x.grad.data
            """), "logsumexp", """
            import npgrad.functional as F


            class LogSumExp(Function):  # cross_entropy(x, 0) = logsumexp(x) - x_0, by rows
                def __init__(self, dim=None, keepdim=False):
                    self.dim, self.keepdim = dim, keepdim

                def forward(self, x):
                    self.shape = x.shape
                    rows = x.reshape(1, -1) if self.dim is None else np.moveaxis(x, self.dim, -1)
                    self.moved = rows.shape
                    self.x = Tensor(rows.reshape(-1, rows.shape[-1]), requires_grad=True)
                    first = np.zeros(len(self.x.data), dtype=np.int64)
                    self.loss = F.cross_entropy(self.x, first, reduction="none")
                    y = (self.loss.data + self.x.data[:, 0]).reshape(self.moved[:-1])
                    if self.dim is None:
                        return y.reshape((1,) * x.ndim if self.keepdim else ())
                    return np.expand_dims(y, self.dim) if self.keepdim else y

                def backward(self, grad):
                    g = np.reshape(grad, -1)
                    self.loss.backward(g)
                    rows = self.x.grad.data + g[:, None] * np.eye(self.x.shape[1])[0]
                    rows = rows.reshape(self.moved)
                    return rows.reshape(self.shape) if self.dim is None else np.moveaxis(rows, -1, self.dim)
            """)},
        # 8. a name that becomes another student's file name
        "victim": {A1: a1},
        "victim.": {A1: a1_stubs},
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory, standin):
    root = tmp_path_factory.mktemp("attacks_read_source")
    sources, submitted, out = root / "sources", root / "submitted", root / "grades"
    sources.mkdir()
    for name in (A1, A2, A4):
        (sources / f"{name}.ipynb").write_bytes((REPO / "assignments" /
                                                f"{name}.ipynb").read_bytes())
    nbformat.write(standin, sources / f"{STANDIN}.ipynb")
    versions = {(path.stem, version): make_version(read_source(path), version)
                for path in sources.iterdir() for version in ("solutions", "student")}
    for student, notebooks in attacks(versions).items():
        (submitted / student).mkdir(parents=True)
        for name, nb in notebooks.items():
            (submitted / student / f"{name}.ipynb").write_text(nbformat.writes(nb),
                                                               encoding="utf-8")
    code = grade.main([str(submitted), "--source", str(sources), "--out", str(out),
                       "--timeout", "120", "--jobs", "2"])
    report = json.loads((out / "scores.json").read_text(encoding="utf-8"))
    rows = {(entry["name"], a): row for entry in report["students"].values()
            for a, row in entry["assignments"].items()}
    return {"code": code, "rows": rows, "out": out, "report": report, "sources": sources}


def points(graded, student, name=A1) -> float:
    return graded["rows"][student, name]["points"]


def lost(graded, student, name=A1) -> set[str]:
    return {t["test"] for t in graded["rows"][student, name]["tests"] if not t["passed"]}


def printed(graded, student, name=A1) -> str:
    path = graded["out"] / "autograded" / slug(student) / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    return "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))


def test_the_controls_score_full_marks_and_zero(graded):
    assert [points(graded, "honest", n) for n in (A1, A2, STANDIN)] == [10, 7, 4]
    assert [points(graded, "empty", n) for n in (A1, A2, STANDIN)] == [0, 0, 0]
    assert graded["report"]["run"]["isolation"] == "bubblewrap"


def test_1_the_host_kernel_settings_are_read_only_and_the_notebook_is_not_root(graded):
    text = printed(graded, "sysctl")
    assert "SYSCTL REFUSED" in text and "SYSCTL WRITTEN" not in text
    assert "UID 0\n" not in text
    limits = graded["report"]["run"]["limits"]
    assert "/proc/sys read-only" in limits
    assert any(x.startswith("runs as uid ") and "uid 0 " not in x for x in limits)


def test_2_lone_surrogates_end_nothing(graded):
    assert graded["code"] in (0, 1), "the run finished and wrote its reports"
    csv_text = (graded["out"] / "scores.csv").read_text(encoding="utf-8")
    assert "bad_text,01_backward_rules,ok,10,10" in csv_text
    assert points(graded, "bad_text") == 10, "a cell that raised costs no test"
    assert "\\ud800" in printed(graded, "bad_text"), "escaped in the instructor's copy"
    assert points(graded, "forged_layer", STANDIN) == 0
    feedback = (graded["out"] / "feedback" / "forged_layer.md").read_text(encoding="utf-8")
    assert "a layer the grader does not rebuild" in feedback


def test_3_the_pipe_and_the_replay_are_bounded(graded):
    [message] = [t["message"] for t in graded["rows"]["deep_model", STANDIN]["tests"]]
    assert "more than 1000 layers" in message
    notes = graded["rows"]["big_line", A1]["notes"]
    assert "the grader dropped records past the parsing budget" in notes
    copy = graded["out"] / "autograded" / "forged_output" / f"{A1}.ipynb"
    assert copy.stat().st_size < 1_500_000, "the output cap holds for forged records"
    assert "the output was cut at 1000000 characters" in graded["rows"][
        "forged_output", A1]["notes"]


def test_4_shared_memory_and_processes_are_limited_per_notebook(graded):
    text = printed(graded, "shm")
    assert "SHM REFUSED ENOSPC" in text and "SHM MB 40" in text
    forked = int(printed(graded, "forks").split("FORKED ")[1].split()[0])
    assert forked < 150, f"{forked} processes: the process limit did not hold"
    assert f"/dev/shm {sandbox.Limits.shm_mb} MiB" in graded["report"]["run"]["limits"]


@pytest.mark.skipif(not cgroups.available()[0], reason=cgroups.available()[1])
def test_4_memory_is_limited_for_the_notebook_as_a_whole(tmp_path):
    """Two children of 1.5 GiB each: over the notebook's 2 GiB (a cgroup, where there is one)."""
    code = """
        import os
        import time

        children = []
        for _ in range(2):
            child = os.fork()
            if child == 0:
                block = bytearray(1536 * 2**20)
                block[::4096] = b"x" * len(block[::4096])
                time.sleep(5)
                os._exit(0)
            children.append(child)
        ends = [os.waitpid(child, 0)[1] for child in children]
        print("BOTH ALLOCATED" if ends == [0, 0] else f"A CHILD ENDED {ends}")
        """
    nb = after(make_version(read_source(REPO / "assignments" / f"{A1}.ipynb"), "student"),
               "setup", code)
    (tmp_path / "submitted" / "big").mkdir(parents=True)
    nbformat.write(nb, tmp_path / "submitted" / "big" / f"{A1}.ipynb")
    grade.main([str(tmp_path / "submitted"), "--assignment", "01",
                "--out", str(tmp_path / "out"), "--timeout", "60"])
    run = json.loads((tmp_path / "out" / "scores.json").read_text())["run"]
    assert any(x.startswith(("cgroup v2: memory.max", "cgroup v1: memory.limit_in_bytes"))
               and "for the whole notebook" in x for x in run["limits"])
    copy = nbformat.read(tmp_path / "out" / "autograded" / "big" / f"{A1}.ipynb", 4)
    printed = json.dumps([cell.get("outputs") for cell in copy.cells])
    assert "BOTH ALLOCATED" not in printed and "A CHILD ENDED" in printed
    notes = json.loads((tmp_path / "out" / "scores.json").read_text())
    assert "met its memory limit" in json.dumps(notes)


def test_5_feedback_never_quotes_a_hidden_line(graded, standin):
    feedback = (graded["out"] / "feedback" / "quotes_tests.md").read_text(encoding="utf-8")
    hidden = [line.strip() for c in markers.test_cells(standin)
              for line in hidden_code(c).splitlines() if len(line.strip()) > 20]
    assert hidden and not [line for line in hidden if line in feedback]
    assert points(graded, "quotes_tests", STANDIN) == 0


def test_6_determinism_is_judged_on_replayed_models_from_two_seeds(graded):
    """A build_mlp that hands back one cached model passes "same seed, same model"; the
    grader also compares a model from another seed, on the values it replays."""
    assert lost(graded, "caches_build", A4) == {"test_build_mlp"}
    message = next(t["message"] for t in graded["rows"]["caches_build", A4]["tests"]
                   if t["test"] == "test_build_mlp")
    assert "another seed gave the same model" in message


def test_6_a_fact_the_notebook_claims_is_not_believed(graded):
    assert lost(graded, "forges_in_place", A2) == {"test_sgd_step"}
    message = next(t["message"] for t in graded["rows"]["forges_in_place", A2]["tests"]
                   if t["test"] == "test_sgd_step")
    assert "update the parameter's array in place" in message


def test_7_no_npgrad_op_hands_over_the_gradients_asked_for(graded):
    assert points(graded, "delegates_ops") == 0
    assert {"test_log_tanh", "test_logsumexp"} <= lost(graded, "delegates_ops")


def test_8_two_students_never_share_a_file(graded):
    feedback = sorted(p.name for p in (graded["out"] / "feedback").iterdir()
                      if p.name.startswith("victim"))
    assert len(feedback) == 2 and "victim.md" in feedback
    mine = (graded["out"] / "feedback" / "victim.md").read_text(encoding="utf-8")
    assert f"## {A1}: 10 / 10" in mine
    other = next(n for n in feedback if n != "victim.md")
    theirs = (graded["out"] / "feedback" / other).read_text(encoding="utf-8")
    assert "~" in other and f"## {A1}: 0 / 10" in theirs


def test_9_auto_says_loudly_what_the_fallback_gives_up(monkeypatch):
    monkeypatch.setattr(sandbox, "bwrap_works", lambda: False)
    monkeypatch.setattr(sandbox, "fallback_problem", lambda: "")
    said: list[str] = []
    assert sandbox.choose_isolation("auto", warn=said.append) == "fallback"
    assert len(said) == 1 and sandbox.FALLBACK_GIVES_UP in said[0]
    with pytest.raises(RuntimeError, match="bubblewrap cannot run here"):
        sandbox.choose_isolation("bubblewrap")


def test_9_the_fallback_wall_time_holds_against_an_escaped_process(tmp_path):
    """A child in a new session that ignores SIGTERM and keeps the pipes open."""
    if sandbox.fallback_problem():  # root, and the sandbox's account cannot run Python
        with pytest.raises(RuntimeError, match="cannot run"):
            sandbox.choose_isolation("fallback")
        pytest.skip(f"the fallback is refused here: {sandbox.fallback_problem()}")
    nb = after(make_version(read_source(REPO / "assignments" / f"{A1}.ipynb"), "student"),
               "setup", """
        import os
        import signal
        import time

        pid = os.fork()
        if pid == 0:
            os.setsid()
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            time.sleep(300)
            os._exit(0)
        print("ESCAPED", pid)
        """)
    (tmp_path / "submitted" / "escapes").mkdir(parents=True)
    nbformat.write(nb, tmp_path / "submitted" / "escapes" / f"{A1}.ipynb")
    results, _ = grade.grade_all(tmp_path / "submitted", REPO / "assignments",
                                 tmp_path / "out", sandbox.Limits(timeout=30),
                                 "fallback", ["01"], log=lambda line: None)
    [result] = results
    assert any("outlived it" in note for note in result.notes), result.notes
    copy = nbformat.read(tmp_path / "out" / "autograded" / "escapes" / f"{A1}.ipynb", 4)
    pid = int(json.dumps(copy).split("ESCAPED ")[1].split("\\")[0])
    try:  # still running: the grader returned without waiting for it
        os.kill(pid, 0)
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pytest.fail("the escaped process was gone: the test did not test the wall time")

"""The grader against adversarial students: one crafted submission per attack class, each held.

Every attack is graded in one run of the command line, beside an honest control (full marks)
and an empty notebook (zero), on assignment 1 (the quickest) and on a small stand-in for
assignment 4's trained global `model`. The attacks that write to the repository or signal the
grader are only safe in the sandbox, so this module needs bubblewrap (.ci/run installs it).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import textwrap
import time
from pathlib import Path

import nbformat
import pytest

from classroom import grade, markers, sandbox
from classroom.assign import make_version, read_source
from classroom.markers import grade_id, hidden_code

pytestmark = pytest.mark.skipif(not sandbox.bwrap_works(),
                                reason="needs bubblewrap (apt-get install bubblewrap)")

REPO = Path(__file__).resolve().parents[2]
A1 = "01_backward_rules"
STANDIN = "05_standin"
TOKEN = "sk-live-0123456789-grader-secret"
MARKER = "271.828"  # the argument of the sleeping children an attacker leaves behind


def cell(code: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(textwrap.dedent(code).strip() + "\n")


def after(nb: nbformat.NotebookNode, gid: str, *codes: str) -> nbformat.NotebookNode:
    """A copy of nb with student cells inserted after cell gid."""
    nb = nbformat.from_dict(json.loads(nbformat.writes(nb)))
    index = next(i for i, c in enumerate(nb.cells) if grade_id(c) == gid)
    nb.cells[index + 1 : index + 1] = [cell(code) for code in codes]
    return nb


def replaced(nb: nbformat.NotebookNode, gid: str, code: str) -> nbformat.NotebookNode:
    nb = nbformat.from_dict(json.loads(nbformat.writes(nb)))
    next(c for c in nb.cells if grade_id(c) == gid).source = textwrap.dedent(code).strip() + "\n"
    return nb


# ---------------------------------------------------------------- the attacks


def attacks(paths: dict[str, Path],
            standin: nbformat.NotebookNode) -> dict[str, dict[str, nbformat.NotebookNode | str]]:
    """{student: {assignment: notebook or raw text}}; paths: absolute paths an attacker aims at."""
    solutions = make_version(read_source(paths["sources"] / f"{A1}.ipynb"), "solutions")
    stubs = make_version(read_source(paths["sources"] / f"{A1}.ipynb"), "student")
    standin_stubs = make_version(standin, "student")
    functional = REPO / "lib" / "npgrad" / "functional.py"
    subs = {
        "honest": {A1: solutions, STANDIN: make_version(standin, "solutions")},
        "empty": {A1: stubs, STANDIN: standin_stubs},
        # full marks without the work: the checks turned into no-ops
        "patches_checks": {A1: after(stubs, "setup", """
            import builtins

            import numpy as np

            import npgrad

            np.testing.assert_allclose = np.testing.assert_array_equal = lambda *a, **k: None
            npgrad.gradcheck = gradcheck = lambda *a, **k: True
            builtins.AssertionError = type("Never", (Exception,), {})
            """)},
        # ... the test cells rewritten to `pass` (an input transformer, or compile itself)
        "rewrites_tests": {A1: after(stubs, "setup", """
            import builtins

            real_compile = builtins.compile


            def compile(source, filename, mode, *args, **kwargs):
                return real_compile("pass", filename, mode, *args, **kwargs)


            builtins.compile = compile
            try:
                get_ipython().input_transformers_post.append(lambda lines: ["pass\\n"])
            except NameError:
                pass
            """)},
        # ... the error status cleared, the records forged (what a post_run_cell hook could do)
        "forges_results": {A1: after(stubs, "setup", """
            import sys

            import classroom.judge as judge
            from classroom import plain_data

            judge._record = lambda call, blocked: ({"value": plain_data.encode(True)}, True)
            judge.verdicts = lambda: True
            sys.excepthook = lambda *args: None
            for test in ("test_div", "test_pow", "test_log_tanh", "test_max", "test_logsumexp"):
                print('{"test": "%s", "probes": {}}' % test, file=sys.__stdout__)
            """)},
        # npgrad's own implementation, reached around the blocking: a function copy ...
        "copies_code": {A1: replaced(solutions, "div", """
            import types

            import npgrad.functional as F


            class Div(Function):
                forward = types.FunctionType(F.Div.forward.__code__, F.Div.forward.__globals__)
                backward = types.FunctionType(F.Div.backward.__code__, F.Div.backward.__globals__)
            """)},
        # ... a second copy of the module ...
        "second_module": {A1: replaced(solutions, "div", """
            import importlib.util

            spec = importlib.util.find_spec("npgrad.functional")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)


            class Div(module.Div):
                pass
            """)},
        # ... the module reloaded ...
        "reloads": {A1: replaced(solutions, "div", """
            import importlib

            import npgrad.functional as F

            Div = importlib.reload(F).Div
            """)},
        # ... the source executed again (from the repository's file if it can be read)
        "execs_source": {A1: replaced(solutions, "div", f"""
            import inspect

            import npgrad.functional as F

            try:
                text = open({str(functional)!r}).read()
                namespace = dict(vars(F))
                exec(text, namespace)
                Div = namespace["Div"]
            except OSError:
                namespace = dict(vars(F))
                exec(inspect.getsource(F.Div), namespace)
                Div = namespace["Div"]
            """)},
        # the global model replaced after the locked cell that trained it
        "replaces_model": {STANDIN: after(standin_stubs, "train", """
            class Cheat(nn.Module):
                def forward(self, x):
                    return Tensor(np.eye(2, dtype=np.float32)[y])


            model = Cheat()
            """)},
        "untrained_model": {STANDIN: after(standin_stubs, "train", "model = nn.Linear(2, 2, rng=1)")},
        # hidden tests, other notebooks, the grader's command line and environment, exfiltrated
        "snoops": {A1: after(stubs, "setup", f"""
            import gc
            import glob
            import os

            import npgrad

            roots = [{str(REPO)!r}, {str(paths["submitted"])!r}, {str(paths["out"])!r}, "/work", "/root",
                     "/tmp", os.path.dirname(npgrad.__file__) + "/../.."]
            found = sorted({{p for r in roots for p in glob.glob(r + "/**/*.ipynb", recursive=True)}})
            lines = []
            for pid in filter(str.isdigit, os.listdir("/proc")):
                for part in ("cmdline", "environ"):
                    try:
                        lines.append(open(f"/proc/{{pid}}/{{part}}", "rb").read().decode(errors="replace"))
                    except OSError:
                        pass
            print("FOUND", found)
            print("TOKEN SEEN", any("GRADER_API_TOKEN" in line for line in [*lines, str(os.environ)]))
            hidden = [o for o in gc.get_objects() if isinstance(o, str) and "submitted(" in o]
            loot = "\\n".join(hidden + lines + [str(os.environ)] + found)
            Leak = type("HiddenTests_" + "".join(c for c in loot if c.isalnum())[:50], (Exception,), {{}})


            def unbroadcast(grad, shape):
                raise Leak(loot)


            class Div(Function):
                def forward(self, a, b):
                    return np.array([ord(c) for c in loot[:2000]], dtype=float)

                def backward(self, grad):
                    raise ValueError(loot)
            """)},
        # tampering: a classmate's notebook, the sources, npgrad, and the scores after the run
        "a_tampers": {A1: after(stubs, "setup", f"""
            import os
            import time

            import npgrad

            for target in ({str(paths["victim"])!r}, {str(paths["sources"] / f"{A1}.ipynb")!r},
                           {str(functional)!r}, npgrad.__file__):
                try:
                    with open(target, "a") as f:
                        f.write("# tampered")
                    print("wrote", target)
                except OSError as error:
                    print("refused", target, type(error).__name__)
            if os.fork() == 0:
                os.setsid()
                time.sleep(2)
                try:
                    with open({str(paths["out"] / "scores.csv")!r}, "a") as f:
                        f.write("a_tampers,{A1},ok,10,10\\n")
                finally:
                    os._exit(0)
            """)},
        "b_victim": {A1: solutions},
        # aborting the class: signals, children, memory, a lone surrogate, a symbolic link
        "signals": {A1: after(stubs, "setup", f"""
            import os
            import signal

            for target in ({paths["grader_pid"]}, os.getppid(), 1):
                try:
                    os.kill(target, signal.SIGKILL)
                except OSError:
                    pass
            """)},
        "spawns": {A1: after(stubs, "setup", f"""
            import subprocess

            children = [subprocess.Popen(["sleep", "{MARKER}"], start_new_session=True) for _ in range(20)]
            """)},
        "allocates": {A1: after(solutions, "setup", """
            import numpy as np

            big = np.ones(int(1.9 * 2**30) // 8)
            """)},
        "surrogate": {A1: json.dumps(json.loads(nbformat.writes(solutions)) | {"cells": [
            {"cell_type": "code", "source": "x = '\ud800'", "metadata": {}, "outputs": [],
             "execution_count": None}]})},
    }
    return subs


@pytest.fixture(scope="module")
def attacked(tmp_path_factory, standin):
    root = tmp_path_factory.mktemp("attacks")
    sources = root / "sources"
    sources.mkdir()
    shutil.copy(REPO / "assignments" / f"{A1}.ipynb", sources)
    nbformat.write(standin, sources / f"{STANDIN}.ipynb")
    submitted, out = root / "submitted", root / "grades"
    paths = {"sources": sources, "submitted": submitted, "out": out, "grader_pid": os.getpid(),
             "victim": submitted / "b_victim" / f"{A1}.ipynb"}
    for student, notebooks in attacks(paths, standin).items():
        (submitted / student).mkdir(parents=True)
        for name, nb in notebooks.items():
            text = nb if isinstance(nb, str) else nbformat.writes(nb)
            (submitted / student / f"{name}.ipynb").write_text(text, encoding="utf-8", errors="surrogatepass")
    (submitted / "copycat").mkdir()
    (submitted / "copycat" / f"{A1}.ipynb").symlink_to(paths["victim"])
    before = {p: _digest(p) for p in [*sources.iterdir(), *(REPO / "lib" / "npgrad").glob("*.py")]}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GRADER_API_TOKEN", TOKEN)
        code = grade.main([str(submitted), "--source", str(sources), "--out", str(out), "--timeout", "60"])
    scores_after_run = (out / "scores.csv").read_text(encoding="utf-8")
    time.sleep(3)  # longer than the daemon a_tampers left waits
    report = json.loads((out / "scores.json").read_text(encoding="utf-8"))
    results = {(s, a): entry for s, e in report["students"].items() for a, entry in e["assignments"].items()}
    return {"code": code, "results": results, "out": out, "before": before, "report": report,
            "scores_after_run": scores_after_run}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def points(attacked, student, name=A1) -> float:
    return attacked["results"][student, name]["points"]


def lost_tests(attacked, student, name=A1) -> set[str]:
    return {t["test"] for t in attacked["results"][student, name]["tests"] if not t["passed"]}


def autograded_text(attacked, student, name=A1) -> str:
    nb = nbformat.read(attacked["out"] / "autograded" / student / f"{name}.ipynb", as_version=4)
    return "".join(o.get("text", "") + o.get("evalue", "") for c in nb.cells for o in c.get("outputs", []))


def test_the_controls_score_full_marks_and_zero(attacked):
    assert points(attacked, "honest") == 10 and points(attacked, "honest", STANDIN) == 4
    assert points(attacked, "empty") == 0 and points(attacked, "empty", STANDIN) == 0
    assert attacked["report"]["run"]["isolation"] == "bubblewrap"
    assert attacked["results"]["honest", A1]["isolation"] == "bubblewrap"


@pytest.mark.parametrize("student", ["patches_checks", "rewrites_tests", "forges_results"])
def test_no_change_to_the_kernel_earns_points_for_work_not_done(attacked, student):
    """np.testing and gradcheck made no-ops, test cells rewritten, error statuses and records forged."""
    assert attacked["results"][student, A1]["status"] == "ok"
    assert points(attacked, student) == 0
    assert lost_tests(attacked, student) == {"test_div", "test_pow", "test_log_tanh", "test_max",
                                             "test_logsumexp"}


@pytest.mark.parametrize("student", ["copies_code", "second_module", "reloads", "execs_source"])
def test_npgrads_own_implementation_cannot_be_reached_around_the_block(attacked, student):
    """types.FunctionType(f.__code__), a second module copy, importlib.reload, exec of the source."""
    assert lost_tests(attacked, student) == {"test_div"} and points(attacked, student) == 8
    message = next(t["message"] for t in attacked["results"][student, A1]["tests"] if t["test"] == "test_div")
    assert message.endswith(("raised RuntimeError", "raised ReferenceUsedError")), message


@pytest.mark.parametrize("student", ["replaces_model", "untrained_model"])
def test_a_global_model_replaced_after_the_locked_training_cell_earns_nothing(attacked, student):
    assert points(attacked, student, STANDIN) == 0


def test_hidden_tests_sources_and_secrets_stay_out_of_the_feedback(attacked):
    out = attacked["out"]
    feedback = (out / "feedback" / "snoops.md").read_text(encoding="utf-8")
    source = read_source(REPO / "assignments" / f"{A1}.ipynb")
    hidden = {line.strip() for c in markers.test_cells(source) for line in hidden_code(c).split("\n")
              if len(line.strip()) > 20}
    assert hidden and not [line for line in hidden if line in feedback]
    assert "submitted(" not in feedback and "HiddenTests" not in feedback and TOKEN not in feedback
    assert points(attacked, "snoops") == 0
    for path in out.rglob("*"):  # not even in the instructor's copy: the sandbox never saw it
        if path.is_file():
            assert TOKEN not in path.read_text(encoding="utf-8", errors="replace"), path
    printed = autograded_text(attacked, "snoops")
    assert "FOUND []" in printed and "TOKEN SEEN False" in printed


def test_a_submission_cannot_tamper_with_classmates_sources_npgrad_or_the_scores(attacked):
    assert points(attacked, "b_victim") == 10
    assert {p: _digest(p) for p in attacked["before"]} == attacked["before"]
    printed = autograded_text(attacked, "a_tampers")
    assert "wrote" not in printed and printed.count("refused") == 4
    assert (attacked["out"] / "scores.csv").read_text(encoding="utf-8") == attacked["scores_after_run"]


def test_signals_children_memory_surrogates_and_links_abort_nothing(attacked):
    results = attacked["results"]
    assert results["signals", A1]["status"] in ("ok", "crashed") and points(attacked, "signals") == 0
    assert points(attacked, "b_victim") == 10, "the grader outlived a kernel that signalled it"
    assert not [p for p in Path("/proc").iterdir() if p.name.isdigit() and _cmdline_has(p, MARKER)]
    assert points(attacked, "allocates") == 10
    assert "code cell 2 raised MemoryError" in results["allocates", A1]["notes"], "1.9 GiB went through"
    assert results["surrogate", A1]["status"] == "unreadable" and points(attacked, "surrogate") == 0
    assert results["copycat", A1]["status"] == "refused"
    assert "symbolic link" in results["copycat", A1]["notes"][0]
    assert attacked["code"] == 1, "unreadable and refused notebooks need the instructor's look"


def _cmdline_has(proc: Path, marker: str) -> bool:
    try:
        return marker in (proc / "cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False

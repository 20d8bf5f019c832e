"""Runs one submission inside the sandbox: ``python -m classroom.runner`` (its input on
stdin).

Nothing here is trusted: the student's code runs in this process and may change any of
it. What it hands back on the channel (a pipe to the grader), one JSON object a line, is
only data for the grader to check: each cell's status and printed text (for the
instructor's copy of the notebook) and, for each test cell, what
``classroom.judge.submitted`` recorded of the student's functions.

Its input: ``{"cells": [{"kind": "student" | "locked" | "hidden", "source": ..., "test":
...}], "max_output": N}``. Student and locked cells run in order in one namespace; after
a locked cell runs, the names it binds are kept aside, so that a student cell that
rebinds them (a replaced ``model``, say) does not change what the hidden tests see; a
hidden cell (the hidden region of a test cell) runs in a copy of the namespace with
judge in collect mode.
"""

from __future__ import annotations

import ast
import json
import os
import sys
from typing import Any

UNBOUND = object()  # a name a locked cell should have bound, and did not


class CappedText:
    """A stdout/stderr that keeps at most `cap` characters in all, per cell."""

    def __init__(self, budget: list[int]) -> None:
        self.budget, self.parts, self.truncated = budget, [], False

    def write(self, text: Any) -> int:
        text = str(text)
        keep = text[: max(self.budget[0], 0)]
        self.budget[0] -= len(keep)
        self.truncated |= len(keep) < len(text)
        self.parts.append(keep)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def text(self) -> str:
        return "".join(self.parts)


def bound_names(source: str) -> list[str]:
    """The names a cell binds at top level (assignments, imports, defs)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    names = []
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names += [
                n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)
            ]
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names += [(a.asname or a.name).split(".")[0] for a in node.names]
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.append(node.name)
    return names


def leave_root() -> None:
    """As the grader asked (bubblewrap run by root): become the sandbox's account."""
    run_as = os.environ.pop("CLASSROOM_RUN_AS", "")
    if run_as:
        uid, gid = (int(part) for part in run_as.split(":"))
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
        if os.getuid() == 0 or os.geteuid() == 0:
            sys.exit("classroom.runner: could not leave root")


def main() -> int:
    leave_root()
    given = json.loads(sys.stdin.read())
    channel = os.fdopen(
        int(given.get("channel", 3)), "w", buffering=1, encoding="utf-8"
    )
    real_stdout, real_stderr = sys.stdout, sys.stderr
    budget = [int(given.get("max_output", 1_000_000))]

    from classroom import judge

    namespace: dict[str, Any] = {"__name__": "__main__"}
    kept: dict[str, Any] = {}
    for index, cell in enumerate(given["cells"]):
        out = CappedText(budget)
        sys.stdout = sys.stderr = out
        report: dict[str, Any] = {"cell": index, "status": "ok"}
        try:
            if cell["kind"] == "hidden":
                report["test"] = cell["test"]
                with judge.collecting() as records:
                    report["probes"] = records
                    seen = {
                        k: v
                        for k, v in {**namespace, **kept}.items()
                        if v is not UNBOUND
                    }
                    _run(cell["source"], f"<hidden tests of {cell['test']}>", seen)
            else:
                result = _run(cell["source"], f"<cell {index + 1}>", namespace)
                if result is not None:
                    report["result"] = repr(result)[:10_000]
                if cell["kind"] == "locked":
                    kept.update(
                        {
                            n: namespace.get(n, UNBOUND)
                            for n in bound_names(cell["source"])
                        }
                    )
        except BaseException as error:  # noqa: B036 - student code raises anything
            if (
                cell["kind"] == "locked"
            ):  # what it did not bind stays unbound for the tests
                kept.update(
                    {n: namespace.get(n, UNBOUND) for n in bound_names(cell["source"])}
                )
            report.update(
                status="error", ename=type(error).__name__, evalue=str(error)[:2000]
            )
        finally:
            sys.stdout, sys.stderr = real_stdout, real_stderr
        report.update(out=out.text(), truncated=out.truncated)
        channel.write(json.dumps(report) + "\n")
    channel.write(json.dumps({"done": True}) + "\n")
    channel.close()
    return 0


def _run(source: str, name: str, namespace: dict) -> Any:
    """Run a cell; the value of its last line if that is an expression (as shown)."""
    tree = ast.parse(source, name)
    last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    if last is not None and not source.rstrip().endswith(";"):
        tree.body.pop()
        exec(compile(tree, name, "exec"), namespace)
        return eval(compile(ast.Expression(last.value), name, "eval"), namespace)
    exec(compile(tree, name, "exec"), namespace)
    return None


if __name__ == "__main__":
    sys.exit(main())

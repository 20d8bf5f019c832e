"""Deciding the tests: the hidden regions run by the grader on replayed records, apart.

The replay runs code the instructor wrote on data the student's notebook supplied, so it
runs in a child process of the grader (``decide_apart``) with its own limits on time and
memory: a forged record that makes a check slow or large costs that notebook its points,
never the run. What a failed check says to the student (``feedback_message``) is the
check's own message, escaped and cut, with no value the notebook supplied beyond numbers
and no line of a hidden test.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import resource
import signal
import time
from collections.abc import Sequence
from typing import Any

from nbformat import NotebookNode

from classroom import judge
from classroom.channel import Reader
from classroom.markers import grade_id, hidden_code
from classroom.safe_text import excerpt

MESSAGE_CHARS = 300  # of an error message, in the feedback
VALUE_LINE = re.compile(r"^\s*(x|y|ACTUAL|DESIRED)\s*:")  # np.testing's value reprs
SHOWN = judge.SHOWN_ERRORS | {"SubmissionFailed"}
RESULT_BYTES = 1 << 20


class HiddenTests:
    """One assignment's hidden tests, run by the grader on replayed records."""

    def __init__(self, source: NotebookNode) -> None:
        setup = [c for c in source.cells if grade_id(c) == "setup"]
        self.namespace: dict[str, Any] = {"__name__": "__grader__"}
        with contextlib.redirect_stdout(io.StringIO()):
            for cell in setup:
                exec(compile(cell.source, "<setup>", "exec"), self.namespace)

    def verdict(self, cell: NotebookNode, records: Any) -> tuple[bool, str]:
        """(passed, why not): the cell's hidden region on the sandbox's records."""
        records = records if isinstance(records, dict) else {}
        namespace = dict(self.namespace)
        source = hidden_code(cell)
        code = compile(source, f"<hidden tests of {grade_id(cell)}>", "exec")
        try:
            with judge.replaying(records), contextlib.redirect_stdout(io.StringIO()):
                exec(code, namespace)
        except Exception as error:
            return False, feedback_message(error, source)
        return True, ""


def feedback_message(error: BaseException, hidden_source: str = "") -> str:
    """What a failed check tells the student: its type, and its message if safe to show.

    An assertion's message is the test's own (np.testing's repr of the values is left
    out); any other error may quote what the notebook supplied (``float('...')`` of a
    forged value, say), so only its type is shown. No line of the hidden test is ever
    quoted, and the text is escaped and cut.
    """
    name = type(error).__name__ if type(error).__name__ in SHOWN else "an exception"
    if not isinstance(error, AssertionError):
        return f"{name} while checking what your code returned"
    lines = []
    for line in str(error).splitlines():
        if VALUE_LINE.match(line):
            break
        if line.strip():
            lines.append(line.strip())
    text = " | ".join(lines[:3])
    secret = [
        line.strip() for line in hidden_source.splitlines() if len(line.strip()) >= 16
    ]
    if any(line in text for line in secret):
        text = "(its message quoted the test, so it is not shown)"
    return excerpt(f"{name}: {text}".rstrip(": "), MESSAGE_CHARS)


def decide_apart(
    hidden: HiddenTests,
    cells: Sequence[tuple[NotebookNode, Any]],
    seconds: float,
    memory_mb: int,
) -> list[tuple[bool, str]]:
    """Each cell's verdict on its records, decided in a child process with limits.

    If the child runs out of time or memory, or dies, every cell fails with the reason.
    """
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: decide, write the verdicts, and leave at once
        os.close(read_fd)
        code = 1
        try:
            _limit_child(seconds, memory_mb)
            verdicts = [hidden.verdict(cell, records) for cell, records in cells]
            os.write(write_fd, json.dumps(verdicts).encode("ascii"))
            code = 0
        finally:
            os._exit(code)
    os.close(write_fd)
    reader = Reader(read_fd, RESULT_BYTES)
    status = _wait_child(pid, seconds + 5)
    reader.finish(1.0)
    try:
        verdicts = json.loads(reader.data.decode("ascii")) if status == 0 else None
        if len(verdicts) == len(cells):
            return [(v is True, str(m)) for v, m in verdicts]
    except (ValueError, TypeError, UnicodeDecodeError):
        pass
    why = {None: f"took longer than {seconds:g} s"}.get(status, f"failed ({status})")
    return [(False, f"the grader's check of what your code returned {why}")] * len(
        cells
    )


def _limit_child(seconds: float, memory_mb: int) -> None:
    """Limits for the checks: CPU time, and memory beyond what the grader maps."""
    with open("/proc/self/statm") as f:
        mapped = int(f.read().split()[0]) * resource.getpagesize()
    memory = mapped + memory_mb * 2**20
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard == resource.RLIM_INFINITY or memory < hard:
        resource.setrlimit(resource.RLIMIT_AS, (memory, hard))
    cpu = int(seconds) + 1
    resource.setrlimit(
        resource.RLIMIT_CPU, (cpu, resource.getrlimit(resource.RLIMIT_CPU)[1])
    )
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.alarm(cpu + 1)


def _wait_child(pid: int, seconds: float) -> int | str | None:
    """The child's exit status (0: fine), 'killed by ...', or None if out of time."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            if os.WIFSIGNALED(status):
                return f"killed by {signal.Signals(os.WTERMSIG(status)).name}"
            return os.WEXITSTATUS(status) or 0
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return None

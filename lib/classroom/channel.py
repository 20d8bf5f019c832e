"""The sandbox's pipes, read as hostile input: bounded in size, in time and in parsing.

The runner hands back one JSON object a line on its channel. Everything about it is
capped before the grader trusts any of it: the bytes kept in all (``CHANNEL_BYTES``) and
per line (``LINE_BYTES``), the JSON structure parsed (``TOKEN_BUDGET`` brackets, commas
and colons for the whole notebook, counted before a line is parsed, since ``json.loads``
of a line of small items takes some 30 times the line in memory), the time a reader
waits (a process that escaped the sandbox's kill may hold the pipe open), and each text
field of a record, made valid UTF-8 and cut (``clean_record``).
"""

from __future__ import annotations

import json
import os
import select
import threading
import time

CHANNEL_BYTES = 32 * 2**20  # what the sandbox may hand back in all
LINE_BYTES = 16 * 2**20  # one record (assignment 4's three models take about 4 MB)
TOKEN_BUDGET = 500_000  # JSON brackets, commas and colons parsed per notebook
STREAM_BYTES = 64 * 1024  # of raw stdout/stderr (print() is captured by the runner)
# Text a record may carry, each cut; all of it counts against the output cap.
TEXT_FIELDS = {"out": None, "result": 10_000, "evalue": 2_000, "ename": 100}


class Reader(threading.Thread):
    """Drain a pipe, keeping its first `cap` bytes, until EOF or the deadline."""

    def __init__(self, fd: int, cap: int) -> None:
        super().__init__(daemon=True)
        self.fd, self.cap, self.chunks, self.size = fd, cap, [], 0
        self.deadline, self.eof = float("inf"), False
        self.lock = threading.Lock()
        os.set_blocking(fd, False)
        self.start()

    def run(self) -> None:
        try:
            while time.monotonic() < self.deadline:
                ready, _, _ = select.select([self.fd], [], [], 0.2)
                if ready and not self._read():
                    break
        except (OSError, ValueError):
            pass
        finally:
            os.close(self.fd)

    def _read(self) -> bool:
        try:
            chunk = os.read(self.fd, 1 << 16)
        except BlockingIOError:
            return True
        self.eof = not chunk
        if chunk and self.size < self.cap:
            with self.lock:
                self.chunks.append(chunk[: self.cap - self.size])
                self.size += len(self.chunks[-1])
        return bool(chunk)

    def finish(self, grace: float) -> bool:
        """Wait at most `grace` seconds more for EOF; True if the pipe was closed."""
        self.deadline = time.monotonic() + grace
        self.join(grace + 1)
        return self.eof

    @property
    def data(self) -> bytes:
        with self.lock:
            return b"".join(self.chunks)


def parse_records(data: bytes, max_output: int) -> tuple[list[dict], list[str]]:
    """The channel's records, each cleaned, and what was dropped (for the report)."""
    records, dropped, budget = [], [], [TOKEN_BUDGET, max_output]
    for line in data.split(b"\n"):
        if not line.strip():
            continue
        if len(line) > LINE_BYTES:
            dropped.append(
                f"a record of {len(line) // 2**20} MB (over {LINE_BYTES // 2**20})"
            )
            continue
        tokens = sum(line.count(c) for c in (b"[", b"{", b",", b":"))
        if tokens > budget[0]:
            dropped.append("records past the parsing budget")
            break
        budget[0] -= tokens
        try:
            record = json.loads(line.decode("utf-8"))
        except (ValueError, UnicodeDecodeError, RecursionError):
            continue
        if isinstance(record, dict):
            records.append(clean_record(record, budget))
    return records, dropped


def clean_record(record: dict, budget: list[int]) -> dict:
    """The record's text fields valid UTF-8, each cut, all within the output cap."""
    clean = dict(record)
    for name, cap in TEXT_FIELDS.items():
        if name not in clean:
            continue
        value = clean[name] if isinstance(clean[name], str) else str(clean[name])
        keep = max(min(budget[1], cap or budget[1]), 0)
        if len(value) > keep:
            clean["truncated"] = True
        budget[1] -= min(len(value), keep)
        clean[name] = value[:keep].encode("utf-8", "backslashreplace").decode("utf-8")
    if "test" in clean and not isinstance(clean["test"], str):
        clean.pop("test")
    elif "test" in clean:
        clean["test"] = clean["test"][:200]
    return clean

"""Per-notebook limits on memory and processes through cgroups v2, where they can be
had.

RLIMIT_AS limits each process, not a notebook: two children of 1.5 GiB pass a 2 GiB
limit. A cgroup limits them together (``memory.max``, ``memory.swap.max``, ``pids.max``)
and kills them together (``cgroup.kill``). It needs the unified hierarchy with the
memory and pids controllers delegated to the grader: root on a cgroup-v2 host, or a
systemd user slice with delegation. Where that is not so, ``available()`` says why and
the grader keeps the per-process limits (the report says which were in force).
"""

from __future__ import annotations

import functools
import os
import signal
import uuid
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")


@functools.cache
def _parent() -> tuple[Path | None, str]:
    """The cgroup under which notebooks get theirs, or None and why not."""
    if not (ROOT / "cgroup.controllers").is_file():
        return None, "no cgroup v2 hierarchy at /sys/fs/cgroup"
    try:
        line = next(
            x
            for x in Path("/proc/self/cgroup").read_text().splitlines()
            if x.startswith("0::")
        )
        own = ROOT / line[3:].lstrip("/")
        wanted = {"memory", "pids"}
        if not wanted <= set((own / "cgroup.controllers").read_text().split()):
            return None, "the memory and pids controllers are not delegated here"
        grader = own / f"classroom-grader-{os.getpid()}"
        grader.mkdir(exist_ok=True)  # cgroups v2: processes live in leaves only
        (grader / "cgroup.procs").write_text(str(os.getpid()))
        (own / "cgroup.subtree_control").write_text("+memory +pids")
        return own, ""
    except (OSError, StopIteration) as error:
        return (
            None,
            f"cgroup v2 not writable ({getattr(error, 'strerror', '') or error})",
        )


def available() -> tuple[bool, str]:
    """(True, '') if notebooks get a cgroup each; else (False, the reason)."""
    parent, why = _parent()
    return parent is not None, why


class NotebookCgroup:
    """One notebook's cgroup: its limits, joining it, and the kill at the end."""

    def __init__(self, memory_mb: int, processes: int) -> None:
        parent, _ = _parent()
        self.path = parent / f"classroom-nb-{uuid.uuid4().hex[:12]}"
        self.path.mkdir()
        (self.path / "memory.max").write_text(str(memory_mb * 2**20))
        if (self.path / "memory.swap.max").exists():
            (self.path / "memory.swap.max").write_text("0")
        (self.path / "pids.max").write_text(str(processes))
        # opened now, written by the child: O_CREAT is a no-op on cgroupfs
        self.procs = os.open(self.path / "cgroup.procs", os.O_WRONLY | os.O_CREAT)

    def join(self) -> None:
        """In the child, before exec: move this process into the cgroup."""
        os.write(self.procs, b"0")

    def kill(self) -> None:
        """Kill every process left in it, then remove it."""
        os.close(self.procs)
        kill = self.path / "cgroup.kill"
        try:
            if kill.exists():
                kill.write_text("1")
            for pid in map(int, (self.path / "cgroup.procs").read_text().split()):
                if pid > 1:  # never 0 or 1: os.kill(0) is our own process group
                    os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
        for _ in range(50):
            try:
                self.path.rmdir()
                return
            except OSError:
                os.sched_yield()

    def peak_exceeded(self) -> bool:
        """Whether the notebook met its memory limit (memory.events: oom_kill)."""
        try:
            events = (self.path / "memory.events").read_text().split()
            return int(events[events.index("oom_kill") + 1]) > 0
        except (OSError, ValueError, IndexError):
            return False

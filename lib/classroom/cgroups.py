"""Per-notebook limits on memory and processes through a cgroup, where one can be had.

RLIMIT_AS limits each process, not a notebook: two children of 1.5 GiB pass a 2 GiB
limit. A cgroup limits them together and kills them together. Two kinds serve:

- cgroups v2 (the unified hierarchy): ``memory.max``, ``memory.swap.max``,
  ``pids.max`` and ``cgroup.kill``; it needs the memory and pids controllers delegated
  to the grader (root on a cgroup-v2 host, or a systemd user slice with delegation);
- cgroups v1 (one hierarchy per controller, as on older hosts and many VMs):
  ``memory.limit_in_bytes`` (and ``memory.memsw.limit_in_bytes``, no swap) in the
  memory hierarchy, ``pids.max`` in the pids hierarchy; it needs root.

Where neither can be written, ``available()`` says why and the grader keeps the
per-process limits (the report says which were in force).
"""

from __future__ import annotations

import functools
import os
import signal
import time
import uuid
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
MOUNTINFO = Path("/proc/self/mountinfo")
OWN = Path("/proc/self/cgroup")
WANTED = ("memory", "pids")


class Unified:
    """Where notebooks' cgroups go under cgroups v2: one folder with both limits."""

    kind = "cgroup v2"

    def __init__(self, own: Path) -> None:
        self.own = own

    def make(self, name: str, memory_mb: int, processes: int) -> list[Path]:
        path = self.own / name
        path.mkdir()
        (path / "memory.max").write_text(str(memory_mb * 2**20))
        if (path / "memory.swap.max").exists():
            (path / "memory.swap.max").write_text("0")
        (path / "pids.max").write_text(str(processes))
        return [path]

    def limits(self, memory_mb: int, processes: int) -> str:
        return f"memory.max {memory_mb} MiB, pids.max {processes}"


class Legacy:
    """Where they go under cgroups v1: a folder in the memory and in the pids tree."""

    kind = "cgroup v1"

    def __init__(self, memory: Path, pids: Path) -> None:
        self.memory, self.pids = memory, pids

    def make(self, name: str, memory_mb: int, processes: int) -> list[Path]:
        memory, pids = self.memory / name, self.pids / name
        memory.mkdir()
        pids.mkdir()
        limit = str(memory_mb * 2**20)
        (memory / "memory.limit_in_bytes").write_text(limit)
        if (memory / "memory.memsw.limit_in_bytes").exists():  # memory + swap
            (memory / "memory.memsw.limit_in_bytes").write_text(limit)
        (pids / "pids.max").write_text(str(processes))
        return [memory, pids]

    def limits(self, memory_mb: int, processes: int) -> str:
        return f"memory.limit_in_bytes {memory_mb} MiB, pids.max {processes}"


def _own_paths() -> dict[str, str]:
    """This process's cgroup path by controller ('' for v2's), from OWN."""
    paths = {}
    for line in OWN.read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            paths[controller] = path.lstrip("/")
    return paths


def _v1_mounts() -> dict[str, Path]:
    """Where each cgroup-v1 controller is mounted, from /proc/self/mountinfo."""
    mounts = {}
    for line in MOUNTINFO.read_text().splitlines():
        fields, _, rest = line.partition(" - ")
        kind, _, options = (rest.split(" ") + ["", ""])[:3]
        if kind == "cgroup" and fields.split(" ")[3] == "/":
            for option in options.split(","):
                mounts.setdefault(option, Path(fields.split(" ")[4]))
    return mounts


def _unified() -> Unified:
    own = ROOT / _own_paths()[""]
    if not set(WANTED) <= set((own / "cgroup.controllers").read_text().split()):
        raise PermissionError("the memory and pids controllers are not delegated here")
    grader = own / f"classroom-grader-{os.getpid()}"
    grader.mkdir(exist_ok=True)  # cgroups v2: processes live in leaves only
    (grader / "cgroup.procs").write_text(str(os.getpid()))
    (own / "cgroup.subtree_control").write_text("+memory +pids")
    return Unified(own)


def _legacy() -> Legacy:
    mounts, own = _v1_mounts(), _own_paths()
    missing = [c for c in WANTED if c not in mounts or c not in own]
    if missing:
        raise FileNotFoundError(f"no cgroup hierarchy for {' and '.join(missing)}")
    memory, pids = (mounts[c] / own[c] for c in WANTED)
    for path in (memory, pids):  # can we make notebooks' cgroups here?
        probe = path / f"classroom-probe-{os.getpid()}"
        probe.mkdir()
        probe.rmdir()
    return Legacy(memory, pids)


@functools.cache
def _parent() -> tuple[Unified | Legacy | None, str]:
    """Where notebooks get their cgroups, or None and why not."""
    unified = (ROOT / "cgroup.controllers").is_file()
    try:
        return (_unified() if unified else _legacy()), ""
    except (OSError, KeyError, ValueError) as error:
        kind = "cgroup v2" if unified else "cgroup v1"
        why = getattr(error, "strerror", None) or str(error)
        return None, f"{kind} not writable here ({why})"


def available() -> tuple[bool, str]:
    """(True, '') if notebooks get a cgroup each; else (False, the reason)."""
    parent, why = _parent()
    return parent is not None, why


def described(memory_mb: int, processes: int) -> str:
    """The limits a notebook's cgroup holds, for the report."""
    parent, _ = _parent()
    limits = parent.limits(memory_mb, processes)
    return f"{parent.kind}: {limits} for the whole notebook"


class NotebookCgroup:
    """One notebook's cgroup: its limits, joining it, and the kill at the end."""

    def __init__(self, memory_mb: int, processes: int) -> None:
        parent, _ = _parent()
        name = f"classroom-nb-{uuid.uuid4().hex[:12]}"
        self.paths = parent.make(name, memory_mb, processes)
        self.path = self.paths[0]
        # opened now, written by the child: O_CREAT is a no-op on cgroupfs
        flags = os.O_WRONLY | os.O_CREAT
        self.procs = [os.open(path / "cgroup.procs", flags) for path in self.paths]

    def join(self) -> None:
        """In the child, before exec: move this process into the cgroup."""
        for procs in self.procs:
            os.write(procs, str(os.getpid()).encode())

    def kill(self) -> None:
        """Kill every process left in it, then remove it."""
        for procs in self.procs:
            os.close(procs)
        if (self.path / "cgroup.kill").exists():
            _write(self.path / "cgroup.kill", "1")
        for _ in range(100):  # v1 has no cgroup.kill: kill until none is left
            if not _kill_listed(self.path / "cgroup.procs"):
                break
            time.sleep(0.01)
        for path in self.paths:
            _remove(path)

    def peak_exceeded(self) -> bool:
        """Whether the notebook met its memory limit (an OOM kill in the cgroup)."""
        for events in ("memory.events", "memory.oom_control"):
            try:
                words = (self.path / events).read_text().split()
                return int(words[words.index("oom_kill") + 1]) > 0
            except (OSError, ValueError, IndexError):
                continue
        return False


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text)
    except OSError:
        pass


def _kill_listed(procs: Path) -> bool:
    """SIGKILL every process listed; whether there was any."""
    try:
        pids = [pid for pid in map(int, procs.read_text().split()) if pid > 1]
    except OSError:
        return False
    for pid in pids:  # never 0 or 1: os.kill(0) is our own process group
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return bool(pids)


def _remove(path: Path) -> None:
    for _ in range(200):  # a killed process leaves its cgroup a moment later
        try:
            path.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.01)

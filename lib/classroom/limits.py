"""The limits a notebook runs under, and the account it runs as when the grader is root.

Per process (set in the child before it runs anything): address space, CPU time,
processes (RLIMIT_NPROC, counted per account: so the notebook never runs as root, for
whom Linux does not enforce it), file size, open files. ``limits_in_force`` words them
for the report, with the per-notebook limits of ``classroom.cgroups`` where those can be
had.
"""

from __future__ import annotations

import os
import pwd
import resource
from dataclasses import dataclass
from pathlib import Path

from classroom import cgroups

SANDBOX_USERS = ("classroom-sandbox", "nobody")


@dataclass
class Limits:
    timeout: float = 600.0  # seconds of wall-clock time per notebook
    memory_mb: int = 2048  # address space (assignment 4's solution runs in 1536)
    processes: int = 64  # more than the sandbox's account already runs
    file_mb: int = 64  # largest file the submission may write
    tmp_mb: int = 256  # its /tmp (bubblewrap)
    shm_mb: int = 64  # its /dev/shm (bubblewrap)
    max_output: int = 1_000_000  # characters of printed output kept per notebook
    check_seconds: float = (
        300.0  # the grader's checks of one notebook (a child process)
    )
    check_memory_mb: int = 2048  # their memory, beyond what the grader maps


def sandbox_user() -> tuple[int, int, str] | None:
    """(uid, gid, name) the notebook runs as when the grader is root; None otherwise."""
    if os.geteuid() != 0:
        return None
    for name in SANDBOX_USERS:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        if entry.pw_uid != 0:
            return entry.pw_uid, entry.pw_gid, name
    raise RuntimeError(
        "grading as root needs an unprivileged account for the notebooks: "
        "useradd --system classroom-sandbox, or grade as an ordinary user"
    )


def drop_privileges(user: tuple[int, int, str] | None) -> None:
    if user is not None:
        os.setgroups([])
        os.setgid(user[1])
        os.setuid(user[0])


def running_tasks(uid: int) -> int:
    """Processes and threads `uid` runs now (RLIMIT_NPROC counts them all)."""
    count = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    count += len(os.listdir(entry / "task"))
            except OSError:
                pass
    return count


def set_limits(limits: Limits, tasks: int) -> None:
    """In the child, before exec: the limits (processes: `tasks` + `processes`)."""
    mb = 2**20
    for which, value in (
        (resource.RLIMIT_AS, limits.memory_mb * mb),
        (resource.RLIMIT_CPU, int(limits.timeout) + 5),
        (resource.RLIMIT_NPROC, tasks + limits.processes),
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_FSIZE, limits.file_mb * mb),
        (resource.RLIMIT_NOFILE, 256),
    ):
        soft, hard = resource.getrlimit(which)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(which, (value, value))


def limits_in_force(
    limits: Limits, isolation: str, user, cgroup: bool, no_cgroup: str
) -> list[str]:
    """What the report says of the limits that held for a notebook."""
    who = f"uid {user[0]} ({user[2]})" if user else f"uid {os.getuid()}"
    said = [
        f"runs as {who}",
        f"wall time {limits.timeout:g} s (process group killed)",
        f"address space {limits.memory_mb} MiB per process",
        f"CPU time {int(limits.timeout) + 5} s per process",
        f"{limits.processes} processes more than {who} runs",
        f"files of at most {limits.file_mb} MiB",
        f"printed output {limits.max_output} characters",
    ]
    if isolation == "bubblewrap":
        said += [
            f"/tmp {limits.tmp_mb} MiB",
            f"/dev/shm {limits.shm_mb} MiB",
            "/proc/sys read-only",
        ]
    if cgroup:
        said.append(cgroups.described(limits.memory_mb, limits.processes))
    else:
        said.append(f"no per-notebook memory or process limit ({no_cgroup})")
    return said

"""Run one submission isolated: bubblewrap where it can run, else a scrubbed process
group.

Bubblewrap (``bwrap``, Debian package ``bubblewrap``) gives the submission new
namespaces of every kind (``--unshare-all``: no network, its own PID namespace, so
nothing it starts outlives it and it cannot signal the grader), a root folder that holds
only the system's programs and libraries, this Python, the data sets (read-only), a copy
of npgrad with the assignment's reference implementation withheld, mounted over the real
one, and a small private ``/tmp``; no instructor source, no other submission, no report;
a cleared environment; no capabilities. Where bwrap cannot run, the fallback is a new
process group in a private temporary folder with a scrubbed environment: it still has
the limits, but sees the files the grading account sees, so the report says which
isolation was used.

Limits (both ways): address space (RLIMIT_AS), CPU time (RLIMIT_CPU), processes and
threads (RLIMIT_NPROC, counted per user, so set to 64 more than the grading account
runs; Linux does not enforce it for root: grade as an ordinary user), size of any file
written, the wall-clock time, and the output kept.
"""

from __future__ import annotations

import functools
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Variables that pin NumPy's and OpenBLAS's kernels (tools/ci/pinned_env.py): passed
# through.
PINNED = ("NPY_DISABLE_CPU_FEATURES", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
CHANNEL_BYTES = 256 * 2**20  # what the sandbox may hand back
STREAM_BYTES = (
    64 * 1024
)  # of raw stdout/stderr (print() is captured per cell by the runner)


@dataclass
class Limits:
    timeout: float = 600.0  # seconds of wall-clock time per notebook
    memory_mb: int = 2048  # address space (assignment 4's solution runs in 1536)
    processes: int = 64  # more than the grading account already runs
    file_mb: int = 64  # largest file the submission may write
    tmp_mb: int = 256  # its /tmp (bubblewrap)
    max_output: int = 1_000_000  # characters of printed output kept per notebook


@dataclass
class Outcome:
    status: str  # ok, timed out, crashed
    records: list[dict]
    seconds: float
    isolation: str
    detail: str = ""
    stderr: str = ""
    cells: dict[int, dict] = field(default_factory=dict)


@functools.cache
def bwrap_works() -> bool:
    """Whether bubblewrap can make the sandbox here (installed, namespaces allowed)."""
    if not shutil.which("bwrap"):
        return False
    try:
        run = subprocess.run(
            _bwrap_args(Path(tempfile.gettempdir()), None, Limits()) + ["true"],
            capture_output=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return run.returncode == 0


def choose_isolation(requested: str = "auto") -> str:
    """'bubblewrap' or 'fallback'; RuntimeError if bubblewrap is required but fails."""
    if requested == "fallback":
        return "fallback"
    if bwrap_works():
        return "bubblewrap"
    if requested == "bubblewrap":
        raise RuntimeError(
            "bubblewrap cannot run here: install it (apt-get install bubblewrap) "
            "and allow user namespaces, or pass --isolation fallback"
        )
    return "fallback"


def _system_mounts() -> list[str]:
    args = []
    for top in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    interpreter = str(Path(sys.executable).resolve().parents[1])
    for prefix in dict.fromkeys([sys.prefix, sys.base_prefix, interpreter]):
        if not prefix.startswith("/usr"):
            args += ["--ro-bind", prefix, prefix]
    return args


def npgrad_locations() -> list[Path]:
    """Every folder named npgrad on this Python's path (the withheld copy masks all)."""
    found = []
    for entry in sys.path:
        candidate = Path(entry or ".").resolve() / "npgrad"
        if (candidate / "__init__.py").is_file():
            found.append(candidate)
    import npgrad

    found += [Path(p).resolve() for p in npgrad.__path__]
    return list(dict.fromkeys(found))


def _bwrap_args(lib_dir: Path, data_dir: Path | None, limits: Limits) -> list[str]:
    # /tmp first: a Python or data folder under /tmp is then bound over it, not hidden
    # by it.
    args = [
        "bwrap",
        "--unshare-all",
        "--die-with-parent",
        "--new-session",
        "--cap-drop",
        "ALL",
        "--clearenv",
        "--hostname",
        "sandbox",
        "--dev",
        "/dev",
        "--proc",
        "/proc",
        "--size",
        str(limits.tmp_mb * 2**20),
        "--tmpfs",
        "/tmp",
        "--dir",
        "/tmp/work",
        "--chdir",
        "/tmp/work",
        *_system_mounts(),
        "--ro-bind",
        str(lib_dir),
        "/sandbox/lib",
    ]
    if (lib_dir / "npgrad").is_dir():
        for real in npgrad_locations():
            args += ["--ro-bind", str(lib_dir / "npgrad"), str(real)]
    if data_dir is not None and data_dir.is_dir():
        args += ["--ro-bind", str(data_dir), "/data"]
    for key, value in _environment("/sandbox/lib", "/tmp/work", "/data").items():
        args += ["--setenv", key, value]
    return args


def _environment(lib: str, home: str, data: str) -> dict[str, str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": home,
        "PYTHONPATH": lib,
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8",
        "LANG": "C.UTF-8",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
        "NPGRAD_DATA": data,
        "TMPDIR": home,
    }
    env.update({key: os.environ[key] for key in PINNED if key in os.environ})
    return env


def running_tasks() -> int:
    """Processes and threads this user runs now (RLIMIT_NPROC counts them all)."""
    uid, count = os.getuid(), 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    count += len(os.listdir(entry / "task"))
            except OSError:
                pass
    return count


def _limit(limits: Limits, tasks: int) -> None:
    """In the child, before exec: the limits (processes: `tasks` + `processes`)."""
    mb = 2**20
    cpu = int(limits.timeout) + 5
    for which, value in (
        (resource.RLIMIT_AS, limits.memory_mb * mb),
        (resource.RLIMIT_CPU, cpu),
        (resource.RLIMIT_NPROC, tasks + limits.processes),
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_FSIZE, limits.file_mb * mb),
        (resource.RLIMIT_NOFILE, 256),
    ):
        soft, hard = resource.getrlimit(which)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(which, (value, value))


def run(
    runner_input: dict,
    lib_dir: Path,
    limits: Limits,
    isolation: str,
    data_dir: Path | None = None,
) -> Outcome:
    """Run classroom.runner on its input, isolated: what it handed back and why."""
    start = time.monotonic()
    tasks = running_tasks()
    read_fd, write_fd = os.pipe()
    with tempfile.TemporaryDirectory(prefix="classroom-run-") as private:
        os.chmod(private, 0o700)
        runner = [sys.executable, "-m", "classroom.runner"]
        if isolation == "bubblewrap":
            command, env, cwd = (
                _bwrap_args(lib_dir, data_dir, limits) + runner,
                {},
                private,
            )
        else:
            command = runner
            env = _environment(str(lib_dir), private, str(data_dir or private))
            cwd = private
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=(write_fd,),
            env=env,
            cwd=cwd,
            start_new_session=True,
            preexec_fn=lambda: _limit(limits, tasks),
        )
        os.close(write_fd)
        readers = {
            name: _Reader(stream, cap)
            for name, stream, cap in (
                ("channel", os.fdopen(read_fd, "rb"), CHANNEL_BYTES),
                ("stdout", process.stdout, STREAM_BYTES),
                ("stderr", process.stderr, STREAM_BYTES),
            )
        }
        _feed(process, {**runner_input, "channel": write_fd})
        status, detail = _wait(process, limits.timeout)
        _kill(process)
        for reader in readers.values():
            reader.join()
    records = _parse(readers["channel"].data)
    if status == "ok" and not any(r.get("done") is True for r in records):
        status, detail = (
            "crashed",
            detail or "the notebook ended before the grader's last cell",
        )
    return Outcome(
        status,
        records,
        time.monotonic() - start,
        isolation,
        detail,
        readers["stderr"].data.decode("utf-8", "replace")[-2000:],
    )


def _feed(process: subprocess.Popen, runner_input: dict) -> None:
    def write() -> None:
        try:
            process.stdin.write(json.dumps(runner_input).encode("utf-8"))
            process.stdin.close()
        except OSError:
            pass

    threading.Thread(target=write, daemon=True).start()


def _wait(process: subprocess.Popen, timeout: float) -> tuple[str, str]:
    try:
        code = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timed out", f"still running after {timeout:g} s"
    if code == 0:
        return "ok", ""
    if code < 0:
        name = (
            signal.Signals(-code).name
            if -code in signal.Signals._value2member_map_
            else str(-code)
        )
        return "crashed", f"killed by {name}"
    return "crashed", f"exit status {code}"


def _kill(process: subprocess.Popen) -> None:
    """Kill the whole process group (bwrap's PID namespace goes with it)."""
    for target in (lambda: os.killpg(process.pid, signal.SIGKILL), process.kill):
        try:
            target()
        except (ProcessLookupError, PermissionError, OSError):
            pass
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pass


class _Reader(threading.Thread):
    """Drain a pipe, keeping its first `cap` bytes."""

    def __init__(self, stream: Any, cap: int) -> None:
        super().__init__(daemon=True)
        self.stream, self.cap, self.chunks, self.size = stream, cap, [], 0
        self.start()

    def run(self) -> None:
        try:
            while chunk := self.stream.read1(1 << 16):
                if self.size < self.cap:
                    self.chunks.append(chunk[: self.cap - self.size])
                    self.size += len(self.chunks[-1])
        except (OSError, ValueError):
            pass
        finally:
            self.stream.close()

    @property
    def data(self) -> bytes:
        return b"".join(self.chunks)


def _parse(data: bytes) -> list[dict]:
    """The JSON objects of the channel, one a line; anything else is skipped."""
    records = []
    for line in data.split(b"\n"):
        try:
            record = json.loads(line.decode("utf-8"))
        except (ValueError, UnicodeDecodeError, RecursionError):
            continue
        if isinstance(record, dict):
            records.append(record)
    return records

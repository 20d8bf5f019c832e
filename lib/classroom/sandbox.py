"""Run one submission isolated: bubblewrap where it can run, else a scrubbed process
group.

Bubblewrap (``bwrap``, Debian package ``bubblewrap``) gives the submission new
namespaces of every kind (``--unshare-all``: no network, its own PID namespace, so
nothing it starts outlives it and it cannot signal the grader), a root folder that holds
only the system's programs and libraries, this Python, the data sets (read-only), a copy
of npgrad with the assignment's reference implementation withheld, mounted over the real
one, a small private ``/tmp`` and ``/dev/shm``, and ``/proc/sys`` read-only; no
instructor source, no other submission, no report; a cleared environment; no
capabilities.

The notebook never runs as root: a grader running as root starts it as ``SANDBOX_USER``
(``classroom-sandbox`` if that account exists, else ``nobody``), so that the host's
kernel settings, root's files and the process limit hold for it too.

Where bwrap cannot run, the fallback is a new process group in a private temporary
folder with a scrubbed environment (``FALLBACK_GIVES_UP`` says what that loses). Limits,
both ways: address space, CPU time, processes (RLIMIT_NPROC, counted per user), file
size, open files, the wall-clock time (the whole process group is killed, and the pipes
are read no longer than the limit), the output kept; and per notebook as a whole, memory
and processes through a cgroup (v2, or v1 as root) where one can be had
(``classroom.cgroups``).
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from classroom import cgroups
from classroom.channel import CHANNEL_BYTES, STREAM_BYTES, Reader, parse_records
from classroom.limits import (
    Limits,
    drop_privileges,
    limits_in_force,
    running_tasks,
    sandbox_user,
    set_limits,
)

# Variables that pin NumPy's and OpenBLAS's kernels (tools/ci/pinned_env.py).
PINNED = ("NPY_DISABLE_CPU_FEATURES", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
PIPE_GRACE = 2.0  # seconds the pipes are read after the notebook's process ended
FALLBACK_GIVES_UP = (
    "the fallback isolation keeps the limits but not the walls: the notebook sees the "
    "files its account sees (npgrad's own code included), has the network, and a "
    "process it starts in a new session can outlive it"
)


@dataclass
class Outcome:
    status: str  # ok, timed out, crashed
    records: list[dict]
    seconds: float
    isolation: str
    detail: str = ""
    stderr: str = ""
    notes: list[str] = field(default_factory=list)
    limits: list[str] = field(default_factory=list)


@functools.cache
def bwrap_works() -> bool:
    """Whether bubblewrap can make the sandbox here (installed, namespaces allowed)."""
    if not shutil.which("bwrap"):
        return False
    try:
        run = subprocess.run(
            _bwrap_args(Path("/"), None, Limits()) + ["true"],
            capture_output=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return run.returncode == 0


@functools.cache
def fallback_problem() -> str:
    """Why the fallback cannot run notebooks here ('' if it can).

    As root it runs them as the sandbox's account, which must reach this Python.
    """
    user = sandbox_user()
    if user is None:
        return ""
    probe = [sys.executable, "-c", "import json, numpy"]
    try:
        run = subprocess.run(
            probe,
            capture_output=True,
            timeout=60,
            cwd="/",
            preexec_fn=lambda: drop_privileges(user),
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        run = None
        why = str(error)
    if run is not None and run.returncode == 0:
        return ""
    why = why if run is None else run.stderr.decode(errors="replace").strip()[-200:]
    return (
        f"grading as root, the fallback runs notebooks as {user[2]}, who cannot run "
        f"{sys.executable} ({why}): install bubblewrap, grade as an ordinary user, "
        "or make this Python readable by all"
    )


def choose_isolation(requested: str = "auto", warn=None) -> str:
    """'bubblewrap' or 'fallback'; RuntimeError if the one required cannot run.

    ``auto`` falling back says so through ``warn`` (stderr by default): what it gives
    up.
    """
    if requested != "fallback" and bwrap_works():
        return "bubblewrap"
    if requested == "bubblewrap":
        raise RuntimeError(
            "bubblewrap cannot run here: install it (apt-get install "
            "bubblewrap) and allow user namespaces, or pass --isolation "
            "fallback"
        )
    if fallback_problem():
        raise RuntimeError(fallback_problem())
    if requested == "auto":
        warn = warn or (lambda text: print(text, file=sys.stderr))
        warn(
            f"warning: bubblewrap cannot run here, so {FALLBACK_GIVES_UP} "
            "(apt-get install bubblewrap, allow user namespaces)"
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
    user = sandbox_user()
    if user:  # no user namespace: the runner leaves root for the sandbox's account
        unshare = [
            "--unshare-ipc",
            "--unshare-pid",
            "--unshare-net",
            "--unshare-uts",
            "--unshare-cgroup-try",
            "--cap-drop",
            "ALL",
            "--cap-add",
            "CAP_SETUID",
            "--cap-add",
            "CAP_SETGID",
        ]
    else:
        unshare = ["--unshare-all", "--cap-drop", "ALL"]
    # /tmp first: a Python or data folder under /tmp is then bound over it, not hidden.
    args = [
        "bwrap",
        *unshare,
        "--die-with-parent",
        "--new-session",
        "--clearenv",
        "--hostname",
        "sandbox",
        "--dev",
        "/dev",
        "--perms",
        "1777",
        "--size",
        str(limits.shm_mb * 2**20),
        "--tmpfs",
        "/dev/shm",
        "--proc",
        "/proc",
        "--ro-bind",
        "/proc/sys",
        "/proc/sys",
        "--ro-bind-try",
        "/proc/sysrq-trigger",
        "/proc/sysrq-trigger",
        "--perms",
        "1777",
        "--size",
        str(limits.tmp_mb * 2**20),
        "--tmpfs",
        "/tmp",
        "--dir",
        "/tmp/work",
        "--chmod",
        "1777",
        "/tmp/work",
        "--chdir",
        "/tmp/work",
    ]
    binds = _system_mounts() + ["--ro-bind", str(lib_dir), "/sandbox/lib"]
    if (lib_dir / "npgrad").is_dir():
        for real in npgrad_locations():
            binds += ["--ro-bind", str(lib_dir / "npgrad"), str(real)]
    if data_dir is not None and data_dir.is_dir():
        binds += ["--ro-bind", str(data_dir), "/data"]
        for entry in data_dir.iterdir():  # a data set linked from elsewhere: that too
            if entry.is_symlink() and entry.resolve().is_dir():
                binds += ["--ro-bind", str(entry.resolve()), str(entry.resolve())]
    args += _open_parents(binds) + binds
    for key, value in _environment("/sandbox/lib", "/tmp/work", "/data").items():
        args += ["--setenv", key, value]
    if user:
        args += ["--setenv", "CLASSROOM_RUN_AS", f"{user[0]}:{user[1]}"]
    return args


def _open_parents(binds: list[str]) -> list[str]:
    """bwrap makes folders above a mount point 0700; the sandbox's account must pass."""
    targets = [binds[i + 2] for i, arg in enumerate(binds) if arg == "--ro-bind"]
    parents = {str(p) for t in targets for p in Path(t).parents if str(p) != "/"}
    tops = {"/tmp", "/usr", "/bin", "/lib", "/lib64", "/sbin", "/proc", "/dev"}
    args = []
    for parent in sorted(parents - tops, key=lambda p: p.count("/")):
        args += ["--perms", "0755", "--dir", parent]
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


def run(
    runner_input: dict,
    lib_dir: Path,
    limits: Limits,
    isolation: str,
    data_dir: Path | None = None,
) -> Outcome:
    """Run classroom.runner on its input, isolated: what it handed back and why."""
    start, user = time.monotonic(), sandbox_user()
    tasks = running_tasks(user[0] if user else os.getuid())
    has_cgroup, no_cgroup = cgroups.available()
    cgroup = (
        cgroups.NotebookCgroup(limits.memory_mb, limits.processes)
        if has_cgroup
        else None
    )
    read_fd, write_fd = os.pipe()
    with tempfile.TemporaryDirectory(prefix="classroom-run-") as private:
        os.chmod(private, 0o700)
        if user:
            os.chown(private, user[0], user[1])
        command, env = _command(lib_dir, data_dir, limits, isolation, private)

        def in_child() -> None:
            if cgroup:
                cgroup.join()
            set_limits(limits, tasks)
            if isolation != "bubblewrap":  # bwrap's runner leaves root by itself
                drop_privileges(user)

        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=(write_fd,),
            env=env,
            cwd=private,
            start_new_session=True,
            preexec_fn=in_child,
        )
        os.close(write_fd)
        readers = {
            "channel": Reader(read_fd, CHANNEL_BYTES),
            "stdout": Reader(_detach(process.stdout), STREAM_BYTES),
            "stderr": Reader(_detach(process.stderr), STREAM_BYTES),
        }
        _feed(process, {**runner_input, "channel": write_fd})
        status, detail = _wait(process, limits.timeout)
        notes = _end(process, cgroup, readers, limits)
    records, dropped = parse_records(readers["channel"].data, limits.max_output)
    notes += [f"the grader dropped {what}" for what in dropped]
    if status == "ok" and not any(r.get("done") is True for r in records):
        status = "crashed"
        detail = detail or "the notebook ended before the grader's last cell"
    stderr = readers["stderr"].data[-2000:].decode("utf-8", "backslashreplace")
    said = limits_in_force(limits, isolation, user, cgroup is not None, no_cgroup)
    return Outcome(
        status,
        records,
        time.monotonic() - start,
        isolation,
        detail,
        stderr,
        notes,
        said,
    )


def _command(
    lib_dir: Path, data_dir: Path | None, limits: Limits, isolation: str, private: str
) -> tuple[list[str], dict]:
    runner = [sys.executable, "-m", "classroom.runner"]
    if isolation == "bubblewrap":
        return _bwrap_args(lib_dir, data_dir, limits) + runner, {}
    return runner, _environment(str(lib_dir), private, str(data_dir or private))


def _detach(stream) -> int:
    """The stream's file descriptor, owned from now on by its Reader."""
    fd = os.dup(stream.fileno())
    stream.close()
    return fd


def _end(process: subprocess.Popen, cgroup, readers: dict, limits: Limits) -> list[str]:
    """Kill what is left of the notebook; stop reading pipes held open past the end."""
    _kill(process)
    notes = []
    if cgroup is not None:
        if cgroup.peak_exceeded():
            notes.append(f"the notebook met its memory limit ({limits.memory_mb} MiB)")
        cgroup.kill()
    held = [name for name, reader in readers.items() if not reader.finish(PIPE_GRACE)]
    if held:
        notes.append(
            "a process the notebook started outlived it and held its output "
            "open; the grader stopped reading it"
        )
    return notes


def _feed(process: subprocess.Popen, runner_input: dict) -> None:
    def write() -> None:
        try:
            process.stdin.write(json.dumps(runner_input).encode("utf-8"))
            process.stdin.close()
        except (OSError, ValueError):
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
        known = -code in signal.Signals._value2member_map_
        return "crashed", f"killed by {signal.Signals(-code).name if known else -code}"
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

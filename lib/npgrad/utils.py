"""Helpers that npgrad and the course's tools share: writing a file atomically."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

STALE_AFTER = 3600.0  # seconds: a temporary file this old was left by a killed write


@contextlib.contextmanager
def atomic_write(
    path: str | os.PathLike[str],
    mode: str = "wb",
    permissions: int = 0o644,
    **open_args: Any,
) -> Iterator[IO[Any]]:
    """Write path whole or not at all: `with atomic_write(path, "w") as f:
    f.write(text)`.

    The block writes a temporary file in path's folder (the same file system, so the
    rename cannot fail halfway); on success it is flushed to disk and os.replace puts it
    at path in one step, so a reader sees the old file or the new one, never part of
    one. If the block raises, path is untouched and the temporary file deleted; one a
    killed process left behind is deleted by a later write of path, once an hour old.
    mode is "wb" or "w"; the file gets permissions (0o600 for a private one); open_args
    (encoding, errors, newline) go to open. The folder must exist.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_write: mode must be 'w' or 'wb', got {mode!r}")
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, mode, **open_args) as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.chmod(tmp, permissions)  # mkstemp makes it 0o600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _remove_stale_parts(path)


def _remove_stale_parts(path: Path) -> None:
    """Delete temporary files that killed earlier writes of path left behind.

    Younger ones may belong to a write still running in another process, so they stay.
    """
    for part in path.parent.glob(f".{path.name}.*.part"):
        with contextlib.suppress(OSError):  # gone already, or not ours to delete
            if time.time() - part.stat().st_mtime > STALE_AFTER:
                part.unlink()

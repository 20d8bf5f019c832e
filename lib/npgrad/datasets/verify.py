"""Checking what a source delivered: SHA256 against the expected digest, gzip within a
size.

Every file is checked against the SHA256 of its decompressed bytes, whichever source it
came from; a file that fails is never used.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import zlib
from pathlib import Path


class DatasetError(RuntimeError):
    """A dataset could not be read, verified or fetched."""


class SourceError(DatasetError):
    """One source could not deliver a file; the next source is tried."""


class UnsafePickleError(SourceError):
    """A pickle asked for something other than numpy arrays; it was not loaded."""


class ChecksumError(DatasetError):
    """A file's SHA256 is not the expected one, so the file was not used."""

    def __init__(self, what: str, expected: str, actual: str) -> None:
        super().__init__(
            f"{what}: SHA256 mismatch, so it was not used\n      expected {expected}\n "
            f"     actual   {actual}\n    The copy is damaged or is not the official "
            "file. Delete it, or repair its source, and run `python -m npgrad.datasets "
            "fetch` again."
        )
        self.expected, self.actual = expected, actual


class DatasetNotFoundError(DatasetError):
    """No source could deliver a verified copy of some file."""


def read_verified(path: Path, expected: str) -> bytes:
    """The file's bytes, if their SHA256 is the expected one (else ChecksumError; an
    unreadable file raises OSError)."""
    data = path.read_bytes()
    verify(data, expected, str(path))
    return data


def verify(data: bytes, expected: str, what: str) -> None:
    """Raise ChecksumError unless sha256(data) == expected."""
    actual = sha256(data)
    if actual != expected:
        raise ChecksumError(what, expected, actual)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# The largest official file, the training images, is 47,040,016 bytes decompressed.
MAX_IDX_BYTES = 64 * 2**20


def gunzip(data: bytes, what: str, limit: int = MAX_IDX_BYTES) -> bytes:
    """gzip.decompress, refusing bad input and anything that inflates past `limit` bytes
    (a gzip bomb from a tampered source), with a SourceError naming the file."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as file:
            out = file.read(limit + 1)
    except (OSError, EOFError, zlib.error) as error:
        raise SourceError(f"{what}: not a valid gzip file ({error})") from error
    if len(out) > limit:
        raise SourceError(
            f"{what}: decompresses to more than {limit:,} bytes, larger than any "
            "file of the dataset; refused"
        )
    return out

"""The IDX file format of MNIST and Fashion-MNIST: parse and write, with checks.

An IDX file is a 4-byte magic number (0, 0, type code, rank), then one big-endian
uint32 per dimension, then the values, big-endian, in C order.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

# type code -> big-endian dtype, as in the format's definition
DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
CODES = {dtype.newbyteorder("="): code for code, dtype in DTYPES.items()}


class IDXError(ValueError):
    """The bytes are not a well-formed IDX file."""


def parse_idx(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """IDX bytes -> a writable native-endian array of the stored dtype and shape."""
    dtype, shape = _parse_header(data, name)
    offset = 4 + 4 * len(shape)
    expected = offset + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        raise IDXError(
            f"{name}: {len(data)} bytes, but a header of shape {shape} and dtype "
            f"{dtype.name} needs exactly {expected}; the file is truncated or has "
            "trailing bytes"
        )
    values = np.frombuffer(data, dtype=dtype, offset=offset).reshape(shape)
    return values.astype(dtype.newbyteorder("="))


def _parse_header(data: bytes, name: str) -> tuple[np.dtype, tuple[int, ...]]:
    """Check the magic number and read (dtype, shape) from the header."""
    if len(data) < 4:
        raise IDXError(
            f"{name}: {len(data)} bytes, too short for an IDX header (4 bytes at least)"
        )
    if data[:2] == b"\x1f\x8b":
        raise IDXError(f"{name}: this is gzip-compressed; decompress it first (gunzip)")
    zero, code, rank = int.from_bytes(data[:2], "big"), data[2], data[3]
    if zero != 0 or code not in DTYPES:
        raise IDXError(
            f"{name}: wrong magic number 0x{data[:4].hex()}; an IDX file starts with "
            f"0x0000, then a type code in {[hex(c) for c in DTYPES]}, then the rank"
        )
    if len(data) < 4 + 4 * rank:
        raise IDXError(
            f"{name}: truncated inside the header ({rank} dimensions announced)"
        )
    shape = tuple(
        int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(rank)
    )
    return DTYPES[code], shape


def encode_idx(array: np.ndarray) -> bytes:
    """array -> IDX bytes (the inverse of parse_idx)."""
    array = np.asarray(array)
    code = CODES.get(array.dtype.newbyteorder("="))
    if code is None:
        raise IDXError(
            f"IDX cannot store dtype {array.dtype}; use one of {list(CODES)}"
        )
    header = bytes([0, 0, code, array.ndim]) + b"".join(
        n.to_bytes(4, "big") for n in array.shape
    )
    return header + array.astype(DTYPES[code], copy=False).tobytes(order="C")


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file, gunzipping it first when its name ends in .gz."""
    path = Path(path)
    data = path.read_bytes()
    if path.suffix == ".gz":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as error:  # truncated or not gzip at all
            raise IDXError(
                f"{path}: not a complete gzip file ({error}); download it again"
            ) from None
    return parse_idx(data, name=str(path))

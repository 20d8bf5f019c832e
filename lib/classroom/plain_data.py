"""Plain data across the sandbox wall: JSON with NumPy arrays as base64 ``.npy`` bytes.

What a student's function returns travels from the sandbox to the grader as data only:
None, bool, int, float, str, NumPy arrays and scalars (numeric or boolean dtypes), and
tuples, lists and string-keyed dicts of those. Nothing is unpickled: arrays are read
with ``allow_pickle=False``, so decoding never runs code.
"""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import numpy as np

MAX_DEPTH = 20
MAX_ITEMS = 100_000
ALLOWED_KINDS = "biufc"  # bool, signed, unsigned, float, complex


class NotPlainData(TypeError):
    """A value that cannot cross the wall (a Tensor, a Module, a function, ...)."""


def encode(value: Any) -> Any:
    """A JSON-ready form of value; raises NotPlainData for anything else."""
    return _encode(value, 0, [0])


def _encode(value: Any, depth: int, count: list[int]) -> Any:
    count[0] += 1
    if depth > MAX_DEPTH or count[0] > MAX_ITEMS:
        raise NotPlainData("the value is nested too deeply or holds too many items")
    if value is None or isinstance(value, bool | str):
        return value
    if type(value) is int:
        return {"int": str(value)}
    if type(value) is float:
        return {"float": repr(value)}
    if isinstance(value, np.ndarray | np.generic):
        array = np.asarray(value)
        if array.dtype.kind not in ALLOWED_KINDS:
            raise NotPlainData(
                f"an array of dtype {array.dtype} (numbers or booleans only)"
            )
        buffer = io.BytesIO()
        np.save(buffer, array, allow_pickle=False)
        key = "ndarray" if isinstance(value, np.ndarray) else "scalar"
        return {key: base64.b64encode(buffer.getvalue()).decode("ascii")}
    if type(value) in (tuple, list):
        items = [_encode(v, depth + 1, count) for v in value]
        return {"tuple": items} if type(value) is tuple else {"list": items}
    if type(value) is dict and all(type(k) is str for k in value):
        return {"dict": {k: _encode(v, depth + 1, count) for k, v in value.items()}}
    raise NotPlainData(
        f"a {type(value).__name__}, which the grader cannot compare "
        "(return NumPy arrays, numbers, or tuples and lists of them)"
    )


def decode(data: Any) -> Any:
    """The value encode() described; raises ValueError on anything malformed."""
    return _decode(data, 0)


def _decode(data: Any, depth: int) -> Any:
    if depth > MAX_DEPTH + 1:
        raise ValueError("nested too deeply")
    if data is None or isinstance(data, bool | str):
        return data
    if not isinstance(data, dict) or len(data) != 1:
        raise ValueError(f"not an encoded value: {type(data).__name__}")
    ((kind, inner),) = data.items()
    if kind == "int" and isinstance(inner, str) and len(inner) < 5000:
        return int(inner)
    if kind == "float" and isinstance(inner, str):
        return float(inner)
    if kind in ("ndarray", "scalar") and isinstance(inner, str):
        array = np.load(
            io.BytesIO(base64.b64decode(inner, validate=True)), allow_pickle=False
        )
        if array.dtype.kind not in ALLOWED_KINDS:
            raise ValueError(f"an array of dtype {array.dtype}")
        return array if kind == "ndarray" else array[()]
    if kind in ("tuple", "list") and isinstance(inner, list):
        items = [_decode(v, depth + 1) for v in inner]
        return tuple(items) if kind == "tuple" else items
    if kind == "dict" and isinstance(inner, dict):
        return {str(k): _decode(v, depth + 1) for k, v in inner.items()}
    raise ValueError(f"not an encoded value: {kind!r}")


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))

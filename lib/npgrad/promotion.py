"""PyTorch's type promotion: the dtype of an op's result from its operands' dtypes.

Unlike NumPy's rule, a Python number or a 0-dim tensor never widens a tensor with
dimensions of the same kind: `float32_tensor * 0.1` stays float32.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from npgrad.tensor import DEFAULT_DTYPE, Tensor, as_array


def result_type(*operands: Any) -> np.dtype:
    """The dtype of an op's result, by PyTorch's rule (NumPy constants: see the last
    sentence).

    Kinds rank bool < integer < floating. Tensors with dimensions decide (the widest of
    them); a 0-dim tensor, then a Python number, changes the result only if it is of a
    higher kind, a Python int as int64 and a Python float as DEFAULT_DTYPE. So
    `int_tensor * 0.5` is float32, `float64_tensor * 0.1` stays float64 and
    `int32_tensor + 1` int32. A NumPy constant takes the dtype of the floating tensors
    it meets, or counts as a tensor if none.
    """
    floating = any(
        [isinstance(x, Tensor) and x.data.dtype.kind == "f" for x in operands]
    )
    dims = zero = weak = None
    for x in operands:
        if isinstance(x, bool | int | float):  # np.float64 too: it is a Python float
            weak = _wider(weak, _python_dtype(x))
            continue
        if not isinstance(x, Tensor):
            if floating:
                continue
            x = as_array(x)
        if x.ndim:
            dims = _wider(dims, x.dtype)
        else:
            zero = _wider(zero, x.dtype)
    result = _if_higher_kind(dims, _if_higher_kind(zero, weak))
    return np.dtype(DEFAULT_DTYPE) if result is None else result


# bool < integer < floating (< anything else)
_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2}


def _kind_rank(dtype: np.dtype) -> int:
    return _KIND_RANK.get(dtype.kind, 3)


def _python_dtype(x: bool | int | float) -> np.dtype:
    if isinstance(x, bool):
        return np.dtype(np.bool_)
    return np.dtype(np.int64 if isinstance(x, int) else DEFAULT_DTYPE)


def _wider(a: np.dtype | None, b: np.dtype) -> np.dtype:
    """Of one kind, the wider dtype (NumPy's rule); across kinds, the higher kind's."""
    if a is None or a == b:
        return b
    if _kind_rank(a) == _kind_rank(b):
        return np.promote_types(a, b)
    return a if _kind_rank(a) > _kind_rank(b) else b


def _if_higher_kind(dtype: np.dtype | None, lower: np.dtype | None) -> np.dtype | None:
    """dtype, unless the lower-priority operands' dtype is of a higher kind."""
    if dtype is None or lower is None:
        return lower if dtype is None else dtype
    return lower if _kind_rank(lower) > _kind_rank(dtype) else dtype


def to_float(x: np.ndarray) -> np.ndarray:
    """x if floating point, else x in DEFAULT_DTYPE (as PyTorch's exp of ints)."""
    return x if x.dtype.kind == "f" else x.astype(DEFAULT_DTYPE)

"""Ways to make a tensor: from data, filled with a constant, or random from a
generator that is passed in."""

from __future__ import annotations

from typing import Any

import numpy as np

from npgrad.tensor import DEFAULT_DTYPE, Tensor, as_array, as_shape


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None) -> Tensor:
    """A new tensor holding a copy of data (Python floats become float32, as in
    torch.tensor)."""
    return Tensor(as_array(data, dtype).copy(), requires_grad)


def zeros(
    *shape: int, requires_grad: bool = False, dtype: Any = DEFAULT_DTYPE
) -> Tensor:
    return Tensor(np.zeros(as_shape(shape), dtype=dtype), requires_grad)


def ones(
    *shape: int, requires_grad: bool = False, dtype: Any = DEFAULT_DTYPE
) -> Tensor:
    return Tensor(np.ones(as_shape(shape), dtype=dtype), requires_grad)


def zeros_like(x: Tensor, requires_grad: bool = False) -> Tensor:
    return Tensor(np.zeros_like(x.data), requires_grad)


def ones_like(x: Tensor, requires_grad: bool = False) -> Tensor:
    return Tensor(np.ones_like(x.data), requires_grad)


def randn(
    *shape: int,
    rng: np.random.Generator | int | None = None,
    requires_grad: bool = False,
    dtype: Any = DEFAULT_DTYPE,
) -> Tensor:
    """Standard normal samples drawn from rng (a numpy Generator or a seed)."""
    sample = np.random.default_rng(rng).standard_normal(as_shape(shape))
    return Tensor(sample.astype(dtype), requires_grad)

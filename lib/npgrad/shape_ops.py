"""Ops that move elements without computing: reshape, permute, indexing, cat and stack.

Each backward routes the gradient back to where its element came from; they are
reachable as npgrad.functional.reshape etc., as in PyTorch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from npgrad.tensor import Function, Tensor, _promote, as_array, as_shape


class Reshape(Function):
    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.in_shape = x.shape
        try:
            return x.reshape(self.shape)
        except ValueError:
            raise ValueError(
                f"reshape: cannot view shape {x.shape} ({x.size} elements) as "
                f"{self.shape}"
            ) from None

    def backward(self, grad):
        return grad.reshape(self.in_shape)


class Permute(Function):
    def __init__(self, dims):
        self.dims = dims

    def forward(self, x):
        if sorted(self.dims) != list(range(x.ndim)):
            raise ValueError(
                f"permute: {self.dims} is not an ordering of the {x.ndim} dims of "
                f"{x.shape}"
            )
        return np.transpose(x, self.dims)

    def backward(self, grad):
        return np.transpose(grad, np.argsort(self.dims))


class GetItem(Function):
    """x[index]; backward scatters into zeros with np.add.at: repeated indices add."""

    def __init__(self, index):
        self.index = index

    def forward(self, x):
        self.shape, self.dtype = x.shape, x.dtype
        return x[self.index]

    def backward(self, grad):
        full = np.zeros(self.shape, dtype=self.dtype)
        np.add.at(full, self.index, grad)
        return full


class Join(Function):
    """cat and stack: inputs promoted by PyTorch's rule, errors that name the op."""

    op, rule = "", ""

    def __init__(self, dim=0):
        self.dim = dim

    @classmethod
    def apply(cls, *xs: Any, dim: int = 0) -> Tensor:
        if not xs:
            raise ValueError(f"{cls.op}: expected a non-empty sequence of tensors")
        try:
            return super().apply(*_promote(xs), dim=dim)
        except (ValueError, IndexError) as error:  # NumPy's AxisError is both
            shapes = ", ".join(str(np.shape(as_array(x))) for x in xs)
            raise ValueError(
                f"{cls.op}: cannot join shapes {shapes} along dim {dim}: {cls.rule} "
                f"({error})"
            ) from None


class Concatenate(Join):
    op, rule = "cat", "all dimensions but dim must be equal"

    def forward(self, *xs):
        self.splits = np.cumsum([x.shape[self.dim] for x in xs])[:-1]
        return np.concatenate(xs, axis=self.dim)

    def backward(self, grad):
        return tuple(np.split(grad, self.splits, axis=self.dim))


class Stack(Join):
    op, rule = "stack", "the tensors must all have the same shape"

    def forward(self, *xs):
        return np.stack(xs, axis=self.dim)

    def backward(self, grad):
        return tuple(np.moveaxis(grad, self.dim, 0))


def reshape(x, *shape) -> Tensor:
    return Reshape.apply(x, shape=as_shape(shape))


view = reshape


def flatten(x, start_dim=0, end_dim=-1) -> Tensor:
    shape = as_array(x).shape
    start, end = start_dim % (len(shape) or 1), end_dim % (len(shape) or 1)
    return reshape(x, shape[:start] + (-1,) + shape[end + 1 :])


def permute(x, *dims) -> Tensor:
    return Permute.apply(x, dims=as_shape(dims))


def transpose(x, dim0=0, dim1=1) -> Tensor:
    dims = list(range(as_array(x).ndim))
    dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
    return Permute.apply(x, dims=tuple(dims))


def getitem(x, index) -> Tensor:
    return GetItem.apply(x, index=_plain_index(index))


def _plain_index(index):
    """Tensors inside an index become their arrays (x[mask], x[idx])."""
    if isinstance(index, tuple):
        return tuple(_plain_index(i) for i in index)
    return index.data if isinstance(index, Tensor) else index


def cat(tensors, dim=0) -> Tensor:
    return Concatenate.apply(*tensors, dim=dim)


concatenate = cat


def stack(tensors, dim=0) -> Tensor:
    return Stack.apply(*tensors, dim=dim)

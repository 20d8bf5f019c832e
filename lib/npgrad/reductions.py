"""Reductions and softmax: sum, mean, max, logsumexp, softmax, log_softmax along a dim.

A reduction's backward puts the reduced axes back (`_expand`) so the gradient broadcasts
against the input; they are reachable as npgrad.functional.sum etc., as in PyTorch.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from npgrad.promotion import to_float
from npgrad.tensor import Function, Tensor, as_array


def _dims(dim, keepdim, axis=None, keepdims=None):
    """PyTorch's (dim, keepdim), also accepting NumPy's (axis, keepdims)."""
    dim = axis if axis is not None else dim
    keepdim = keepdims if keepdims is not None else keepdim
    return (tuple(dim) if isinstance(dim, list) else dim), bool(keepdim)


def _expand(grad: np.ndarray, shape: tuple, dim, keepdim: bool) -> np.ndarray:
    """Put the reduced axes back, of size 1: grad broadcasts against x."""
    if dim is None or keepdim:
        return grad.reshape([1] * len(shape)) if dim is None else grad
    return np.expand_dims(grad, dim)


class Sum(Function):
    def __init__(self, dim=None, keepdim=False):
        self.dim, self.keepdim = dim, keepdim

    def forward(self, x):
        self.shape = x.shape
        return x.sum(axis=self.dim, keepdims=self.keepdim)

    def backward(self, grad):
        return np.broadcast_to(
            _expand(grad, self.shape, self.dim, self.keepdim), self.shape
        )


class Mean(Sum):
    def forward(self, x):
        total = super().forward(x)
        self.count = x.size // (total.size or 1)
        return total / self.count

    def backward(self, grad):
        return super().backward(grad) / self.count


class Max(Function):
    """Largest value along dim; ties share the gradient (torch.amax, torch.max(x))."""

    def __init__(self, dim=None, keepdim=False):
        self.dim, self.keepdim = dim, keepdim

    def forward(self, x):
        y = np.max(x, axis=self.dim, keepdims=True)
        winners = (x == y).astype(x.dtype)
        self.winners = winners / winners.sum(axis=self.dim, keepdims=True)
        return y if self.keepdim else np.squeeze(y, axis=self.dim)

    def backward(self, grad):
        return _expand(grad, self.winners.shape, self.dim, self.keepdim) * self.winners


class MaxWithIndices(Function):
    """torch.max(x, dim).values: the gradient goes to the returned index alone."""

    def __init__(self, dim, keepdim, index):
        self.dim, self.keepdim, self.index = dim, keepdim, np.expand_dims(index, dim)

    def forward(self, x):
        self.shape, self.dtype = x.shape, x.dtype
        y = np.take_along_axis(x, self.index, axis=self.dim)
        return y if self.keepdim else np.squeeze(y, axis=self.dim)

    def backward(self, grad):
        full = np.zeros(self.shape, dtype=self.dtype)
        grad = grad if self.keepdim else np.expand_dims(grad, self.dim)
        np.put_along_axis(full, self.index, grad, axis=self.dim)
        return full


class LogSumExp(Function):
    """log sum_i exp(x_i), computed as m + log sum_i exp(x_i - m) with m = max x (0 if
    infinite: -inf for a row of -inf, inf for a row holding inf, as in PyTorch)."""

    def __init__(self, dim=None, keepdim=False):
        self.dim, self.keepdim = dim, keepdim

    def forward(self, x):
        x = to_float(x)
        m = np.max(x, axis=self.dim, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)
        with np.errstate(
            divide="ignore", invalid="ignore"
        ):  # log(0) = -inf, inf - inf = nan
            lse = m + np.log(np.exp(x - m).sum(axis=self.dim, keepdims=True))
            self.softmax = np.exp(x - lse)
        return lse if self.keepdim else np.squeeze(lse, axis=self.dim)

    def backward(self, grad):
        return _expand(grad, self.softmax.shape, self.dim, self.keepdim) * self.softmax


def sum(x, dim=None, keepdim=False, *, axis=None, keepdims=None) -> Tensor:  # noqa: A001
    dim, keepdim = _dims(dim, keepdim, axis, keepdims)
    return Sum.apply(x, dim=dim, keepdim=keepdim)


def mean(x, dim=None, keepdim=False, *, axis=None, keepdims=None) -> Tensor:
    dim, keepdim = _dims(dim, keepdim, axis, keepdims)
    return Mean.apply(x, dim=dim, keepdim=keepdim)


def amax(x, dim=None, keepdim=False) -> Tensor:
    dim, keepdim = _dims(dim, keepdim)
    return Max.apply(x, dim=dim, keepdim=keepdim)


MaxResult = namedtuple("MaxResult", ["values", "indices"])


def max(x, dim=None, keepdim=False, *, axis=None, keepdims=None):  # noqa: A001
    """The largest element; with dim, as in PyTorch, the pair (values, indices) along
    dim.

    At a tie the index is the first largest one and it alone gets the gradient
    (torch.max); amax, and max without dim, share the gradient equally among the ties.
    """
    dim, keepdim = _dims(dim, keepdim, axis, keepdims)
    if dim is None:
        return Max.apply(x, dim=dim, keepdim=keepdim)
    if not isinstance(dim, int):
        raise TypeError(
            f"max: dim must be one int, got {dim!r}; use amax for several dims"
        )
    index = np.argmax(as_array(x), axis=dim)
    values = MaxWithIndices.apply(x, dim=dim, keepdim=keepdim, index=index)
    return MaxResult(values, Tensor(np.expand_dims(index, dim) if keepdim else index))


def logsumexp(x, dim=None, keepdim=False) -> Tensor:
    dim, keepdim = _dims(dim, keepdim)
    return LogSumExp.apply(x, dim=dim, keepdim=keepdim)


# ------------------------------------------------------------------------------ softmax


class Softmax(Function):
    """softmax(x)_i = exp(x_i - max x) / sum_j exp(x_j - max x), along dim."""

    def __init__(self, dim=-1):
        self.dim = dim

    def forward(self, x):
        e = np.exp(x - np.max(x, axis=self.dim, keepdims=True))
        self.y = e / e.sum(axis=self.dim, keepdims=True)
        return self.y

    def backward(self, grad):
        dot = (grad * self.y).sum(axis=self.dim, keepdims=True)
        return self.y * (grad - dot)


class LogSoftmax(Function):
    """log_softmax(x)_i = x_i - logsumexp(x), along dim."""

    def __init__(self, dim=-1):
        self.dim = dim

    def forward(self, x):
        m = np.max(x, axis=self.dim, keepdims=True)
        y = x - m - np.log(np.exp(x - m).sum(axis=self.dim, keepdims=True))
        self.softmax = np.exp(y)
        return y

    def backward(self, grad):
        return grad - self.softmax * grad.sum(axis=self.dim, keepdims=True)


def softmax(x, dim=-1) -> Tensor:
    return Softmax.apply(x, dim=dim)


def log_softmax(x, dim=-1) -> Tensor:
    return LogSoftmax.apply(x, dim=dim)

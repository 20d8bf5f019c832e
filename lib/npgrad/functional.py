"""The differentiable operations: each Function's forward beside its backward.

Arithmetic, matmul and the elementwise functions live here; reductions and softmax in
reductions.py, reshaping and indexing in shape_ops.py, the losses in losses.py, all
reachable from this module as in PyTorch's torch.nn.functional.

Gradients come back in the shape of the broadcast result; the engine (tensor.py) sums
them back to each input's shape, so no op here deals with broadcasting in its backward.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from npgrad.blas import matmul as mm
from npgrad.promotion import to_float
from npgrad.tensor import Function, Tensor, _promote

# --------------------------------------------------------------------------- arithmetic


class BinaryElementwise(Function):
    """An elementwise op of two inputs: both converted to the dtype of PyTorch's rule
    (`result_type` in promotion.py); shapes that do not broadcast get a clear error."""

    @classmethod
    def apply(cls, a: Any, b: Any, **params: Any) -> Tensor:
        if not (
            isinstance(a, Tensor)
            and isinstance(b, Tensor)
            and a.data.dtype is b.data.dtype
        ):
            a, b = _promote(
                (a, b)
            )  # a constant, or two dtypes: PyTorch's rule, not NumPy's
        try:
            return super().apply(a, b, **params)
        except ValueError:
            if _broadcasts(a.shape, b.shape):
                raise
            raise ValueError(
                f"{cls.__name__.lower()}: shapes {a.shape} and {b.shape} do not "
                "broadcast (trailing dimensions must be equal or 1); reshape one of "
                "them"
            ) from None


def _broadcasts(*shapes: tuple[int, ...]) -> bool:
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        return False
    return True


class Add(BinaryElementwise):
    def forward(self, a, b):
        return a + b

    def backward(self, grad):
        return grad, grad


class Sub(BinaryElementwise):
    def forward(self, a, b):
        return a - b

    def backward(self, grad):
        return grad, -grad


class Mul(BinaryElementwise):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, grad):
        ga = _grad_if_needed(self, 0, lambda: grad * self.b)
        gb = _grad_if_needed(self, 1, lambda: grad * self.a)
        return ga, gb


class Div(BinaryElementwise):
    def forward(self, a, b):
        a, b = to_float(a), to_float(b)  # true division of integers: floats, as PyTorch
        self.a, self.b = a, b
        return a / b

    def backward(self, grad):
        ga = _grad_if_needed(self, 0, lambda: grad / self.b)
        gb = _grad_if_needed(self, 1, lambda: -grad * self.a / (self.b * self.b))
        return ga, gb


class Maximum(BinaryElementwise):
    """max(a, b) elementwise; at a tie each side gets half the gradient, as in PyTorch
    (and where one is NaN, both get all of it)."""

    def forward(self, a, b):
        half = np.where(a == b, 0.5, 1.0).astype(a.dtype, copy=False)
        self.share_a, self.share_b = half * ~(a < b), half * ~(a > b)
        return np.maximum(a, b)

    def backward(self, grad):
        return grad * self.share_a, grad * self.share_b


class Neg(Function):
    def forward(self, x):
        return -x

    def backward(self, grad):
        return -grad


class Pow(Function):
    """x ** p for a constant p: d/dx = p x^(p-1), and 0 for p = 0 (even at x = 0)."""

    def __init__(self, exponent: float):
        if isinstance(exponent, Tensor | np.ndarray):
            raise TypeError(
                "pow: the exponent must be a Python number; use exp(b * log(x))"
            )
        self.p = exponent

    def forward(self, x):
        if isinstance(self.p, float):
            x = to_float(x)  # a float power of integers is a float, as in PyTorch
        self.x = x
        return _power(x, self.p)

    def backward(self, grad):
        if self.p == 0:
            return np.zeros_like(
                grad
            )  # x**0 = 1 is constant, also at x = 0 where x**-1 is inf
        return grad * self.p * _power(self.x, self.p - 1)


def _power(x: np.ndarray, p: float) -> np.ndarray:
    """x**p; the powers 0.5 and -0.5 as sqrt and 1/sqrt, as PyTorch (sqrt(-inf) is NaN,
    not inf)."""
    if p == 0.5:
        return np.sqrt(x)
    return 1 / np.sqrt(x) if p == -0.5 else x**p


class Cast(Function):
    """x in another dtype (type promotion uses it); the engine casts grad back."""

    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, x):
        return x.astype(self.dtype)

    def backward(self, grad):
        return grad


def _grad_if_needed(fn: Function, i: int, grad_of_input):
    """Compute input i's gradient only if it requires one (saves matmuls)."""
    return grad_of_input() if fn.needs_grad[i] else None


def add(a, b) -> Tensor:
    return Add.apply(a, b)


def sub(a, b) -> Tensor:
    return Sub.apply(a, b)


def mul(a, b) -> Tensor:
    return Mul.apply(a, b)


def div(a, b) -> Tensor:
    return Div.apply(a, b)


def maximum(a, b) -> Tensor:
    return Maximum.apply(a, b)


def neg(x) -> Tensor:
    return Neg.apply(x)


def pow(x, exponent: float) -> Tensor:  # noqa: A001 - PyTorch's name
    return Pow.apply(x, exponent=exponent)


# ------------------------------------------------------------------------------- matmul


class MatMul(Function):
    """C = A @ B (2-D or batched): dA = dC @ B^T, dB = A^T @ dC.

    mm(a, b) is a @ b (in the browser through SciPy's BLAS: see blas.py)."""

    def forward(self, a, b):
        _check_matmul(a.shape, b.shape)
        self.a, self.b = a, b
        return mm(a, b)

    def backward(self, grad):
        # A 1-D operand is a row on the left, a column on the right: put back
        # the axis @ dropped.
        a = np.atleast_2d(self.a)
        b = self.b[:, None] if self.b.ndim == 1 else self.b
        grad = grad[..., None] if self.b.ndim == 1 else grad
        grad = grad[..., None, :] if self.a.ndim == 1 else grad
        ga = _grad_if_needed(self, 0, lambda: mm(grad, np.swapaxes(b, -1, -2)))
        gb = _grad_if_needed(self, 1, lambda: mm(np.swapaxes(a, -1, -2), grad))
        return ga, (gb[..., 0] if gb is not None and self.b.ndim == 1 else gb)


def _check_matmul(sa: tuple[int, ...], sb: tuple[int, ...]) -> None:
    if not sa or not sb:
        raise ValueError(
            f"matmul: both operands need at least one dimension, got {sa} and {sb}"
        )
    inner_a, inner_b = sa[-1], sb[0] if len(sb) == 1 else sb[-2]
    if inner_a != inner_b:
        raise ValueError(
            f"matmul: shapes {sa} and {sb} do not align ({inner_a} != {inner_b}); the "
            "last dimension of the left operand must equal the second-to-last of the "
            "right"
        )


def matmul(a, b) -> Tensor:
    return MatMul.apply(a, b)


class Linear(Function):
    """y = x W^T + b, with W stored (out_features, in_features) as in PyTorch."""

    def forward(self, x, weight, bias=None):
        if not x.ndim or x.shape[-1] != weight.shape[1]:
            raise ValueError(
                f"linear: input of shape {x.shape} has {x.shape[-1] if x.ndim else 0} "
                f"features in its last dimension, but the weight {weight.shape} "
                f"expects {weight.shape[1]}"
            )
        self.x, self.weight = x, weight
        y = mm(x, weight.T)
        if bias is not None:
            y += bias  # y is a fresh array: add in place
        return y

    def backward(self, grad):
        rows = grad.reshape(-1, grad.shape[-1])
        gx = _grad_if_needed(self, 0, lambda: mm(grad, self.weight))
        gw = _grad_if_needed(self, 1, lambda: _weight_grad(rows, self.x, self.weight))
        if len(self.needs_grad) == 2:
            return gx, gw
        return gx, gw, _grad_if_needed(self, 2, lambda: rows.sum(axis=0))


def _weight_grad(rows, x, weight):
    """dL/dW = grad^T x, laid out as the weight is. nn.Linear stores a wide W
    column-major (see nn.py): then the gradient is too, computed as x^T grad
    (what a NumPy programmer writes for a weight stored (in, out)) into its
    transpose."""
    x = x.reshape(-1, x.shape[-1])
    if not weight.flags.f_contiguous or weight.flags.c_contiguous:
        return mm(rows.T, x)
    gw = np.empty(weight.shape, np.result_type(rows, x), order="F")
    mm(x.T, rows, out=gw.T)
    return gw


def linear(x, weight, bias=None) -> Tensor:
    return Linear.apply(x, weight) if bias is None else Linear.apply(x, weight, bias)


# -------------------------------------------------------------------------- elementwise


class Exp(Function):
    def forward(self, x):
        x = to_float(x)
        self.y = np.exp(x)
        return self.y

    def backward(self, grad):
        return grad * self.y


class Log(Function):
    def forward(self, x):
        x = to_float(x)
        self.x = x
        return np.log(x)

    def backward(self, grad):
        return grad / self.x


class Sqrt(Function):
    def forward(self, x):
        x = to_float(x)
        self.y = np.sqrt(x)
        return self.y

    def backward(self, grad):
        return grad / (2 * self.y)


class Abs(Function):
    """|x|; the gradient at 0 is taken as 0, as in PyTorch."""

    def forward(self, x):
        self.sign = np.where(np.isnan(x), 0, np.sign(x))  # PyTorch's sign of NaN is 0
        return np.abs(x)

    def backward(self, grad):
        return grad * self.sign


class Clamp(Function):
    """min(max(x, lo), hi); the gradient passes where lo <= x <= hi."""

    def __init__(self, lo=None, hi=None):
        self.lo, self.hi = lo, hi

    def forward(self, x):
        if isinstance(self.lo, float) or isinstance(self.hi, float):
            x = to_float(x)  # integers clamped to a float bound: floats, as PyTorch
        self.inside = np.ones(x.shape, dtype=bool)
        if self.lo is not None:
            self.inside &= x >= self.lo
        if self.hi is not None:
            self.inside &= x <= self.hi
        return np.clip(x, self.lo, self.hi)

    def backward(self, grad):
        return grad * self.inside


class ReLU(Function):
    def forward(self, x):
        self.positive = ~(x <= 0)  # NaN passes its gradient on, as in PyTorch
        # relu(-inf) = 0 and relu(nan) = nan. An array of zeros, not 0: NumPy
        # takes the same maximum 2x faster when both operands are arrays
        return np.maximum(x, np.zeros(x.shape, x.dtype))

    def backward(self, grad):
        return grad * self.positive


class Sigmoid(Function):
    """sigmoid(x) = 1 / (1 + exp(-x)), computed as (1 + tanh(x/2)) / 2, which
    is finite for any x."""

    def forward(self, x):
        x = to_float(x)
        self.y = 0.5 * (1 + np.tanh(0.5 * x))
        return self.y

    def backward(self, grad):
        return grad * self.y * (1 - self.y)


class Tanh(Function):
    def forward(self, x):
        x = to_float(x)
        self.y = np.tanh(x)
        return self.y

    def backward(self, grad):
        return grad * (1 - self.y * self.y)


def exp(x) -> Tensor:
    return Exp.apply(x)


def log(x) -> Tensor:
    return Log.apply(x)


def sqrt(x) -> Tensor:
    return Sqrt.apply(x)


def abs(x) -> Tensor:  # noqa: A001 - PyTorch's name
    return Abs.apply(x)


def clamp(x, min=None, max=None) -> Tensor:  # noqa: A002 - PyTorch's argument names
    return Clamp.apply(x, lo=min, hi=max)


clip = clamp


def relu(x) -> Tensor:
    return ReLU.apply(x)


def sigmoid(x) -> Tensor:
    return Sigmoid.apply(x)


def tanh(x) -> Tensor:
    return Tanh.apply(x)


# The rest of PyTorch's torch.nn.functional, defined in modules of their own. Imported
# last: losses.py uses sub, defined above.
from npgrad.conv import Conv2d, Fold, Unfold, conv2d, fold, unfold  # noqa: E402
from npgrad.losses import (  # noqa: E402
    REDUCTIONS,
    BCEWithLogits,
    CrossEntropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    mse_loss,
)
from npgrad.pooling import AvgPool2d, MaxPool2d, avg_pool2d, max_pool2d  # noqa: E402
from npgrad.reductions import (  # noqa: E402
    LogSoftmax,
    LogSumExp,
    Max,
    MaxResult,
    MaxWithIndices,
    Mean,
    Softmax,
    Sum,
    amax,
    log_softmax,
    logsumexp,
    max,
    mean,
    softmax,
    sum,
)
from npgrad.shape_ops import (  # noqa: E402
    Concatenate,
    GetItem,
    Permute,
    Reshape,
    Stack,
    cat,
    concatenate,
    flatten,
    getitem,
    permute,
    reshape,
    stack,
    transpose,
    view,
)

# fmt: off
__all__ = [
    "Abs", "Add", "Cast", "Clamp", "Div", "Exp", "Linear", "Log", "MatMul", "Maximum",
    "Mul", "Neg", "Pow", "ReLU", "Sigmoid", "Sqrt", "Sub", "Tanh", "abs", "add",
    "clamp", "clip", "div", "exp", "linear", "log", "matmul", "maximum", "mul", "neg",
    "pow", "relu", "sigmoid", "sqrt", "sub", "tanh", "REDUCTIONS", "BCEWithLogits",
    "CrossEntropy", "binary_cross_entropy_with_logits", "cross_entropy", "mse_loss",
    "Max", "MaxWithIndices", "MaxResult", "Mean", "LogSoftmax", "LogSumExp", "Softmax",
    "Sum", "amax", "log_softmax", "logsumexp", "max", "mean", "softmax", "sum",
    "Concatenate", "GetItem", "Permute", "Reshape", "Stack", "cat", "concatenate",
    "flatten", "getitem", "permute", "reshape", "stack", "transpose", "view",
    "AvgPool2d", "Conv2d", "Fold", "MaxPool2d", "Unfold", "avg_pool2d", "conv2d",
    "fold", "max_pool2d", "unfold",
]
# fmt: on

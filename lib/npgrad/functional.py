"""The differentiable operations: each Function's forward beside its backward, and the losses.

Gradients come back in the shape of the broadcast result; the engine (tensor.py) sums them
back to each input's shape, so no op here deals with broadcasting in its backward.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from npgrad.tensor import DEFAULT_DTYPE, Function, Tensor, _promote, as_array

# ---------------------------------------------------------------------------- arithmetic


class Broadcasting(Function):
    """An elementwise op of two inputs: both converted to the dtype of PyTorch's rule
    (`result_type` in tensor.py), and a clear error for shapes that do not broadcast."""

    @classmethod
    def apply(cls, a: Any, b: Any, **params: Any) -> Tensor:
        if not (isinstance(a, Tensor) and isinstance(b, Tensor) and a.data.dtype is b.data.dtype):
            a, b = _promote((a, b))  # a constant, or two dtypes: PyTorch's rule, not NumPy's
        try:
            return super().apply(a, b, **params)
        except ValueError:
            if _broadcasts(a.shape, b.shape):
                raise
            raise ValueError(
                f"{cls.__name__.lower()}: shapes {a.shape} and {b.shape} do not broadcast "
                "(trailing dimensions must be equal or 1); reshape one of them"
            ) from None


def _broadcasts(*shapes: tuple[int, ...]) -> bool:
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        return False
    return True


class Add(Broadcasting):
    def forward(self, a, b):
        return a + b

    def backward(self, grad):
        return grad, grad


class Sub(Broadcasting):
    def forward(self, a, b):
        return a - b

    def backward(self, grad):
        return grad, -grad


class Mul(Broadcasting):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, grad):
        return _if(self, 0, lambda: grad * self.b), _if(self, 1, lambda: grad * self.a)


class Div(Broadcasting):
    def forward(self, a, b):
        if a.dtype.kind in "biu":  # true division of integers gives DEFAULT_DTYPE, as in PyTorch
            a, b = a.astype(DEFAULT_DTYPE), b.astype(DEFAULT_DTYPE)
        self.a, self.b = a, b
        return a / b

    def backward(self, grad):
        ga = _if(self, 0, lambda: grad / self.b)
        gb = _if(self, 1, lambda: -grad * self.a / (self.b * self.b))
        return ga, gb


class Maximum(Broadcasting):
    """max(a, b) elementwise; at a tie each side gets half the gradient, as in PyTorch (and
    where one is NaN, both get all of it)."""

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
    """x ** p for a constant exponent p: d/dx = p x^(p-1), and 0 for p = 0 (even at x = 0)."""

    def __init__(self, exponent: float):
        if isinstance(exponent, Tensor | np.ndarray):
            raise TypeError("pow: the exponent must be a Python number; use exp(b * log(x))")
        self.p = exponent

    def forward(self, x):
        if x.dtype.kind in "biu" and isinstance(self.p, float):
            x = x.astype(DEFAULT_DTYPE)  # a float power of integers: DEFAULT_DTYPE, as in PyTorch
        self.x = x
        return _power(x, self.p)

    def backward(self, grad):
        if self.p == 0:
            return np.zeros_like(grad)  # x**0 = 1 is constant, also at x = 0 where x**-1 is inf
        return grad * self.p * _power(self.x, self.p - 1)


def _power(x: np.ndarray, p: float) -> np.ndarray:
    """x**p; the powers 0.5 and -0.5 as sqrt and 1/sqrt, as PyTorch (sqrt(-inf) is NaN, not inf)."""
    if p == 0.5:
        return np.sqrt(x)
    return 1 / np.sqrt(x) if p == -0.5 else x**p


class Cast(Function):
    """x in another dtype (type promotion casts with it); the engine casts the gradient back."""

    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, x):
        return x.astype(self.dtype)

    def backward(self, grad):
        return grad


def _if(fn: Function, i: int, grad_of_input):
    """Compute input i's gradient only if it requires one (saves a matmul or two per step)."""
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


# ---------------------------------------------------------------------------- matmul


class MatMul(Function):
    """C = A @ B (2-D or batched): dA = dC @ B^T, dB = A^T @ dC."""

    def forward(self, a, b):
        _check_matmul(a.shape, b.shape)
        self.a, self.b = a, b
        return a @ b

    def backward(self, grad):
        # A 1-D operand is a row on the left, a column on the right: put back the axis @ dropped.
        a, b = np.atleast_2d(self.a), self.b[:, None] if self.b.ndim == 1 else self.b
        grad = grad[..., None] if self.b.ndim == 1 else grad
        grad = grad[..., None, :] if self.a.ndim == 1 else grad
        ga = _if(self, 0, lambda: grad @ np.swapaxes(b, -1, -2))
        gb = _if(self, 1, lambda: np.swapaxes(a, -1, -2) @ grad)
        return ga, (gb[..., 0] if gb is not None and self.b.ndim == 1 else gb)


def _check_matmul(sa: tuple[int, ...], sb: tuple[int, ...]) -> None:
    if not sa or not sb:
        raise ValueError(f"matmul: both operands need at least one dimension, got {sa} and {sb}")
    inner_a, inner_b = sa[-1], sb[0] if len(sb) == 1 else sb[-2]
    if inner_a != inner_b:
        raise ValueError(
            f"matmul: shapes {sa} and {sb} do not align ({inner_a} != {inner_b}); the last "
            "dimension of the left operand must equal the second-to-last of the right"
        )


def matmul(a, b) -> Tensor:
    return MatMul.apply(a, b)


class Linear(Function):
    """y = x W^T + b, with W stored (out_features, in_features) as in PyTorch."""

    def forward(self, x, weight, bias=None):
        if not x.ndim or x.shape[-1] != weight.shape[1]:
            raise ValueError(
                f"linear: input of shape {x.shape} has {x.shape[-1] if x.ndim else 0} features in its "
                f"last dimension, but the weight {weight.shape} expects {weight.shape[1]}"
            )
        self.x, self.weight = x, weight
        y = x @ weight.T
        if bias is not None:
            y += bias  # y is a fresh array: add in place
        return y

    def backward(self, grad):
        rows = grad.reshape(-1, grad.shape[-1])
        gx = _if(self, 0, lambda: grad @ self.weight)
        gw = _if(self, 1, lambda: rows.T @ self.x.reshape(-1, self.x.shape[-1]))
        if len(self.needs_grad) == 2:
            return gx, gw
        return gx, gw, _if(self, 2, lambda: rows.sum(axis=0))


def linear(x, weight, bias=None) -> Tensor:
    return Linear.apply(x, weight) if bias is None else Linear.apply(x, weight, bias)


# ---------------------------------------------------------------------------- elementwise


class Exp(Function):
    def forward(self, x):
        x = x if x.dtype.kind == "f" else x.astype(DEFAULT_DTYPE)  # integers: as PyTorch
        self.y = np.exp(x)
        return self.y

    def backward(self, grad):
        return grad * self.y


class Log(Function):
    def forward(self, x):
        x = x if x.dtype.kind == "f" else x.astype(DEFAULT_DTYPE)  # integers: as PyTorch
        self.x = x
        return np.log(x)

    def backward(self, grad):
        return grad / self.x


class Sqrt(Function):
    def forward(self, x):
        x = x if x.dtype.kind == "f" else x.astype(DEFAULT_DTYPE)  # integers: as PyTorch
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
        if x.dtype.kind in "biu" and (isinstance(self.lo, float) or isinstance(self.hi, float)):
            x = x.astype(DEFAULT_DTYPE)  # integers clamped to a float bound: as PyTorch
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
        return np.maximum(x, 0)  # relu(-inf) = 0 and relu(nan) = nan

    def backward(self, grad):
        return grad * self.positive


class Sigmoid(Function):
    """sigmoid(x) = 1 / (1 + exp(-x)), computed as (1 + tanh(x/2)) / 2: finite for any x."""

    def forward(self, x):
        x = x if x.dtype.kind == "f" else x.astype(DEFAULT_DTYPE)  # integers: as PyTorch
        self.y = 0.5 * (1 + np.tanh(0.5 * x))
        return self.y

    def backward(self, grad):
        return grad * self.y * (1 - self.y)


class Tanh(Function):
    def forward(self, x):
        x = x if x.dtype.kind == "f" else x.astype(DEFAULT_DTYPE)  # integers: as PyTorch
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


# ---------------------------------------------------------------------------- reductions


def _dims(dim, keepdim, axis=None, keepdims=None):
    """PyTorch's (dim, keepdim), also accepting NumPy's (axis, keepdims)."""
    dim = axis if axis is not None else dim
    keepdim = keepdims if keepdims is not None else keepdim
    return (tuple(dim) if isinstance(dim, list) else dim), bool(keepdim)


def _expand(grad: np.ndarray, shape: tuple[int, ...], dim, keepdim: bool) -> np.ndarray:
    """Put back the reduced axes as size-1 axes, so grad broadcasts against the input."""
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
        return np.broadcast_to(_expand(grad, self.shape, self.dim, self.keepdim), self.shape)


class Mean(Sum):
    def forward(self, x):
        total = super().forward(x)
        self.count = x.size // (total.size or 1)
        return total / self.count

    def backward(self, grad):
        return super().backward(grad) / self.count


class Max(Function):
    """Largest value along dim; ties share the gradient equally (torch.amax, torch.max(x))."""

    def __init__(self, dim=None, keepdim=False):
        self.dim, self.keepdim = dim, keepdim

    def forward(self, x):
        y = np.max(x, axis=self.dim, keepdims=True)
        winners = (x == y).astype(x.dtype)
        self.winners = winners / winners.sum(axis=self.dim, keepdims=True)
        return y if self.keepdim else np.squeeze(y, axis=self.dim)

    def backward(self, grad):
        return _expand(grad, self.winners.shape, self.dim, self.keepdim) * self.winners


class MaxAlong(Function):
    """torch.max(x, dim).values: the gradient goes to the returned index alone, ties or not."""

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
    """log sum_i exp(x_i), computed as m + log sum_i exp(x_i - m) with m = max x (0 if infinite:
    -inf for a row of -inf, inf for a row holding inf, as in PyTorch)."""

    def __init__(self, dim=None, keepdim=False):
        self.dim, self.keepdim = dim, keepdim

    def forward(self, x):
        x = x if x.dtype.kind == "f" else x.astype(DEFAULT_DTYPE)  # integers: as PyTorch
        m = np.max(x, axis=self.dim, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)
        with np.errstate(divide="ignore", invalid="ignore"):  # log(0) = -inf, inf - inf = nan
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
    """The largest element; with dim, as in PyTorch, the pair (values, indices) along dim.

    At a tie the index is the first largest one and it alone gets the gradient (torch.max);
    amax, and max without dim, share the gradient equally among the ties.
    """
    dim, keepdim = _dims(dim, keepdim, axis, keepdims)
    if dim is None:
        return Max.apply(x, dim=dim, keepdim=keepdim)
    if not isinstance(dim, int):
        raise TypeError(f"max: dim must be one int, got {dim!r}; use amax for several dims")
    index = np.argmax(as_array(x), axis=dim)
    values = MaxAlong.apply(x, dim=dim, keepdim=keepdim, index=index)
    return MaxResult(values, Tensor(np.expand_dims(index, dim) if keepdim else index))


def logsumexp(x, dim=None, keepdim=False) -> Tensor:
    dim, keepdim = _dims(dim, keepdim)
    return LogSumExp.apply(x, dim=dim, keepdim=keepdim)


# ---------------------------------------------------------------------------- softmax


class Softmax(Function):
    """softmax(x)_i = exp(x_i - max x) / sum_j exp(x_j - max x), along dim."""

    def __init__(self, dim=-1):
        self.dim = dim

    def forward(self, x):
        e = np.exp(x - np.max(x, axis=self.dim, keepdims=True))
        self.y = e / e.sum(axis=self.dim, keepdims=True)
        return self.y

    def backward(self, grad):
        return self.y * (grad - (grad * self.y).sum(axis=self.dim, keepdims=True))


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


# ---------------------------------------------------------------------------- shapes


class Reshape(Function):
    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.in_shape = x.shape
        try:
            return x.reshape(self.shape)
        except ValueError:
            raise ValueError(
                f"reshape: cannot view shape {x.shape} ({x.size} elements) as {self.shape}"
            ) from None

    def backward(self, grad):
        return grad.reshape(self.in_shape)


class Permute(Function):
    def __init__(self, dims):
        self.dims = dims

    def forward(self, x):
        if sorted(self.dims) != list(range(x.ndim)):
            raise ValueError(f"permute: {self.dims} is not an ordering of the {x.ndim} dims of {x.shape}")
        return np.transpose(x, self.dims)

    def backward(self, grad):
        return np.transpose(grad, np.argsort(self.dims))


class GetItem(Function):
    """x[index]; backward scatters into zeros with np.add.at, so repeated indices add up."""

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
    """cat and stack: the inputs promoted by PyTorch's rule, and errors that name the op."""

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
                f"{cls.op}: cannot join shapes {shapes} along dim {dim}: {cls.rule} ({error})"
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


def _shape_args(shape) -> tuple[int, ...]:
    """Accept reshape(2, 3) and reshape((2, 3)) alike."""
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], tuple | list) else shape


def reshape(x, *shape) -> Tensor:
    return Reshape.apply(x, shape=_shape_args(shape))


view = reshape


def flatten(x, start_dim=0, end_dim=-1) -> Tensor:
    shape = as_array(x).shape
    start, end = start_dim % (len(shape) or 1), end_dim % (len(shape) or 1)
    return reshape(x, shape[:start] + (-1,) + shape[end + 1 :])


def permute(x, *dims) -> Tensor:
    return Permute.apply(x, dims=tuple(_shape_args(dims)))


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


# ---------------------------------------------------------------------------- losses


REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(losses: np.ndarray, reduction: str) -> np.ndarray:
    _check_reduction(reduction)
    if reduction == "none":
        return losses
    return losses.sum() / losses.size if reduction == "mean" else losses.sum()


def _unreduce(grad: np.ndarray, n: int, reduction: str) -> np.ndarray:
    """The gradient of each example's loss, given the gradient of the reduced loss."""
    return grad / n if reduction == "mean" else grad


class CrossEntropy(Function):
    """loss_i = -sum_c t_ic log_softmax(x_i)_c;  d loss_i / d x_i = softmax(x_i) sum_c t_ic - t_i.

    For labels, t_i is one-hot: loss_i = logsumexp(x_i) - x_i,y_i, gradient softmax(x_i) - t_i.
    Probabilities may be any non-negative rows (an all-zero row costs 0), as in PyTorch.
    """

    def __init__(self, target, reduction="mean"):
        self.target, self.reduction = target, reduction

    def forward(self, logits):
        m = logits.max(axis=1, keepdims=True)
        shifted = logits - m  # its exp cannot overflow
        exp = np.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        self.p_minus_t = exp / total  # softmax; the target is subtracted next
        if self.target.ndim == 1:  # class labels: t is one-hot, so subtract 1 at each label
            rows = np.arange(len(logits))
            self.p_minus_t[rows, self.target] -= 1
            losses = np.log(total[:, 0]) - shifted[rows, self.target]
        else:  # log_softmax(x) = shifted - log(total)
            t = self.target
            losses = -(t * (shifted - np.log(total))).sum(axis=1)
            self.p_minus_t *= t.sum(axis=1, keepdims=True)
            self.p_minus_t -= t
        return _reduce(losses.astype(logits.dtype, copy=False), self.reduction)

    def backward(self, grad):
        per_example = _unreduce(grad, len(self.p_minus_t), self.reduction)
        return self.p_minus_t * (per_example[:, None] if self.reduction == "none" else per_example)


def _check_targets(target: np.ndarray, n: int, q: int, dtype) -> np.ndarray:
    """Class labels (n,) of an integer type in [0, q), or probabilities (n, q) cast to dtype."""
    if target.shape == (n, q) and target.dtype.kind == "f":
        return target.astype(dtype, copy=False)
    if target.shape != (n,):
        raise ValueError(
            f"cross_entropy: logits have shape {(n, q)}, so targets must be class labels of "
            f"shape ({n},) or probabilities of shape {(n, q)}; got shape {target.shape}"
        )
    if target.dtype.kind not in "iu":
        raise TypeError(
            f"cross_entropy: class labels must be integers, got dtype {target.dtype}; "
            "convert them with y.astype(np.int64)"
        )
    if n and (target.min() < 0 or target.max() >= q):
        raise ValueError(
            f"cross_entropy: class labels must lie in [0, {q}) for {q} logits per example; "
            f"got labels from {target.min()} to {target.max()}"
        )
    return target


def cross_entropy(logits, target, reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy from raw logits (n, q): labels (n,) or probabilities (n, q)."""
    array = _floating_logits("cross_entropy", logits)
    if array.ndim != 2:
        raise ValueError(f"cross_entropy: logits must have shape (n, classes), got {array.shape}")
    target = _check_targets(as_array(target), *array.shape, array.dtype)
    return CrossEntropy.apply(logits, target=target, reduction=reduction)


class BCEWithLogits(Function):
    """loss = (1 - t) x - log sigmoid(x), log sigmoid(x) = min(x, 0) - log(1 + exp(-|x|));
    d loss / dx = sigmoid(x) - t. (PyTorch's formula, so also its values at x = +-inf.)"""

    def __init__(self, target, reduction="mean"):
        self.target, self.reduction = target, reduction

    def forward(self, x):
        t = self.target.astype(x.dtype, copy=False)
        self.sig_minus_t = 0.5 * (1 + np.tanh(0.5 * x)) - t
        log_sigmoid = np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))
        return _reduce((1 - t) * x - log_sigmoid, self.reduction)

    def backward(self, grad):
        return _unreduce(grad, self.sig_minus_t.size, self.reduction) * self.sig_minus_t


def _floating_logits(name: str, logits) -> np.ndarray:
    """The logits' array; integer logits are refused, as PyTorch does (the loss needs floats)."""
    array = as_array(logits)
    if array.dtype.kind != "f":
        raise TypeError(
            f"{name}: logits must be floating point, got dtype {array.dtype}; convert them "
            "first, e.g. Tensor(x, dtype=np.float32)"
        )
    return array


def binary_cross_entropy_with_logits(logits, target, reduction: str = "mean") -> Tensor:
    _floating_logits("binary_cross_entropy_with_logits", logits)
    _same_shape("binary_cross_entropy_with_logits", logits, target)
    return BCEWithLogits.apply(logits, target=as_array(target), reduction=reduction)


def mse_loss(input, target, reduction: str = "mean") -> Tensor:  # noqa: A002 - PyTorch's name
    """mean_i (input_i - target_i)^2; the shapes must match (no silent n x n broadcast)."""
    _same_shape("mse_loss", input, target)
    _check_reduction(reduction)
    squared = sub(input, target) ** 2
    return squared if reduction == "none" else squared.sum() if reduction == "sum" else squared.mean()


def _same_shape(name: str, input, target) -> None:
    si, st = as_array(input).shape, as_array(target).shape
    if si != st:
        raise ValueError(
            f"{name}: input shape {si} and target shape {st} differ; broadcasting them would "
            f"compare every prediction with every target. Reshape one, e.g. y.reshape({si})"
        )


from npgrad.conv import avg_pool2d, conv2d, fold, max_pool2d, unfold  # noqa: E402, F401

"""The losses: cross-entropy from logits, binary cross-entropy from logits, squared
error.

Each takes a `reduction` as in PyTorch: the mean of the per-example losses, their sum,
or all of them ('none'). They are reachable as npgrad.functional.cross_entropy etc., as
in PyTorch's torch.nn.functional.
"""

from __future__ import annotations

import numpy as np

from npgrad.functional import sub
from npgrad.tensor import Function, Tensor, as_array

REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}"
        )


def _reduce(losses, reduction: str):
    """The per-example losses (an array or a tensor) reduced as asked."""
    _check_reduction(reduction)
    if reduction == "none":
        return losses
    return losses.mean() if reduction == "mean" else losses.sum()


class Loss(Function):
    """A loss of the input and a constant target, reduced as asked; `per_example` turns
    the gradient of the reduced loss into the gradient of each example's loss."""

    def __init__(self, target: np.ndarray, reduction: str = "mean"):
        _check_reduction(reduction)
        self.target, self.reduction = target, reduction

    def reduce(self, losses: np.ndarray) -> np.ndarray:
        if self.reduction == "mean":  # the same number as losses.mean(), whose
            return losses.sum() / losses.size  # Python wrapper costs more
        return _reduce(losses, self.reduction)

    def per_example(self, grad: np.ndarray, n: int) -> np.ndarray:
        return grad / n if self.reduction == "mean" else grad


class CrossEntropy(Loss):
    """loss_i = -sum_c t_ic log_softmax(x_i)_c;
    d loss_i / d x_i = softmax(x_i) sum_c t_ic - t_i.

    For labels, t_i is one-hot: loss_i = logsumexp(x_i) - x_i,y_i, and the
    gradient is softmax(x_i) - t_i. Probabilities may be any non-negative rows
    (an all-zero row costs 0), as in PyTorch.
    """

    def forward(self, logits):
        shifted = logits - _row_max(logits)  # no overflow
        exp = np.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        exp /= total  # softmax, in place; the target is subtracted next
        self.p_minus_t = exp
        if self.target.ndim == 1:  # labels: t is one-hot, subtract 1 at each
            rows = np.arange(len(logits))
            self.p_minus_t[rows, self.target] -= 1
            losses = np.log(total[:, 0]) - shifted[rows, self.target]
        else:  # log_softmax(x) = shifted - log(total)
            t = self.target
            losses = -(t * (shifted - np.log(total))).sum(axis=1)
            self.p_minus_t *= t.sum(axis=1, keepdims=True)
            self.p_minus_t -= t
        return self.reduce(losses.astype(logits.dtype, copy=False))

    def backward(self, grad):
        per_example = self.per_example(grad, len(self.p_minus_t))
        if self.reduction == "none":
            per_example = per_example[:, None]
        return self.p_minus_t * per_example


def _row_max(x: np.ndarray) -> np.ndarray:
    """x.max(axis=1, keepdims=True), from a transposed copy: NumPy reduces along
    the long axis of that several times faster than along 10-element rows."""
    return np.ascontiguousarray(x.T).max(axis=0)[:, None]


def _check_targets(target: np.ndarray, n: int, q: int, dtype) -> np.ndarray:
    """Class labels (n,) of an integer type in [0, q), or probabilities (n, q)."""
    if target.shape == (n, q) and target.dtype.kind == "f":
        return target.astype(dtype, copy=False)
    if target.shape != (n,):
        raise ValueError(
            f"cross_entropy: logits have shape {(n, q)}, so targets must be class "
            f"labels of shape ({n},) or probabilities of shape {(n, q)}; got shape "
            f"{target.shape}"
        )
    if target.dtype.kind not in "iu":
        raise TypeError(
            f"cross_entropy: class labels must be integers, got dtype {target.dtype}; "
            "convert them with y.astype(np.int64)"
        )
    # One pass finds both errors: read as unsigned, a negative label is huge
    if n and target.astype(np.uint64).max() >= q:
        raise ValueError(
            f"cross_entropy: class labels must lie in [0, {q}) for {q} logits per "
            f"example; got labels from {target.min()} to {target.max()}"
        )
    return target


def cross_entropy(logits, target, reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy of logits (n, q): labels (n,) or probabilities (n, q)."""
    array = _floating_logits("cross_entropy", logits)
    if array.ndim != 2:
        raise ValueError(
            f"cross_entropy: logits must have shape (n, classes), got {array.shape}"
        )
    target = _check_targets(as_array(target), *array.shape, array.dtype)
    return CrossEntropy.apply(logits, target=target, reduction=reduction)


class BCEWithLogits(Loss):
    """loss = (1 - t) x - log sigmoid(x), log sigmoid(x) = min(x, 0) - log(1 +
    exp(-|x|)); d loss / dx = sigmoid(x) - t. (PyTorch's formula, so also its values at
    x = +-inf.)"""

    def forward(self, x):
        t = self.target.astype(x.dtype, copy=False)
        self.sig_minus_t = 0.5 * (1 + np.tanh(0.5 * x)) - t
        log_sigmoid = np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))
        return self.reduce((1 - t) * x - log_sigmoid)

    def backward(self, grad):
        return self.per_example(grad, self.sig_minus_t.size) * self.sig_minus_t


def _floating_logits(name: str, logits) -> np.ndarray:
    """The logits' array; integer logits are refused, as PyTorch does."""
    array = as_array(logits)
    if array.dtype.kind != "f":
        raise TypeError(
            f"{name}: logits must be floating point, got dtype {array.dtype}; "
            "convert them first, e.g. Tensor(x, dtype=np.float32)"
        )
    return array


def binary_cross_entropy_with_logits(logits, target, reduction: str = "mean") -> Tensor:
    _floating_logits("binary_cross_entropy_with_logits", logits)
    _same_shape("binary_cross_entropy_with_logits", logits, target)
    target = as_array(target)
    return BCEWithLogits.apply(logits, target=target, reduction=reduction)


def mse_loss(input, target, reduction: str = "mean") -> Tensor:  # noqa: A002
    """mean_i (input_i - target_i)^2; the shapes must match (no broadcast)."""
    _same_shape("mse_loss", input, target)
    _check_reduction(reduction)  # before any work, as PyTorch
    squared = sub(input, target) ** 2
    return _reduce(squared, reduction)


def _same_shape(name: str, input, target) -> None:  # noqa: A002
    si, st = as_array(input).shape, as_array(target).shape
    if si != st:
        raise ValueError(
            f"{name}: input shape {si} and target shape {st} differ; broadcasting them "
            "would compare every prediction with every target. "
            f"Reshape one, e.g. y.reshape({si})"
        )

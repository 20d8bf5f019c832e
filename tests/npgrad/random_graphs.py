"""The random expression graphs of test_fuzz.py: each op a random step, built side by side
in npgrad and in PyTorch (imported only when PyTorch is installed: test_fuzz skips first).
"""

from __future__ import annotations

import operator
from collections import Counter
from collections.abc import Callable

import numpy as np
import torch

from npgrad import Tensor
from tests.npgrad.twin_graph import (
    BIG,
    OURS,
    THEIRS,
    Graph,
    Step,
    _away_from_zero,
    _dims,
    _positive,
    _torch_index,
)

GRAPHS, DTYPE_GRAPHS, STEPS = 300, 150, 7


# --------------------------------------------------------------------------- the ops, each a random step

FUZZ: dict[str, Callable[[Graph], Step | None]] = {}


def fuzz(*names: str):
    """Register make(g, name) as the random step of each of these ops."""
    def register(make):
        for name in names:
            FUZZ[name] = lambda g, make=make, name=name: make(g, name)
        return make
    return register


ARITHMETIC = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv}


@fuzz("add", "sub", "mul", "div")
def arithmetic(g: Graph, name: str) -> Step | None:
    symbol, divides = ARITHMETIC[name], name == "div"
    a = g.pick()
    kind = g.rng.integers(5)
    if kind == 0:  # a Python number on either side
        c = g.python_number(nonzero=divides)
        if g.rng.random() < 0.5:
            return (lambda L, x: symbol(x, c)), [a]
        a = g.pick(_away_from_zero) if divides else a
        return (None if a is None else ((lambda L, x: symbol(c, x)), [a]))
    if kind == 1 and not g.mixed:  # a NumPy constant (it takes a float tensor's dtype: npgrad's rule)
        c = np.asarray(g.rng.standard_normal(g.broadcast_shape(a[0].shape)))
        c = np.asarray(c + np.sign(c)) if divides else c
        return (lambda L, x: symbol(x, L.const(c))), [a]
    if kind == 2 and g.mixed:  # an integer tensor, outside the graph
        c = g.int_tensor(g.broadcast_shape(a[0].shape))
        if divides and not np.all(c[0].data):
            return None
        return (lambda L, x: symbol(x, c[0] if L is OURS else c[1])), [a]
    b = g.pick(lambda x: _broadcasts(x.shape, a[0].shape))
    b = g.leaf(g.broadcast_shape(a[0].shape)) if b is None or g.rng.random() < 0.3 else b
    if divides and not _away_from_zero(b[0].data):
        return None
    if g.rng.random() < 0.5:
        return (lambda L, x, y: getattr(L, name)(x, y)), [a, b]
    return (lambda L, x, y: symbol(x, y)), [a, b]


def _broadcasts(s, t) -> bool:
    try:
        np.broadcast_shapes(s, t)
    except ValueError:
        return False
    return True


@fuzz("maximum")
def maximum(g, name):
    a = g.pick()
    b = a if g.rng.random() < 0.2 else g.pick(lambda x: _broadcasts(x.shape, a[0].shape))  # a tie
    b = g.leaf(g.broadcast_shape(a[0].shape)) if b is None else b
    return (lambda L, x, y: L.maximum(x, y)), [a, b]


@fuzz("neg")
def neg(g, name):
    return g.choice([lambda L, x: -x, lambda L, x: L.neg(x)]), [g.pick()]


@fuzz("pow")
def power(g, name):
    p = g.choice([2, 3, 0, 1, 0.0, 2.0, -1, 0.5, 1.5, -0.5, 2.5])
    a = g.pick(_positive) if (p < 0 or p != int(p)) else g.pick(lambda x: np.abs(x).max(initial=0) < 10)
    if a is None:
        return None
    return g.choice([lambda L, x: x**p, lambda L, x: L.pow(x, p)]), [a]


UNARY = {
    "exp": lambda x: x.size > 0 and x.max() < 4,
    "log": _positive,
    "sqrt": _positive,
    "abs": lambda x: True,
    "relu": lambda x: True,
    "sigmoid": lambda x: True,
    "tanh": lambda x: True,
}


@fuzz(*UNARY)
def unary(g, name):
    a = g.pick(UNARY[name])
    if a is None:
        return None
    if g.rng.random() < 0.5:
        return (lambda L, x: getattr(x, name)()), [a]
    return (lambda L, x: getattr(L, name)(x)), [a]


@fuzz("clamp", "clip")
def clamp(g, name):
    lo, hi = g.choice([(-0.5, 0.7), (0.1, None), (None, -0.2), (-1, 1)])
    return (lambda L, x: getattr(L, name)(x, lo, hi)), [g.pick()]


@fuzz("sum", "mean", "amax", "logsumexp")
def reduction(g, name):
    a = g.pick(_dims)
    if a is None:
        return None
    ndim, keepdim = a[0].ndim, bool(g.rng.random() < 0.5)
    dim = g.choice([None, int(g.rng.integers(-ndim, ndim)), tuple(range(ndim))[: 2]])
    return (lambda L, x: getattr(L, name)(x, dim, keepdim)), [a]


@fuzz("max")
def maximum_along(g, name):
    a = g.pick(_dims)
    if a is None:
        return None
    if g.rng.random() < 0.3:
        return (lambda L, x: L.max(x)), [a]
    dim, keepdim = int(g.rng.integers(-a[0].ndim, a[0].ndim)), bool(g.rng.random() < 0.5)
    if g.rng.random() < 0.4:  # ties between two leaves: the first index alone gets the gradient
        twin = g.leaf_like(a)
        return (lambda L, x, y: L.max(L.stack([x, y], dim % a[0].ndim), dim % a[0].ndim, keepdim).values,
                [a, twin])
    return (lambda L, x: L.max(x, dim, keepdim).values), [a]


@fuzz("softmax", "log_softmax")
def softmax(g, name):
    a = g.pick(_dims)
    if a is None:
        return None
    dim = int(g.rng.integers(-a[0].ndim, a[0].ndim))
    return (lambda L, x: getattr(L, name)(x, dim)), [a]


@fuzz("reshape", "view", "flatten", "permute", "transpose")
def shapes(g, kind):
    a = g.pick(_dims)
    if a is None:
        return None
    shape = a[0].shape
    if kind in ("reshape", "view"):
        new = g.choice([(-1,), (1, -1), (a[0].data.size, 1), shape[::-1] if a[0].ndim > 1 else (1,) + shape])
        new = new if np.prod(new) == a[0].data.size or -1 in new else (-1,)
        return g.choice([lambda L, x: getattr(L, kind)(x, new), lambda L, x: x.reshape(*new)]), [a]
    if kind == "flatten":
        start = int(g.rng.integers(a[0].ndim))
        return (lambda L, x: L.flatten(x, start)), [a]
    if kind == "permute":
        dims = tuple(int(d) for d in g.rng.permutation(a[0].ndim))
        return g.choice([lambda L, x: L.permute(x, *dims), lambda L, x: x.permute(*dims)]), [a]
    if a[0].ndim < 2:
        return None
    if a[0].ndim == 2 and g.rng.random() < 0.3:
        return (lambda L, x: x.T), [a]
    d0, d1 = (int(d) for d in g.rng.choice(a[0].ndim, 2, replace=False))
    return g.choice([lambda L, x: L.transpose(x, d0, d1), lambda L, x: x.transpose(d0, d1)]), [a]


@fuzz("getitem")
def getitem(g, name):
    a = g.pick(_dims)
    if a is None:
        return None
    n = a[0].shape[0]
    kind = g.rng.integers(4)
    if kind == 0:
        index = int(g.rng.integers(-n, n))
    elif kind == 1:
        start = slice(int(g.rng.integers(n)), None)
        index = (start, 0) if a[0].ndim > 1 else start
    elif kind == 2:
        index = g.rng.integers(0, n, int(g.rng.integers(1, 5)))  # repeats: gradients add up
    else:  # a boolean mask from a comparison, as x[x > 0]
        threshold = float(g.rng.standard_normal())
        if not np.any(a[0].data > threshold):
            return None
        return (lambda L, x: x[x > threshold]), [a]
    return g.choice([lambda L, x: L.getitem(x, index), lambda L, x: x[_torch_index(index) if L is THEIRS
                                                                       else index]]), [a]


@fuzz("cat", "concatenate", "stack")
def join(g, name):
    a = g.pick(_dims)
    if a is None:
        return None
    dim = int(g.rng.integers(a[0].ndim))
    if name == "stack":
        b = g.pick(lambda x: x.shape == a[0].shape)  # a itself, at least
        return (lambda L, x, y: L.stack([x, y, x], dim)), [a, b]
    shape = list(a[0].shape)
    shape[dim] = int(g.rng.integers(1, 3))
    b = a if g.rng.random() < 0.3 else g.leaf(tuple(shape))
    return (lambda L, x, y: getattr(L, name)([x, y], dim)), [a, b]


@fuzz("matmul")
def matmul(g, name):
    a = g.pick(lambda x: x.ndim >= 1 and x.size > 0)
    if a is None:
        return None
    k = a[0].shape[-1]
    kind = g.rng.integers(3)
    if kind == 0 and a[0].ndim >= 2:  # a times its own transpose: one node used twice
        return (lambda L, x: x @ L.transpose(x, -1, -2)), [a]
    b = g.leaf(g.choice([(k,), (k, 2), (k, 3)]))
    return g.choice([lambda L, x, y: x @ y, lambda L, x, y: L.matmul(x, y)]), [a, b]


@fuzz("linear")
def linear(g, name):
    a = g.pick(lambda x: x.ndim >= 1 and x.size > 0)
    if a is None:
        return None
    m = int(g.rng.integers(1, 4))
    w = g.leaf((m, a[0].shape[-1]))
    if g.rng.random() < 0.5:
        return (lambda L, x, W: L.linear(x, W)), [a, w]
    return (lambda L, x, W, b: L.linear(x, W, b)), [a, w, g.leaf((m,))]


@fuzz("cross_entropy")
def cross_entropy(g, name):
    a = g.pick(lambda x: x.ndim == 2 and x.shape[1] >= 2 and x.shape[0] >= 1)
    if a is None:
        a = g.leaf((int(g.rng.integers(1, 4)), int(g.rng.integers(2, 5))))
    n, q = a[0].shape
    reduction = g.choice(["mean", "sum", "none"])
    if g.rng.random() < 0.5:
        target = g.rng.integers(0, q, n)
    else:  # probabilities: non-negative rows of any sum, some all zero
        target = g.rng.uniform(0, 1, (n, q)) * (g.rng.random((n, 1)) < 0.8)
        target = target.astype(a[0].dtype)
    return (lambda L, x: L.cross_entropy(x, target, reduction=reduction)), [a]


@fuzz("binary_cross_entropy_with_logits")
def bce(g, name):
    a = g.pick(lambda x: x.size > 0)
    target = g.rng.uniform(0, 1, a[0].shape).astype(a[0].dtype)
    reduction = g.choice(["mean", "sum", "none"])
    return (lambda L, x: L.binary_cross_entropy_with_logits(x, target, reduction=reduction)), [a]


@fuzz("mse_loss")
def mse(g, name):
    a = g.pick(lambda x: x.size > 0)
    b = g.pick(lambda x: x.shape == a[0].shape)  # a itself, or another node, or a new leaf
    b = g.leaf(a[0].shape) if g.rng.random() < 0.5 else b
    reduction = g.choice(["mean", "sum", "none"])
    return (lambda L, x, y: L.mse_loss(x, y, reduction=reduction)), [a, b]


def _image(shape: tuple[int, ...]) -> tuple[int, ...]:
    """shape as (N, C, H, W) with the same elements: leading 1s added, or the front merged."""
    shape = (1,) * (4 - len(shape)) + shape
    return (int(np.prod(shape[:-3])),) + shape[-3:]


def _floating(x) -> bool:
    return x.ndim >= 1 and x.size > 0 and x.dtype.kind == "f"


@fuzz("conv2d", "unfold", "fold", "max_pool2d", "avg_pool2d")
def windows(g, name):
    """A node seen as an image (N, C, H, W), with a kernel that fits it padded."""
    a = g.pick(_floating)
    if a is None:
        return None
    n, c, h, w = shape = _image(a[0].shape)
    pad = int(g.rng.integers(0, 2))
    kh, kw = (int(g.rng.integers(1, min(size + 2 * pad, 3) + 1)) for size in (h, w))
    pad = min(pad, kh // 2, kw // 2)  # pooling refuses more than half the kernel
    kh, kw = min(kh, h + 2 * pad), min(kw, w + 2 * pad)
    stride = int(g.rng.integers(1, 3))

    def image(L, x):
        return x.reshape(shape)

    if name == "conv2d":
        out = int(g.rng.integers(1, 3))
        weight = g.leaf((out, c, kh, kw))
        padding = g.choice([pad, "same", "valid"]) if stride == 1 else pad
        padding = padding if (padding != "valid" or (kh <= h and kw <= w)) else pad
        # PyTorch casts a bias of another dtype with padding "same" or "valid", else refuses it
        if g.rng.random() < 0.5 and not (g.mixed and isinstance(padding, str)):
            return (lambda L, x, W, b: L.conv2d(image(L, x), W, b, stride, padding),
                    [a, weight, g.leaf((out,))])
        return (lambda L, x, W: L.conv2d(image(L, x), W, None, stride, padding)), [a, weight]
    if name == "unfold":
        return (lambda L, x: L.unfold(image(L, x), (kh, kw), 1, pad, stride)), [a]
    if name == "fold":  # fold(unfold(x)): each pixel times the number of windows that hold it
        return (lambda L, x: L.fold(L.unfold(image(L, x), (kh, kw), 1, pad, stride), (h, w),
                                    (kh, kw), 1, pad, stride)), [a]
    return (lambda L, x: getattr(L, name)(image(L, x), (kh, kw), stride, pad)), [a]


# --------------------------------------------------------------------------- running a graph


def build(seed: int, mixed: bool = False) -> tuple[Graph, Counter]:
    """STEPS random ops on random earlier nodes; returns the graph and how often each op ran."""
    g, ran = Graph(seed, mixed), Counter()
    for _ in range(int(g.rng.integers(1, 3))):
        g.leaf(g.choice([(), (3,), (2, 3), (3, 1), (2, 3, 2), (4, 3)]))
    if mixed and g.rng.random() < 0.5:
        g.integer_node()
    names = sorted(FUZZ)  # a dict's order, not a set's: the same graphs on every run
    attempts = 0
    while sum(ran.values()) < STEPS and attempts < 10 * STEPS:
        attempts += 1
        name = g.choice(names)
        step = FUZZ[name](g)
        if step is None:
            continue
        fn, operands = step
        if mixed:  # PyTorch refuses some mixes of dtypes (float32 @ float64, softmax of integers)
            try:
                theirs = fn(THEIRS, *[pair[1] for pair in operands])
            except (RuntimeError, TypeError):
                continue
        with np.errstate(all="ignore"):
            ours = fn(OURS, *[pair[0] for pair in operands])
        if not _usable(ours):
            continue  # dropped: nothing uses it
        if not mixed:
            theirs = fn(THEIRS, *[pair[1] for pair in operands])
        g.nodes.append((ours, theirs))
        g.used.update(id(pair[0]) for pair in operands)
        ran[name] += 1
    return g, ran


def _usable(t: Tensor) -> bool:
    return t.data.size > 0 and bool(np.all(np.abs(t.data) < BIG))


def backward_both(g: Graph) -> None:
    """Loss: every computed node, weighted by a random array, summed; then backward in both."""
    ours = theirs = 0.0
    for node, ref in g.nodes:
        if node.requires_grad and node.grad_fn is not None:
            direction = g.rng.standard_normal(node.shape)
            ours = ours + (node * direction).sum()
            theirs = theirs + (ref * torch.from_numpy(direction)).sum()
    if isinstance(ours, Tensor):
        ours.backward()
        theirs.backward()


def torch_dtype(t: torch.Tensor) -> np.dtype:
    return torch.empty(0, dtype=t.dtype).numpy().dtype



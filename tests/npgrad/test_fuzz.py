"""Random expression graphs over every public op, built side by side in npgrad and in PyTorch.

Each graph starts from a few leaves and applies random ops to random earlier nodes, so nodes are
reused; operands broadcast, Python numbers and NumPy arrays join as constants, and new leaves join
midway. In float64 the two libraries must agree on every node's value and on every leaf's
gradient (rtol 1e-6); with float32 and float64 leaves mixed (0-dim ones too), integer tensors and
Python int and float constants, they must agree on the dtype of every node and every gradient.
The graphs are seeded: a failure names its seed, and `graph_steps(seed)` replays it.
"""

from __future__ import annotations

import operator
from collections import Counter
from collections.abc import Callable
from types import SimpleNamespace

import numpy as np
import pytest

import npgrad.functional as F
from npgrad import Tensor

torch = pytest.importorskip("torch", reason="PyTorch is not installed: pip install torch==2.13.0")
TF = torch.nn.functional

GRAPHS, DTYPE_GRAPHS, STEPS = 300, 150, 7
BIG = 1e6  # a node whose values leave [-BIG, BIG] (or are not finite) is dropped: chains of exp


# --------------------------------------------------------------------------- the two libraries


def _all_dims(x, dim):
    return tuple(range(x.ndim)) if dim is None else dim


def _torch_index(index):
    if isinstance(index, tuple):
        return tuple(_torch_index(i) for i in index)
    return torch.from_numpy(index) if isinstance(index, np.ndarray) else index


OURS = SimpleNamespace(
    **{name: getattr(F, name) for name in (
        "add", "sub", "mul", "div", "maximum", "neg", "pow", "matmul", "linear", "exp", "log", "sqrt",
        "abs", "clamp", "clip", "relu", "sigmoid", "tanh", "sum", "mean", "amax", "max", "logsumexp",
        "softmax", "log_softmax", "reshape", "view", "flatten", "permute", "transpose", "getitem", "cat",
        "concatenate", "stack", "cross_entropy", "binary_cross_entropy_with_logits", "mse_loss",
        "conv2d", "unfold", "fold", "max_pool2d", "avg_pool2d")},
    const=lambda a: a,
    tensor=Tensor,
)
THEIRS = SimpleNamespace(
    add=torch.add, sub=torch.sub, mul=torch.mul, div=torch.div, maximum=torch.maximum, neg=torch.neg,
    pow=torch.pow, matmul=torch.matmul, linear=TF.linear, exp=torch.exp, log=torch.log, sqrt=torch.sqrt,
    abs=torch.abs, clamp=torch.clamp, clip=torch.clip, relu=torch.relu, sigmoid=torch.sigmoid,
    tanh=torch.tanh, sum=lambda x, dim=None, keepdim=False: torch.sum(x, dim=dim, keepdim=keepdim),
    mean=lambda x, dim=None, keepdim=False: torch.mean(x, dim=dim, keepdim=keepdim),
    amax=lambda x, dim=None, keepdim=False: torch.amax(x, dim=_all_dims(x, dim), keepdim=keepdim),
    max=torch.max,
    logsumexp=lambda x, dim=None, keepdim=False: torch.logsumexp(x, dim=_all_dims(x, dim), keepdim=keepdim),
    softmax=torch.softmax, log_softmax=torch.log_softmax, reshape=torch.reshape,
    view=torch.reshape,  # npgrad's view copies where it must; PyTorch's refuses non-contiguous input
    flatten=torch.flatten,
    permute=lambda x, *dims: torch.permute(x, dims), transpose=torch.transpose,
    getitem=lambda x, index: x[_torch_index(index)], cat=torch.cat, concatenate=torch.cat,
    stack=torch.stack,
    cross_entropy=lambda x, t, reduction: TF.cross_entropy(x, torch.from_numpy(t), reduction=reduction),
    binary_cross_entropy_with_logits=lambda x, t, reduction: TF.binary_cross_entropy_with_logits(
        x, torch.from_numpy(t), reduction=reduction),
    mse_loss=TF.mse_loss,
    conv2d=TF.conv2d, unfold=TF.unfold, fold=TF.fold, max_pool2d=TF.max_pool2d,
    avg_pool2d=TF.avg_pool2d,
    const=torch.from_numpy,
    tensor=torch.from_numpy,
)


# --------------------------------------------------------------------------- a graph, built twice


class Graph:
    """Nodes as (ours, theirs) pairs; leaves require grad; constants are recorded apart."""

    def __init__(self, seed: int, mixed: bool):
        self.rng, self.mixed = np.random.default_rng(seed), mixed
        self.nodes: list[tuple[Tensor, torch.Tensor]] = []
        self.leaves: list[tuple[Tensor, torch.Tensor]] = []
        self.used = Counter()  # how often each node was an operand: reuse happens

    def leaf(self, shape: tuple[int, ...], positive: bool = False) -> tuple[Tensor, torch.Tensor]:
        data = self.rng.standard_normal(shape)
        data = np.abs(data) + 0.5 if positive else data
        dtype = self.rng.choice([np.float32, np.float64]) if self.mixed else np.float64
        data = np.asarray(data, dtype=dtype)
        pair = (Tensor(data.copy(), requires_grad=True), torch.tensor(data, requires_grad=True))
        self.leaves.append(pair)
        self.nodes.append(pair)
        return pair

    def leaf_like(self, node: tuple[Tensor, torch.Tensor]) -> tuple[Tensor, torch.Tensor]:
        """A new leaf holding a copy of node's values, in each library: exact ties with node."""
        pair = (Tensor(node[0].data.copy(), requires_grad=True), node[1].detach().clone().requires_grad_())
        self.leaves.append(pair)
        return pair

    def integer_node(self) -> None:
        """An integer tensor combined with a Python number (PyTorch: float32 for a float), as a node."""
        c = self.int_tensor(self.choice([(), (3,), (2, 3)]))
        number = self.python_number(nonzero=True)
        symbol = self.choice([operator.add, operator.sub, operator.mul, operator.truediv, operator.pow])
        number = abs(number) if symbol is operator.pow else number  # integers to negative powers: refused
        swap = symbol is not operator.pow and self.rng.random() < 0.5
        with np.errstate(all="ignore"):  # 1 / 0 is inf in both
            self.nodes.append(tuple(symbol(number, t) if swap else symbol(t, number) for t in c))

    def pick(self, ok: Callable[[np.ndarray], bool] = lambda x: True):
        """A random earlier node whose value satisfies ok, or None."""
        candidates = [pair for pair in self.nodes if ok(pair[0].data)]
        return candidates[self.rng.integers(len(candidates))] if candidates else None

    def choice(self, options):
        return options[self.rng.integers(len(options))]

    def python_number(self, nonzero: bool = False):
        """A Python int or float constant (never 0 where it would divide)."""
        if self.rng.random() < 0.5:
            return int(self.choice([1, 2, 3, -1, -2] if nonzero else [0, 1, 2, 3, -1, -2]))
        return float(self.choice([0.5, 0.1, -1.5, 2.0, 1e-3] + ([] if nonzero else [0.0])))

    def broadcast_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        """A shape that broadcasts with shape: itself, a suffix, some dims set to 1, or a new axis."""
        kind = self.rng.integers(4)
        if kind == 0:
            return shape
        if kind == 1:
            return shape[self.rng.integers(len(shape) + 1):]
        if kind == 2:
            return tuple(1 if self.rng.random() < 0.5 else n for n in shape)
        return (2,) + shape if len(shape) < 3 else shape

    def int_tensor(self, shape):
        data = self.rng.integers(-3, 4, shape).astype(self.choice([np.int64, np.int32]))
        return OURS.tensor(data.copy()), THEIRS.tensor(data)


Step = tuple[Callable, list]  # fn(L, *operands) for L in (OURS, THEIRS), and the operand pairs


def _positive(x):
    return x.size > 0 and x.min() > 0.2


def _away_from_zero(x):
    return x.size > 0 and np.abs(x).min() > 0.2


def _dims(x) -> bool:
    return x.ndim >= 1 and x.size > 0


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


# --------------------------------------------------------------------------- the tests


def test_fuzz_covers_every_public_op():
    """An op npgrad.functional offers (its own or re-exported) needs a row in FUZZ."""
    public = {n for n in F.__all__ if callable(v := getattr(F, n)) and not isinstance(v, type)}
    assert {"conv2d", "unfold", "fold", "max_pool2d", "avg_pool2d"} <= public  # re-exported
    assert public - set(FUZZ) == set()


def test_random_graphs_agree_with_pytorch_in_value_and_every_leaf_gradient():
    ran, reused = Counter(), 0
    for seed in range(GRAPHS):
        g, counts = build(seed)
        ran += counts
        reused += any(n > 1 for n in g.used.values())
        for i, (ours, theirs) in enumerate(g.nodes):
            np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-6, atol=1e-10,
                                       err_msg=f"graph seed {seed}, node {i}")
        with np.errstate(all="ignore"):
            backward_both(g)
        for i, (ours, theirs) in enumerate(g.leaves):
            assert (ours.grad is None) == (theirs.grad is None), f"graph seed {seed}, leaf {i}"
            if ours.grad is not None:
                np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-6, atol=1e-10,
                                           err_msg=f"graph seed {seed}, leaf {i}")
    # the graphs did what they claim: every op ran many times, nodes were reused
    assert min(ran[name] for name in FUZZ) >= 10, ran
    assert reused >= GRAPHS // 2


def test_random_graphs_agree_with_pytorch_in_every_dtype():
    """float32 and float64 leaves (0-dim ones too), integer tensors, Python int and float constants."""
    checked = Counter()
    for seed in range(DTYPE_GRAPHS):
        g, _ = build(10_000 + seed, mixed=True)
        for i, (ours, theirs) in enumerate(g.nodes):
            assert ours.dtype == torch_dtype(theirs), f"graph seed {10_000 + seed}, node {i}"
            assert ours.shape == tuple(theirs.shape), f"graph seed {10_000 + seed}, node {i}"
            checked[str(ours.dtype)] += 1
        with np.errstate(all="ignore"):
            backward_both(g)
        for i, (ours, theirs) in enumerate(g.leaves):
            if ours.grad is not None:
                assert ours.grad.dtype == torch_dtype(theirs.grad), f"graph seed {10_000 + seed}, leaf {i}"
    assert checked["float32"] > 100 and checked["float64"] > 100, checked

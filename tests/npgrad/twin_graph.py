"""npgrad and PyTorch side by side for test_fuzz.py's random graphs: each op under both
names, and a graph whose every node is a pair (npgrad's, PyTorch's)."""

from __future__ import annotations

import operator
from collections import Counter
from collections.abc import Callable
from types import SimpleNamespace

import numpy as np
import torch

import npgrad.functional as F
from npgrad import Tensor

TF = torch.nn.functional
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



"""Every op, listed once, checked three ways: central differences in float64 (fixed shapes,
broadcasting included), hypothesis-generated shapes, and PyTorch's values and gradients."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import npgrad.functional as F
from npgrad import Tensor, conv, gradcheck, losses, pooling, reductions, shape_ops

try:
    import torch
    import torch.nn.functional as TF
except ImportError:  # the parity tests say why they skip
    torch = TF = None

# --------------------------------------------------------------------------- input domains
# Keep inputs away from kinks and singularities, as minitorch does: relu(x + 0.5) style.


def anywhere(x):
    return x


def positive(x):
    return np.abs(x) + 0.5


def off_zero(x):
    return x + np.where(x >= 0, 0.3, -0.3)


# --------------------------------------------------------------------------- shape strategies

small = {"min_side": 1, "max_side": 3}


def unary():
    return hnp.array_shapes(min_dims=0, max_dims=3, **small).map(lambda s: ((s,), {}))


def binary():
    return hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, **small).map(
        lambda b: (b.input_shapes, {})
    )


@st.composite
def reduction(draw, dim_required=False):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, **small))
    dims = st.integers(-len(shape), len(shape) - 1)
    dim = draw(dims if dim_required else st.none() | dims)
    return (shape,), ({"dim": dim} if dim_required else {"dim": dim, "keepdim": draw(st.booleans())})


@st.composite
def matmuls(draw):
    n, k, m = (draw(st.integers(1, 3)) for _ in range(3))
    batch_a, batch_b = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, **small)).input_shapes
    return (batch_a + (n, k), batch_b + (k, m)), {}


@st.composite
def permutations(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, **small))
    return (shape,), {"dims": tuple(draw(st.permutations(range(len(shape)))))}


@st.composite
def indexings(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=2, max_side=4))
    index = draw(hnp.basic_indices(shape, allow_ellipsis=False, allow_newaxis=False, min_dims=0))
    return (shape,), {"index": index}


@st.composite
def fancy_indexings(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=2, max_side=4))
    index = draw(hnp.arrays(np.int64, st.integers(1, 5), elements=st.integers(0, shape[0] - 1)))
    return (shape,), {"index": index}  # repeated rows included: their gradients must add up


@st.composite
def joins(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, **small))
    return (shape, shape, shape), {"dim": draw(st.integers(0, len(shape) - 1))}


@st.composite
def classification(draw, probabilities=False):
    n, q = draw(st.integers(1, 4)), draw(st.integers(2, 4))
    reduction = draw(st.sampled_from(["mean", "sum", "none"]))
    rng = np.random.default_rng(draw(st.integers(0, 100)))
    # probabilities: non-negative rows of any sum (some all zero), as PyTorch allows
    probs = rng.uniform(0, 1, (n, q)) * (rng.random((n, 1)) < 0.8)
    target = probs if probabilities else rng.integers(0, q, n)
    return ((n, q),), {"target": target, "reduction": reduction}


@st.composite
def same_shapes(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, **small))
    return (shape, shape), {"reduction": draw(st.sampled_from(["mean", "sum", "none"]))}


@st.composite
def windows(draw, op):
    """(N, C, H, W) inputs with a kernel, stride, padding and dilation that fit them (odd and
    even sizes, overlapping and gapped windows), for the convolution and pooling ops."""
    pool = op in ("max_pool2d", "avg_pool2d")
    two = lambda lo, hi: (draw(st.integers(lo, hi)), draw(st.integers(lo, hi)))  # noqa: E731
    n, c, o = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    k, s = two(1, 3), two(1, 3)
    d = (1, 1) if op == "avg_pool2d" else two(1, 2)
    p = tuple(draw(st.integers(0, kk // 2 if pool else 2)) for kk in k)
    named = op == "conv2d" and draw(st.sampled_from([None, "same", "valid"]))
    p = (0, 0) if named else p  # the sizes below fit "same" too: it pads d (k - 1) in all
    h, w = (max(1, dd * (kk - 1) + 1 - 2 * pp) + draw(st.integers(0, 4))
            for kk, dd, pp in zip(k, d, p, strict=True))
    geometry = {"kernel_size": k, "stride": s, "padding": p, "dilation": d}
    if op == "conv2d":
        if named:
            geometry.update(stride=1, padding=named)
        del geometry["kernel_size"]
        return ((n, c, h, w), (o, c) + k, (o,)), geometry
    if op == "fold":
        out = [(size + 2 * pp - dd * (kk - 1) - 1) // ss + 1
               for size, kk, ss, pp, dd in zip((h, w), k, s, p, d, strict=True)]
        return ((n, c * k[0] * k[1], out[0] * out[1]),), {"output_size": (h, w), **geometry}
    if op == "avg_pool2d":
        del geometry["dilation"]
        geometry["count_include_pad"] = draw(st.booleans())
    return ((n, c, h, w),), geometry


# --------------------------------------------------------------------------- the table


@dataclass
class Op:
    name: str
    fn: Callable  # npgrad: fn(*tensors, **kw)
    ref: Callable | None  # torch: ref(*tensors, **kw); None where torch has no such op
    cases: list  # fixed (shapes, kw) pairs, broadcasting among them
    shapes: st.SearchStrategy  # hypothesis-generated (shapes, kw)
    domain: list[Callable] = field(default_factory=lambda: [anywhere, anywhere, anywhere])
    needs_grad: tuple[bool, ...] | None = None  # which inputs are differentiated (default all)
    edges: list = field(default_factory=list)  # (arrays, kw): zeros, infinities, NaN; vs PyTorch

    def __repr__(self) -> str:
        return self.name


def _tsum(x, dim=None, keepdim=False):
    return torch.sum(x, dim=dim, keepdim=keepdim)


def _all_dims(x, dim):
    return tuple(range(x.ndim)) if dim is None else dim


def _cross_entropy_torch(x, target, reduction):
    target = torch.as_tensor(target)
    return TF.cross_entropy(x, target, reduction=reduction)


# Edge values: every pair of them for binary ops, each of them for unary ones.
EDGE = np.array([0.0, -0.0, 1.0, -2.5, np.inf, -np.inf, np.nan])
PAIRS = [((EDGE[:, None], EDGE[None, :]), {})]
EACH = [((EDGE,), {})]
ROWS = np.array([[-np.inf, -np.inf, -np.inf], [np.inf, 1.0, -np.inf], [0.0, -np.inf, 2.0],
                 [np.nan, 0.0, 1.0], [0.0, 0.0, 0.0], [1.0, 3.0, 3.0]])  # ties in the last two
ON_ROWS = [((ROWS,), {"dim": d}) for d in (0, 1)]
RESHAPE = [((ROWS,), {})]
LOGITS = np.array([[0.0, -np.inf, 1.0], [2.0, 0.0, -np.inf], [0.0, 0.0, 0.0], [np.inf, 0.0, 1.0]])
LOGIT_PROBS = np.array([[1.0, 0.0, 0.0], [0.0, 0.5, 0.0], [0.0, 0.0, 0.0], [0.0, 1.0, 0.0]])

BCAST = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (2, 3)), ((1,), (2, 1))]
UNARY = [(((3, 4),), {}), (((),), {}), (((2, 3, 2),), {})]
RED = [((3, 4), {"dim": None}), ((3, 4), {"dim": 1, "keepdim": True}), ((2, 3, 4), {"dim": 0}),
       ((2, 3, 4), {"dim": (0, 2)}), ((2, 3, 4), {"dim": -1, "keepdim": False})]

OPS = [
    Op("add", lambda a, b: a + b, lambda a, b: a + b, [(s, {}) for s in BCAST], binary(),
       edges=PAIRS),
    Op("sub", lambda a, b: a - b, lambda a, b: a - b, [(s, {}) for s in BCAST], binary(),
       edges=PAIRS),
    Op("mul", lambda a, b: a * b, lambda a, b: a * b, [(s, {}) for s in BCAST], binary(),
       edges=PAIRS),
    Op("div", lambda a, b: a / b, lambda a, b: a / b, [(s, {}) for s in BCAST], binary(),
       [anywhere, off_zero],
       edges=PAIRS),
    Op("maximum", F.maximum, lambda a, b: torch.maximum(a, b), [(s, {}) for s in BCAST], binary(),
       edges=PAIRS),
    Op("neg", lambda x: -x, lambda x: -x, UNARY, unary(),
       edges=EACH),
    Op("pow", lambda x, exponent: x**exponent, lambda x, exponent: x**exponent,
       [(((3, 4),), {"exponent": 2}), (((3,),), {"exponent": -1.5}), (((2, 2),), {"exponent": 0.5})],
       unary().map(lambda c: (c[0], {"exponent": 2.5})), [positive],
       edges=[((EDGE,), {"exponent": p}) for p in (0, 1, 2, 3, 0.5, 1.5, -1, -0.5, 0.0)]),
    Op("matmul", lambda a, b: a @ b, lambda a, b: a @ b,
       [(((3, 4), (4, 2)), {}), (((2, 3, 4), (4, 5)), {}), (((2, 1, 3, 4), (3, 4, 2)), {}),
        (((4,), (4, 3)), {}), (((2, 3, 4), (4,)), {})], matmuls(),
       edges=[((np.zeros((2, 3)), np.zeros((3, 2))), {})]),
    Op("linear", F.linear, TF.linear if TF else None,
       [(((5, 3), (4, 3), (4,)), {}), (((2, 5, 3), (4, 3), (4,)), {}), (((3,), (2, 3), (2,)), {})],
       st.tuples(st.integers(1, 4), st.integers(1, 3), st.integers(1, 3)).map(
           lambda t: (((t[0], t[1]), (t[2], t[1]), (t[2],)), {})),
       edges=[((np.zeros((2, 3)), np.zeros((4, 3)), np.zeros(4)), {})]),
    Op("exp", F.exp, torch.exp if torch else None, UNARY, unary(),
       edges=EACH),
    Op("log", F.log, torch.log if torch else None, UNARY, unary(), [positive],
       edges=EACH),
    Op("sqrt", F.sqrt, torch.sqrt if torch else None, UNARY, unary(), [positive],
       edges=EACH),
    Op("abs", F.abs, torch.abs if torch else None, UNARY, unary(), [off_zero],
       edges=EACH),
    Op("clamp", F.clamp, lambda x, min, max: torch.clamp(x, min, max),  # noqa: A006
       [(((3, 4),), {"min": -0.5, "max": 0.7}), (((5,),), {"min": 0.1, "max": None}),
        (((5,),), {"min": None, "max": 0.2})],
       unary().map(lambda c: (c[0], {"min": -0.5, "max": 0.5})),
       edges=[((EDGE,), {"min": -2.5, "max": 1.0}), ((EDGE,), {"min": 0.0, "max": None})]),
    Op("relu", F.relu, torch.relu if torch else None, UNARY, unary(), [off_zero],
       edges=EACH),
    Op("sigmoid", F.sigmoid, torch.sigmoid if torch else None, UNARY, unary(),
       edges=EACH),
    Op("tanh", F.tanh, torch.tanh if torch else None, UNARY, unary(),
       edges=EACH),
    Op("sum", F.sum, _tsum, [((s,), kw) for s, kw in RED], reduction(),
       edges=ON_ROWS),
    Op("mean", F.mean, lambda x, dim=None, keepdim=False: torch.mean(x, dim=dim, keepdim=keepdim),
       [((s,), kw) for s, kw in RED], reduction(),
       edges=ON_ROWS),
    Op("amax", F.amax,
       lambda x, dim=None, keepdim=False: torch.amax(x, dim=_all_dims(x, dim), keepdim=keepdim),
       [((s,), kw) for s, kw in RED], reduction(),
       edges=ON_ROWS + [((ROWS,), {"dim": None})]),
    Op("max_dim", lambda x, dim: F.max(x, dim).values, lambda x, dim: torch.max(x, dim).values,
       [(((3, 4),), {"dim": 1}), (((2, 3, 4),), {"dim": 0})], reduction(dim_required=True),
       edges=ON_ROWS),
    Op("logsumexp", F.logsumexp,
       lambda x, dim=None, keepdim=False: torch.logsumexp(x, dim=_all_dims(x, dim), keepdim=keepdim),
       [((s,), kw) for s, kw in RED], reduction(),
       edges=ON_ROWS),
    Op("softmax", F.softmax, lambda x, dim: torch.softmax(x, dim),
       [(((3, 4),), {"dim": -1}), (((3, 4),), {"dim": 0}), (((2, 3, 4),), {"dim": 1})],
       reduction(dim_required=True),
       edges=ON_ROWS),
    Op("log_softmax", F.log_softmax, lambda x, dim: torch.log_softmax(x, dim),
       [(((3, 4),), {"dim": -1}), (((3, 4),), {"dim": 0}), (((2, 3, 4),), {"dim": 1})],
       reduction(dim_required=True),
       edges=ON_ROWS),
    Op("reshape", lambda x, shape: x.reshape(shape), lambda x, shape: x.reshape(shape),
       [(((3, 4),), {"shape": (2, 6)}), (((2, 3, 4),), {"shape": (4, -1)}), (((6,),), {"shape": (1, 2, 3)})],
       unary().map(lambda c: (c[0], {"shape": (-1,)}))),
    Op("flatten", lambda x: x.flatten(), lambda x: x.flatten(), [(((3, 4),), {}), (((2, 3, 4),), {})],
       unary(),
       edges=RESHAPE),
    Op("permute", lambda x, dims: x.permute(*dims), lambda x, dims: x.permute(*dims),
       [(((2, 3, 4),), {"dims": (2, 0, 1)}), (((3, 4),), {"dims": (1, 0)})], permutations()),
    Op("transpose", lambda x: x.transpose(0, 1), lambda x: x.transpose(0, 1),
       [(((3, 4),), {}), (((2, 3, 4),), {})],
       hnp.array_shapes(min_dims=2, max_dims=3, **small).map(lambda s: ((s,), {})),
       edges=RESHAPE),
    Op("getitem", lambda x, index: x[index], lambda x, index: x[_torch_index(index)],
       [(((4, 3),), {"index": 1}), (((4, 3),), {"index": (slice(1, 3), 2)}),
        (((4, 3),), {"index": np.array([0, 2, 2, 3])}),
        (((4, 3),), {"index": np.array([True, False, True, True])}),
        (((2, 4, 3),), {"index": (slice(None), np.array([3, 0, 3]))})],
       indexings() | fancy_indexings()),
    Op("cat", lambda *xs, dim: F.cat(xs, dim), lambda *xs, dim: torch.cat(xs, dim),
       [(((2, 3), (4, 3), (1, 3)), {"dim": 0}), (((2, 3), (2, 1), (2, 2)), {"dim": 1})], joins(),
       edges=[((ROWS, ROWS[:2]), {"dim": 0})]),
    Op("stack", lambda *xs, dim: F.stack(xs, dim), lambda *xs, dim: torch.stack(xs, dim),
       [(((2, 3), (2, 3)), {"dim": 0}), (((2, 3), (2, 3), (2, 3)), {"dim": 2})], joins(),
       edges=[((ROWS, ROWS), {"dim": 1})]),
    Op("cross_entropy", F.cross_entropy, _cross_entropy_torch,
       [(((4, 3),), {"target": np.array([0, 2, 1, 2]), "reduction": r}) for r in ("mean", "sum", "none")]
       + [(((3, 4),), {"target": np.full((3, 4), 0.25), "reduction": "mean"}),
          (((3, 4),), {"target": np.array([[0.0] * 4, [0.5, 0, 1, 2], [0, 0, 0.3, 0]]), "reduction": "sum"})],
       classification() | classification(probabilities=True),
       edges=[((LOGITS,), {"target": np.array([2, 1, 0, 1]), "reduction": "none"}),
              ((LOGITS,), {"target": LOGIT_PROBS, "reduction": "sum"})]),
    Op("bce_with_logits", F.binary_cross_entropy_with_logits,
       lambda x, t, reduction: TF.binary_cross_entropy_with_logits(x, t, reduction=reduction),
       [(((4, 3), (4, 3)), {"reduction": r}) for r in ("mean", "sum", "none")], same_shapes(),
       [anywhere, lambda t: 1 / (1 + np.exp(-t))], needs_grad=(True, False),
       edges=[((EDGE[:, None] * np.ones(3), np.tile([0.0, 0.5, 1.0], (7, 1))), {"reduction": "none"})]),
    Op("mse_loss", F.mse_loss, lambda a, b, reduction: TF.mse_loss(a, b, reduction=reduction),
       [(((4, 3), (4, 3)), {"reduction": r}) for r in ("mean", "sum", "none")], same_shapes(),
       edges=[((EDGE[:, None] * np.ones(7), EDGE[None, :] * np.ones((7, 1))), {"reduction": "none"})]),
    Op("conv2d", F.conv2d, TF.conv2d if TF else None,
       [(((2, 3, 7, 6), (4, 3, 3, 2), (4,)), {"stride": (2, 1), "padding": (1, 2), "dilation": (1, 2)}),
        (((1, 2, 5, 5), (3, 2, 4, 4), (3,)), {"padding": "same"}),
        (((2, 1, 6, 5), (2, 1, 3, 3), (2,)), {"stride": 2, "padding": "valid"})],
       windows("conv2d"),
       edges=[((np.tile(EDGE, (1, 1, 7, 1)), np.ones((2, 1, 2, 2)), np.zeros(2)), {"padding": 1})]),
    Op("unfold", F.unfold, TF.unfold if TF else None,
       [(((2, 3, 7, 6),), {"kernel_size": (3, 2), "stride": (2, 1), "padding": (1, 2), "dilation": (1, 2)}),
        (((1, 2, 4, 4),), {"kernel_size": 2, "stride": 2})], windows("unfold"),
       edges=[((np.tile(EDGE, (1, 1, 7, 1)),), {"kernel_size": 3, "padding": 1})]),
    Op("fold", F.fold, TF.fold if TF else None,
       [(((2, 18, 12),), {"output_size": (7, 6), "kernel_size": (3, 2), "stride": 2, "padding": (1, 0)}),
        (((1, 8, 9),), {"output_size": (4, 4), "kernel_size": 2, "stride": 1})], windows("fold"),
       edges=[((np.resize(EDGE, (1, 4, 36)),), {"output_size": (7, 7), "kernel_size": 2})]),
    Op("max_pool2d", F.max_pool2d, TF.max_pool2d if TF else None,
       [(((2, 3, 7, 6),), {"kernel_size": (3, 2), "stride": (2, 1), "padding": 1, "dilation": (1, 2)}),
        (((1, 2, 4, 4),), {"kernel_size": 2})], windows("max_pool2d"),
       edges=[((np.tile(EDGE, (1, 1, 7, 1)),), {"kernel_size": k, "stride": s, "padding": p})
              for k, s, p in ((2, 1, 1), (3, 2, 1), (2, 2, 0))]
       + [((np.array([[[[1.0, 3.0, 3.0], [3.0, 0.0, 3.0], [2.0, 2.0, 2.0]]]]),), {"kernel_size": 2,
                                                                              "stride": 1})]),
    Op("avg_pool2d", F.avg_pool2d, TF.avg_pool2d if TF else None,
       [(((2, 3, 7, 6),), {"kernel_size": (3, 2), "stride": (2, 1), "padding": 1}),
        (((1, 2, 5, 5),), {"kernel_size": 3, "padding": 1, "count_include_pad": False}),
        (((1, 2, 4, 4),), {"kernel_size": 2, "divisor_override": 3})], windows("avg_pool2d"),
       edges=[((np.tile(EDGE, (1, 1, 7, 1)),), {"kernel_size": 2, "stride": 1, "padding": 1})]),
]


def _torch_index(index):
    if isinstance(index, tuple):
        return tuple(_torch_index(i) for i in index)
    return torch.as_tensor(index) if isinstance(index, np.ndarray) else index


def make_inputs(op: Op, shapes, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [op.domain[i % len(op.domain)](rng.standard_normal(s)) for i, s in enumerate(shapes)]


def check_gradient(op: Op, shapes, kw) -> None:
    arrays = make_inputs(op, shapes)
    wants = op.needs_grad or (True,) * len(arrays)
    free = [i for i, w in enumerate(wants) if w]

    def f(*xs):  # differentiate the inputs that want it, hold the rest fixed
        full = list(arrays)
        for i, x in zip(free, xs, strict=True):
            full[i] = x
        return op.fn(*(a if isinstance(a, Tensor) else Tensor(a) for a in full), **kw)

    gradcheck(f, *(arrays[i] for i in free), atol=1e-6, rtol=1e-5)


FIXED = [
    pytest.param(op, shapes, kw, id=f"{op.name}-{i}") for op in OPS for i, (shapes, kw) in enumerate(op.cases)
]


@pytest.mark.parametrize(("op", "shapes", "kw"), FIXED)
def test_gradient_matches_central_differences(op, shapes, kw):
    check_gradient(op, shapes, kw)


@pytest.mark.parametrize("op", OPS, ids=repr)
def test_gradient_on_generated_shapes(op):
    @settings(max_examples=15, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(op.shapes)
    def check(case):
        shapes, kw = case
        check_gradient(op, shapes, kw)

    check()


@pytest.mark.parametrize(("op", "shapes", "kw"), FIXED)
def test_value_and_gradient_match_pytorch(op, shapes, kw):
    if torch is None:
        pytest.skip("PyTorch is not installed: pip install torch==2.13.0 to run the parity tests")
    arrays = make_inputs(op, shapes)
    wants = op.needs_grad or (True,) * len(arrays)
    ours = [Tensor(a.copy(), requires_grad=w) for a, w in zip(arrays, wants, strict=True)]
    theirs = [torch.tensor(a, requires_grad=w) for a, w in zip(arrays, wants, strict=True)]
    out, ref = op.fn(*ours, **kw), op.ref(*theirs, **kw)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-6, atol=1e-12)
    direction = np.random.default_rng(1).standard_normal(out.shape)
    (out * direction).sum().backward()
    (ref * torch.tensor(direction)).sum().backward()
    for o, t in zip(ours, theirs, strict=True):
        if t.requires_grad:
            np.testing.assert_allclose(o.grad.data, t.grad.numpy(), rtol=1e-6, atol=1e-10)


def test_every_public_op_is_in_the_table():
    """Adding an op means adding a row here: this test names the ones missing."""
    tested = {op.name for op in OPS} | {"max", "clip", "concatenate", "view", "add", "sub", "mul",
                                         "div", "neg", "pow", "getitem", "binary_cross_entropy_with_logits"}
    functions = {n for n in F.__all__ if callable(v := getattr(F, n)) and not isinstance(v, type)}
    assert {"conv2d", "unfold", "fold", "max_pool2d", "avg_pool2d"} <= functions  # re-exported
    assert functions - tested == set()


def test_functional_offers_every_op_of_the_modules_that_define_them():
    """An op added to one of functional's own modules is reachable as F.name."""
    for module in (losses, reductions, shape_ops, conv, pooling):
        defined = {n for n, v in vars(module).items() if callable(v) and not isinstance(v, type)
                   and v.__module__ == module.__name__ and not n.startswith("_")}
        assert defined - set(F.__all__) == set(), module.__name__


# --------------------------------------------------------------------------- cases PyTorch decides


def test_gradient_of_x_to_the_power_0_is_0_even_at_0():
    x = Tensor(np.array([0.0, 1.0, -2.0]), requires_grad=True)
    (x**0).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0, 0.0])
    x.grad = None
    (x**0.0 * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0, 0.0])


def test_logsumexp_of_rows_with_infinities():
    x = Tensor(np.array([[-np.inf, -np.inf], [np.inf, 1.0], [np.inf, -np.inf], [1.0, 2.0]]))
    out = F.logsumexp(x, dim=1)
    np.testing.assert_array_equal(out.data[:3], [-np.inf, np.inf, np.inf])
    assert out.data[3] == pytest.approx(2 + np.log1p(np.exp(-1)), rel=1e-15)
    assert F.logsumexp(Tensor(np.full(3, -np.inf))).item() == -np.inf


def test_max_along_dim_sends_the_gradient_to_the_returned_index_at_ties():
    x = Tensor(np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0], [0.0, 5.0, 1.0]]), requires_grad=True)
    values, indices = F.max(x, 1)
    np.testing.assert_array_equal(indices.data, [1, 0, 1])  # the first largest, as torch.max
    values.backward(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(x.grad.data, [[0, 1, 0], [2, 0, 0], [0, 3, 0]])
    kept = x.max(dim=0, keepdim=True)
    assert kept.values.shape == kept.indices.shape == (1, 3)
    x.grad = None
    F.amax(x, 1).backward(np.array([1.0, 2.0, 3.0]))  # amax shares the gradient among ties
    np.testing.assert_allclose(x.grad.data, [[0, 0.5, 0.5], [2 / 3, 2 / 3, 2 / 3], [0, 3, 0]])
    x.grad = None
    x.max().backward()  # and so does max without dim, as torch.max(x)
    np.testing.assert_array_equal(x.grad.data, [[0, 0, 0], [0, 0, 0], [0, 1, 0]])


@pytest.mark.parametrize(("join", "name", "words"), [
    (F.cat, "cat", r"cannot join shapes \(2, 3\), \(3, 2\) along dim 0"),
    (F.stack, "stack", r"cannot join shapes \(2, 3\), \(3, 2\) along dim 0.*same shape"),
])
def test_cat_and_stack_errors_name_the_op(join, name, words):
    with pytest.raises(ValueError, match=rf"^{name}: {words}"):
        join([Tensor(np.ones((2, 3))), Tensor(np.ones((3, 2)))])
    with pytest.raises(ValueError, match=rf"^{name}: .*along dim 5"):
        join([Tensor(np.ones((2, 3)))], dim=5)
    with pytest.raises(ValueError, match=rf"^{name}: expected a non-empty sequence"):
        join([])


EDGES = [
    pytest.param(op, arrays, kw, id=f"{op.name}-{i}") for op in OPS for i, (arrays, kw) in enumerate(op.edges)
]


@pytest.mark.parametrize(("op", "arrays", "kw"), EDGES)
def test_edge_values_match_pytorch(op, arrays, kw):
    """Zeros, infinities and NaN: the value and the gradient PyTorch defines, NaN where it has NaN."""
    if torch is None:
        pytest.skip("PyTorch is not installed: pip install torch==2.13.0 to run the parity tests")
    wants = op.needs_grad or (True,) * len(arrays)
    ours = [Tensor(a.copy(), requires_grad=w) for a, w in zip(arrays, wants, strict=True)]
    theirs = [torch.tensor(a, requires_grad=w) for a, w in zip(arrays, wants, strict=True)]
    with np.errstate(all="ignore"):  # NumPy warns where PyTorch silently gives inf or NaN
        out = op.fn(*ours, **kw)
        direction = np.random.default_rng(1).standard_normal(out.shape)
        (out * direction).sum().backward()
    ref = op.ref(*theirs, **kw)
    (ref * torch.tensor(direction)).sum().backward()
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-6, atol=1e-12)
    for i, (o, t) in enumerate(zip(ours, theirs, strict=True)):
        if t.requires_grad:
            np.testing.assert_allclose(o.grad.data, t.grad.numpy(), rtol=1e-6, atol=1e-10, err_msg=f"{i}")


def test_the_edge_values_cover_the_table():
    """Every op whose result depends on the values has edge cases; the shape-only ops need none."""
    shape_only = {"reshape", "permute", "getitem"}
    assert {op.name for op in OPS if not op.edges} == shape_only

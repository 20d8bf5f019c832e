"""Random expression graphs over every public op, built side by side in npgrad and in PyTorch.

Each graph starts from a few leaves and applies random ops to random earlier nodes, so nodes are
reused; operands broadcast, Python numbers and NumPy arrays join as constants, and new leaves join
midway. In float64 the two libraries must agree on every node's value and on every leaf's
gradient (rtol 1e-6); with float32 and float64 leaves mixed (0-dim ones too), integer tensors and
Python int and float constants, they must agree on the dtype of every node and every gradient.
The graphs are seeded: a failure names its seed, and `graph_steps(seed)` replays it.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

import npgrad.functional as F

torch = pytest.importorskip("torch", reason="PyTorch is not installed: pip install torch==2.13.0")

from tests.npgrad.random_graphs import (  # noqa: E402 (only with PyTorch)
    DTYPE_GRAPHS,
    FUZZ,
    GRAPHS,
    backward_both,
    build,
    torch_dtype,
)

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

"""Where npgrad's overhead on softmax regression goes: its conveniences taken out one at a time.

    python -m benchmarks.overhead [--repeats 50] [--out benchmarks/overhead.md]

Softmax regression 784-10 is the model where npgrad stays furthest from hand-written NumPy: its
products are small, so the Python work of each step weighs most. Each variant replaces one
convenience of npgrad's API with the plain code it stands for, keeping the engine; the last
takes out all of them. All take turns with raw NumPy in one run, and each ratio is the median
over rounds of the ratio within a round.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

import npgrad.functional as F
from benchmarks.bench import BATCH, N, interleaved, publish, ratio_table
from benchmarks.contenders import LR, epoch_runner, make_numpy
from npgrad import nn, optim
from npgrad.data import DataLoader, TensorDataset
from npgrad.tensor import Tensor


def make_epoch(X, y, loader=True, module=True, checks=True, optimizer=True):
    """An npgrad epoch of softmax regression; each flag set to False removes one convenience."""
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(X.shape[1], 10, rng=rng))
    W, b = model[0].weight, model[0].bias
    forward = model if module else (lambda x: F.linear(x, W, b))
    # F.cross_entropy checks the logits' shape and the labels' dtype and range, then applies
    loss_fn = F.cross_entropy if checks else (lambda z, t: F.CrossEntropy.apply(z, target=t.data))
    opt = optim.SGD([W, b], lr=LR)

    def step(xb, yb):
        loss = loss_fn(forward(xb), yb)
        if optimizer:
            opt.zero_grad()
            loss.backward()
            opt.step()
        else:
            W.grad = b.grad = None
            loss.backward()
            W.data -= LR * W.grad.data
            b.data -= LR * b.grad.data
        return loss

    if not loader:
        return epoch_runner(lambda x, t: step(Tensor(x), Tensor(t)), X, y, BATCH, rng)
    batches = DataLoader(TensorDataset(X, y), BATCH, shuffle=True, generator=rng)

    def epoch():
        for xb, yb in batches:
            loss = step(xb, yb)
        return loss

    return epoch


VARIANTS = {
    "npgrad as the chapters use it": {},
    "batches indexed by hand, no DataLoader": {"loader": False},
    "F.linear called directly, no Module": {"module": False},
    "labels not checked (CrossEntropy.apply)": {"checks": False},
    "update written out, no optimizer object": {"optimizer": False},
    "all four taken out": {"loader": False, "module": False, "checks": False, "optimizer": False},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--out", type=Path, default=Path("_build/bench/overhead.md"))
    args = parser.parse_args()
    threadpool_limits(1, user_api="blas")
    rng = np.random.default_rng(0)
    X, y = rng.random((N, 784), np.float32), rng.integers(0, 10, N)
    epochs = {"raw NumPy": make_numpy([784, 10], X, y, BATCH, 0)}
    epochs |= {name: make_epoch(X, y, **kw) for name, kw in VARIANTS.items()}
    times = interleaved(epochs, args.repeats)
    text = ratio_table(times, "raw NumPy", "softmax regression 784-10, 1 BLAS thread", "vs raw NumPy")
    publish(text, args.out)


if __name__ == "__main__":
    main()

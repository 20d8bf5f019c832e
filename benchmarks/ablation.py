"""What each of npgrad's speed choices is worth: the MLP epoch with one choice undone at a time.

    python -m benchmarks.ablation [--repeats 5] [--out benchmarks/ablation.md]

Each variant changes one thing (a monkeypatch or a different call), the variants take turns in
one run, and the table reports each one's median epoch time and, against npgrad as it is, the
median over rounds of their ratio within a round.
"""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

import npgrad.functional as F
from benchmarks.bench import interleaved, publish, ratio_table
from npgrad import nn, optim
from npgrad.data import DataLoader, Dataset, TensorDataset
from npgrad.tensor import Tensor

N, BATCH, SIZES = 60_000, 128, (784, 256, 10)


class OneByOne(Dataset):
    """The same arrays behind the general Dataset interface: one example per __getitem__."""

    def __init__(self, X, y):
        self.X, self.y = X, y

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        return self.X[i], self.y[i]


def unfused_cross_entropy(logits, y):
    """-mean(log_softmax(logits)[i, y_i]): three graph nodes instead of one fused op."""
    picked = F.log_softmax(logits, dim=1)[np.arange(len(y)), y.data]
    return -picked.mean()


@contextlib.contextmanager
def every_input_gets_a_gradient():
    """Undo `_grad_if_needed`: backward computes gradients even for inputs that do not require one."""
    original = F._grad_if_needed
    F._grad_if_needed = lambda fn, i, grad_of_input: grad_of_input()
    try:
        yield
    finally:
        F._grad_if_needed = original


@contextlib.contextmanager
def copying_gradients():
    """Undo in-place accumulation: every leaf gradient is copied, every update makes new arrays."""
    accumulate, update = Tensor._accumulate, optim.SGD.update

    def copy_accumulate(self, g, stored_as_grad):
        self.grad = Tensor(g.copy()) if self.grad is None else Tensor(self.grad.data + g)

    def new_array_update(self, param, grad, state, group):
        param[...] = param - group["lr"] * grad  # a new array, copied back for the Parameter

    Tensor._accumulate, optim.SGD.update = copy_accumulate, new_array_update
    try:
        yield
    finally:
        Tensor._accumulate, optim.SGD.update = accumulate, update


def make_epoch(dtype=np.float32, dataset=TensorDataset, loss=F.cross_entropy, context=contextlib.nullcontext,
               order="K"):
    rng = np.random.default_rng(0)
    X, y = rng.random((N, SIZES[0]), np.float32).astype(dtype), rng.integers(0, 10, N)
    d, h, q = SIZES
    model = nn.Sequential(nn.Linear(d, h, rng=rng), nn.ReLU(), nn.Linear(h, q, rng=rng))
    for p in model.parameters():
        p.data = p.data.astype(dtype, order=order)  # "K": the layout nn.Linear chose
    opt = optim.SGD(model.parameters(), lr=0.1)
    loader = DataLoader(dataset(X, y), BATCH, shuffle=True, generator=rng)

    def epoch():
        with context():
            for xb, yb in loader:
                out = loss(model(xb), yb)
                opt.zero_grad()
                out.backward()
                opt.step()

    return epoch


VARIANTS = {
    "npgrad as it is": {},
    "float64 instead of float32": {"dtype": np.float64},
    "gradients for inputs that need none": {"context": every_input_gets_a_gradient},
    "DataLoader stacking examples one by one": {"dataset": OneByOne},
    "gradients copied, updates not in place": {"context": copying_gradients},
    "cross-entropy from log_softmax and indexing": {"loss": unfused_cross_entropy},
    "weights stored row by row": {"order": "C"},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("_build/bench/ablation.md"))
    args = parser.parse_args()
    threadpool_limits(1, user_api="blas")
    epochs = {name: make_epoch(**kw) for name, kw in VARIANTS.items()}
    times = interleaved(epochs, args.repeats)
    text = ratio_table(times, "npgrad as it is", "variant (MLP 784-256-10, 1 BLAS thread)", "vs npgrad")
    publish(text, args.out)


if __name__ == "__main__":
    main()

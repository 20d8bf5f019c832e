"""One training epoch of the same model, written three ways: raw NumPy, npgrad, PyTorch.

Each `make_*` takes the layer sizes, the data and a seed, and returns a function that runs one
epoch of mini-batch SGD (ReLU between layers, softmax cross-entropy at the end) and returns the
last batch's loss. All float32.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np

LR = 0.1


def make_numpy(sizes: list[int], X: np.ndarray, y: np.ndarray, batch_size: int, seed: int) -> Callable:
    """Hand-written forward and backward, as a careful NumPy programmer would write them."""
    rng = np.random.default_rng(seed)
    pairs = list(zip(sizes[:-1], sizes[1:], strict=True))
    Ws = [(rng.uniform(-1, 1, (i, o)) / np.sqrt(i)).astype(np.float32) for i, o in pairs]
    bs = [np.zeros(o, np.float32) for o in sizes[1:]]
    return epoch_runner(partial(numpy_step, Ws, bs), X, y, batch_size, rng)


def numpy_step(Ws: list[np.ndarray], bs: list[np.ndarray], xb: np.ndarray, yb: np.ndarray) -> float:
    """One SGD step of the MLP x @ W + b (W stored (in, out)); updates Ws and bs in place."""
    acts = [xb]
    for W, b in zip(Ws[:-1], bs[:-1], strict=True):
        acts.append(np.maximum(acts[-1] @ W + b, 0))
    z = acts[-1] @ Ws[-1] + bs[-1]
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    rows = np.arange(len(yb))
    loss = -np.log(p[rows, yb]).mean()
    p[rows, yb] -= 1
    delta = p / np.float32(len(yb))  # dL/dz of the last layer
    for layer in range(len(Ws) - 1, -1, -1):
        gW, gb = acts[layer].T @ delta, delta.sum(axis=0)
        if layer:  # no gradient for the input batch
            delta = (delta @ Ws[layer].T) * (acts[layer] > 0)
        Ws[layer] -= LR * gW
        bs[layer] -= LR * gb
    return float(loss)


def make_npgrad(sizes: list[int], X: np.ndarray, y: np.ndarray, batch_size: int, seed: int) -> Callable:
    """The course's framework, used exactly as the chapters use it."""
    import npgrad.functional as F
    from npgrad import nn, optim
    from npgrad.data import DataLoader, TensorDataset

    rng = np.random.default_rng(seed)
    layers = []
    for i, o in zip(sizes[:-1], sizes[1:], strict=True):
        layers += [nn.Linear(i, o, rng=rng), nn.ReLU()]
    model = nn.Sequential(*layers[:-1])
    opt = optim.SGD(model.parameters(), lr=LR)
    loader = DataLoader(TensorDataset(X, y), batch_size, shuffle=True, generator=rng)

    def epoch() -> float:
        for xb, yb in loader:
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        return loss.item()

    return epoch


def make_torch(sizes: list[int], X: np.ndarray, y: np.ndarray, batch_size: int, seed: int,
               loader: bool = False) -> Callable:
    """PyTorch on the CPU: batches by manual indexing, or through DataLoader(TensorDataset)."""
    import torch

    torch.manual_seed(seed)
    layers = []
    for i, o in zip(sizes[:-1], sizes[1:], strict=True):
        layers += [torch.nn.Linear(i, o), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)
    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X_t, y_t), batch_size, shuffle=True)

    def step(xb, yb) -> float:
        loss = torch.nn.functional.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    if loader:
        def epoch() -> float:
            for xb, yb in data:
                loss = step(xb, yb)
            return loss

        return epoch
    return epoch_runner(step, X_t, y_t, batch_size, np.random.default_rng(seed), torch.from_numpy)


def epoch_runner(step: Callable, X, y, batch_size: int, rng: np.random.Generator,
                  as_index: Callable = lambda a: a) -> Callable:
    def epoch() -> float:
        order = rng.permutation(len(X))
        for start in range(0, len(X), batch_size):
            idx = as_index(order[start : start + batch_size])
            loss = step(X[idx], y[idx])
        return loss

    return epoch

"""How fast are npgrad's convolutions? A LeNet-sized CNN trained three ways, on one thread.

    python -m benchmarks.conv [--repeats 5] [--images 10000] [--out benchmarks/conv.md]

The network is chapter 8's (conv 5x5 -> ReLU -> max-pool 2 -> conv 5x5 -> ReLU -> max-pool 2
-> linear -> ReLU -> linear), trained by mini-batch SGD on random 28 x 28 images: forward and
backward of every layer, and the update. The contenders: npgrad as the chapter uses it,
a hand-written NumPy version (im2col with one strided view, col2im with one slice per
kernel offset into a batch-last array, max-pooling by np.maximum over the offsets: the same
algorithms npgrad uses, without the autograd around them), and PyTorch.
They take turns in each round (in rotating order), and each ratio is the median over rounds
of the ratio within a round, as in benchmarks.bench. Peak memory is tracemalloc's (NumPy's
allocations), for one batch's forward and backward.
"""

from __future__ import annotations

import argparse
import statistics
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import as_strided

from benchmarks.bench import interleaved, paired_ratio, publish, set_threads

BATCH, LR = 128, 0.05
# (in, out, kernel, padding) of the two convolutions, then the hidden width: chapter 8's CNN
CONVS, HIDDEN = [(1, 12, 5, 0), (12, 24, 5, 0)], 64
FLAT = 24 * 4 * 4


# --------------------------------------------------------------------------- hand-written NumPy


def _windows(xp: np.ndarray, k: int, out: int) -> np.ndarray:
    """(N, C, k, k, out, out) view of the padded batch; stride 1."""
    sn, sc, sy, sx = xp.strides
    return as_strided(xp, xp.shape[:2] + (k, k, out, out), (sn, sc, sy, sx, sy, sx))


def conv_forward(x, W, b, pad):
    xp = x
    if pad:
        xp = np.zeros(x.shape[:2] + (x.shape[2] + 2 * pad, x.shape[3] + 2 * pad), x.dtype)
        xp[:, :, pad:-pad, pad:-pad] = x
    k, out = W.shape[2], x.shape[2] + 2 * pad - W.shape[2] + 1
    cols = _windows(xp, k, out).reshape(len(x), -1, out * out)  # im2col: (N, C k k, L)
    y = np.matmul(W.reshape(len(W), -1), cols)
    y += b[:, None]
    return y.reshape(len(x), len(W), out, out), cols


def conv_backward(dy, cols, W, x_shape, pad, need_dx=True):
    rows = dy.reshape(dy.shape[0], dy.shape[1], -1)
    dW = np.matmul(cols, rows.transpose(0, 2, 1)).sum(axis=0).T.reshape(W.shape)
    db = rows.sum(axis=(0, 2))
    if not need_dx:
        return None, dW, db
    k, out, n, c = W.shape[2], dy.shape[2], x_shape[0], x_shape[1]
    # W^T dY as one product, batch last: (C k k, out out N)
    dcols = W.reshape(len(W), -1).T @ np.moveaxis(rows, 0, -1).reshape(len(W), -1)
    dcols = dcols.reshape(c, k, k, out, out, n)
    dxp = np.zeros((c,) + (x_shape[2] + 2 * pad,) * 2 + (n,), dtype=dy.dtype)  # batch last
    for i in range(k):  # col2im: one slice per kernel offset
        for j in range(k):
            dxp[:, i:i + out, j:j + out] += dcols[:, i, j]
    dxp = np.moveaxis(dxp, -1, 0)
    return np.ascontiguousarray(dxp[:, :, pad:pad + x_shape[2], pad:pad + x_shape[3]]), dW, db


def pool_forward(x):
    """2 x 2 max-pool, stride 2, by the four window offsets; which offset won (the first
    largest, as PyTorch)."""
    best, idx = x[:, :, ::2, ::2].copy(), np.zeros(x[:, :, ::2, ::2].shape, np.int8)
    for k, (i, j) in enumerate(((0, 1), (1, 0), (1, 1)), start=1):
        v = x[:, :, i::2, j::2]
        np.maximum(idx, np.int8(k) * (v > best), out=idx)
        np.maximum(v, best, out=best)
    return best, idx


def pool_backward(dy, idx):
    dx = np.empty(dy.shape[:2] + (2 * dy.shape[2], 2 * dy.shape[3]), dtype=dy.dtype)
    for k, (i, j) in enumerate(((0, 0), (0, 1), (1, 0), (1, 1))):
        dx[:, :, i::2, j::2] = dy * (idx == k)
    return dx


def numpy_params(rng: np.random.Generator) -> list[np.ndarray]:
    """The CNN's float32 weights and biases, linear weights stored (in, out)."""
    params = []
    for c_in, c_out, k, _ in CONVS:
        bound = 1 / np.sqrt(c_in * k * k)
        params += [rng.uniform(-bound, bound, (c_out, c_in, k, k)).astype(np.float32),
                   np.zeros(c_out, np.float32)]
    for fan_in, fan_out in ((FLAT, HIDDEN), (HIDDEN, 10)):
        params += [(rng.uniform(-1, 1, (fan_in, fan_out)) / np.sqrt(fan_in)).astype(np.float32),
                   np.zeros(fan_out, np.float32)]
    return params


def make_numpy(X: np.ndarray, y: np.ndarray, seed: int) -> Callable:
    rng = np.random.default_rng(seed)
    params = numpy_params(rng)

    def step(xb, yb):
        grads = numpy_grads(params, xb, yb)
        for p, g in zip(params, grads, strict=True):
            p -= LR * g

    return _epoch(step, X, y, rng)


def numpy_grads(params, xb, yb):
    """Forward and backward of the CNN, by hand: the gradients of the mean cross-entropy."""
    W1, b1, W2, b2, W3, b3, W4, b4 = params
    z1, cols1 = conv_forward(xb, W1, b1, CONVS[0][3])
    a1 = np.maximum(z1, 0)
    p1, i1 = pool_forward(a1)
    z2, cols2 = conv_forward(p1, W2, b2, CONVS[1][3])
    a2 = np.maximum(z2, 0)
    p2, i2 = pool_forward(a2)
    f = p2.reshape(len(xb), -1)
    h = np.maximum(f @ W3 + b3, 0)
    z = h @ W4 + b4
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(len(yb)), yb] -= 1
    dz = p / np.float32(len(yb))
    dW4, db4, dh = h.T @ dz, dz.sum(axis=0), (dz @ W4.T) * (h > 0)
    dW3, db3, df = f.T @ dh, dh.sum(axis=0), dh @ W3.T
    da2 = pool_backward(df.reshape(p2.shape), i2) * (z2 > 0)
    dp1, dW2, db2 = conv_backward(da2, cols2, W2, p1.shape, CONVS[1][3])
    da1 = pool_backward(dp1, i1) * (z1 > 0)
    _, dW1, db1 = conv_backward(da1, cols1, W1, xb.shape, CONVS[0][3], need_dx=False)
    return dW1, db1, dW2, db2, dW3, db3, dW4, db4


def _epoch(step: Callable, X, y, rng) -> Callable:
    def epoch():
        order = rng.permutation(len(X))
        for start in range(0, len(X), BATCH):
            idx = order[start:start + BATCH]
            step(X[idx], y[idx])

    return epoch


# --------------------------------------------------------------------------- npgrad, PyTorch


def cnn(nn, rng=None):
    """Chapter 8's CNN in npgrad or torch.nn (both have these names)."""
    kw = {} if rng is None else {"rng": rng}
    layers = []
    for c_in, c_out, k, pad in CONVS:
        layers += [nn.Conv2d(c_in, c_out, k, padding=pad, **kw), nn.ReLU(), nn.MaxPool2d(2)]
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(FLAT, HIDDEN, **kw), nn.ReLU(),
                         nn.Linear(HIDDEN, 10, **kw))


def make_npgrad(X: np.ndarray, y: np.ndarray, seed: int) -> Callable:
    import npgrad.functional as F
    from npgrad import nn, optim
    from npgrad.data import DataLoader, TensorDataset

    rng = np.random.default_rng(seed)
    model = cnn(nn, rng)
    opt = optim.SGD(model.parameters(), lr=LR)
    loader = DataLoader(TensorDataset(X, y), BATCH, shuffle=True, generator=rng)

    def epoch():
        for xb, yb in loader:
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()

    return epoch


def make_torch(X: np.ndarray, y: np.ndarray, seed: int) -> Callable:
    import torch

    torch.manual_seed(seed)
    model = cnn(torch.nn)
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)

    def step(xb, yb):
        loss = torch.nn.functional.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()

    rng = np.random.default_rng(seed)

    def epoch():
        order = torch.from_numpy(rng.permutation(len(X)))
        for start in range(0, len(X), BATCH):
            idx = order[start:start + BATCH]
            step(X_t[idx], y_t[idx])

    return epoch


# --------------------------------------------------------------------------- measuring


def peak_memory(X, y) -> dict[str, float]:
    """Peak MB NumPy allocates in one batch's forward and backward (beyond the data)."""
    import npgrad.functional as F
    from npgrad import Tensor, nn

    xb, yb = X[:BATCH], y[:BATCH]
    params = numpy_params(np.random.default_rng(0))
    model = cnn(nn, np.random.default_rng(0))
    runs = {"hand-written NumPy": lambda: numpy_grads(params, xb, yb),
            "npgrad": lambda: F.cross_entropy(model(Tensor(xb)), yb).backward()}
    peaks = {}
    for name, run in runs.items():
        run()
        tracemalloc.start()
        run()
        peaks[name] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return peaks


def saved_activations_mb() -> float:
    """What backward needs, at float32: the im2col matrices, ReLU masks and pooling indices."""
    n, floats = BATCH, 0
    size = 28
    for c_in, c_out, k, pad in CONVS:
        out = size + 2 * pad - k + 1
        floats += n * c_in * k * k * out * out  # cols
        floats += n * c_out * out * out  # the ReLU's mask or output
        size = out // 2
    return floats * 4 / 2**20


def report(times: dict[str, list[float]], images: int, memory: dict[str, float]) -> str:
    lines = [f"### LeNet-sized CNN, one thread: {images:,} images of 28 x 28 per epoch, "
             f"batches of {BATCH}, SGD", "",
             "| contender | epoch (median, s) | vs hand-written NumPy | vs PyTorch |",
             "|---|---|---|---|"]
    for name, runs in times.items():
        vs_torch = f"{paired_ratio(times, name, 'PyTorch'):.2f}" if "PyTorch" in times else "n/a"
        lines.append(f"| {name} | {statistics.median(runs):.3f} | "
                     f"{paired_ratio(times, name, 'hand-written NumPy'):.2f} | {vs_torch} |")
    lines += ["", "### Peak memory of one batch's forward and backward (NumPy allocations)", "",
              "| contender | peak MB | vs hand-written NumPy |", "|---|---|---|"]
    ref = memory["hand-written NumPy"]
    lines += [f"| {k} | {v:.1f} | {v / ref:.2f} |" for k, v in memory.items()]
    lines += ["", f"Saved for backward (im2col matrices and the ReLU outputs, float32): "
              f"{saved_activations_mb():.1f} MB per batch."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=Path("_build/bench/conv.md"))
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    X = rng.random((args.images, 1, 28, 28), np.float32)
    y = rng.integers(0, 10, args.images)
    makers = {"hand-written NumPy": make_numpy, "npgrad": make_npgrad}
    try:
        import torch  # noqa: F401

        makers["PyTorch"] = make_torch
    except ImportError:
        print("PyTorch is not installed: its column is left out (pip install torch==2.13.0)")
    set_threads(1)
    times = interleaved({name: make(X, y, 0) for name, make in makers.items()}, args.repeats)
    publish(report(times, args.images, peak_memory(X, y)), args.out)


if __name__ == "__main__":
    main()

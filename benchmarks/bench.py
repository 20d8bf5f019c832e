"""How fast is npgrad? Times one training epoch of three models, interleaving the contenders.

    python -m benchmarks.bench [--threads 1 2] [--repeats 7] [--out benchmarks/results.md]

Speed is compared as ratios measured in the same run (the machines are shared and noisy):
npgrad against hand-written NumPy, against PyTorch (when installed), and against the physical
limit: the epoch's matmul FLOPs at the matmul peak, measured in every round. Peak memory comes from
tracemalloc, which sees NumPy's allocations (not PyTorch's). Last, npgrad trains an MLP on the
real MNIST and reports the time to reach 98% test accuracy.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from benchmarks.contenders import make_npgrad, make_numpy, make_torch

MODELS = {"MLP 784-256-10": [784, 256, 10], "softmax regression 784-10": [784, 10],
          "MLP 784-512-256-10": [784, 512, 256, 10]}
N, BATCH = 60_000, 128


def contenders() -> dict:
    found = {"raw NumPy": make_numpy, "npgrad": make_npgrad}
    try:
        import torch  # noqa: F401
    except ImportError:
        print("PyTorch is not installed: its columns are left out (pip install torch==2.13.0)")
        return found
    found["PyTorch"] = make_torch
    found["PyTorch DataLoader"] = lambda *a: make_torch(*a, loader=True)
    return found


def set_threads(n: int) -> None:
    threadpool_limits(n, user_api="blas")
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)


def matmul_flops(sizes: list[int]) -> float:
    """Multiply-adds x 2 of one epoch: forward, weight gradients, and input gradients but the first."""
    per_example = sum(2 * i * o for i, o in zip(sizes[:-1], sizes[1:], strict=True))
    first = 2 * sizes[0] * sizes[1]
    return N * (3 * per_example - first)


def matmul_peak(tries: int = 100) -> float:
    """Best float32 GFLOP/s of the epoch's largest matmul shape, (128, 784) @ (784, 256)."""
    rng = np.random.default_rng(0)
    a, b = rng.random((BATCH, 784), np.float32), rng.random((784, 256), np.float32)
    best = min(_timed(lambda: a @ b) for _ in range(tries))
    return 2 * BATCH * 784 * 256 / best / 1e9


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def time_epochs(sizes: list[int], makers: dict, repeats: int) -> tuple[dict[str, list[float]], list[float]]:
    """Epoch times of each contender, one per round, and the matmul peak (GFLOP/s) of each round.

    In each round all contenders take a turn, in rotating order. A fast epoch is repeated more
    often (up to about 8 s per contender, at most 25 times), so that a burst of load from
    elsewhere on the machine moves its median less.
    """
    rng = np.random.default_rng(0)
    X, y = rng.random((N, 784), np.float32), rng.integers(0, 10, N)
    epochs = {name: make(sizes, X, y, BATCH, 0) for name, make in makers.items()}
    warm_up = [_timed(epoch) for epoch in epochs.values()]  # first-touch allocations, BLAS buffers
    repeats = max(repeats, min(25, int(8 / min(warm_up))))
    times, peaks = {name: [] for name in epochs}, []
    for r in range(repeats):
        for name, seconds in one_round(epochs, r).items():
            times[name].append(seconds)
        peaks.append(matmul_peak())
    return times, peaks


def interleaved(epochs: dict[str, Callable], repeats: int) -> dict[str, list[float]]:
    """Each epoch's times over `repeats` rounds, after one warm-up run of each."""
    for epoch in epochs.values():
        epoch()
    times = {name: [] for name in epochs}
    for r in range(repeats):
        for name, seconds in one_round(epochs, r).items():
            times[name].append(seconds)
    return times


def one_round(epochs: dict[str, Callable], r: int) -> dict[str, float]:
    """Each epoch's time, all run once in an order rotated by r, so that none always goes first."""
    names = list(epochs)
    return {name: _timed(epochs[name]) for name in names[r % len(names):] + names[: r % len(names)]}


def paired_ratio(times: dict[str, list[float]], name: str, reference: str) -> float:
    """Median over rounds of name's time / reference's time in the same round.

    Both ran within seconds of each other, so a slow spell of the machine that lasts longer
    than a round slows both and cancels out of their ratio.
    """
    return statistics.median(a / b for a, b in zip(times[name], times[reference], strict=True))


def ratio_table(times: dict[str, list[float]], reference: str, heading: str, column: str) -> str:
    """A Markdown table: each contender's median epoch and its paired ratio to the reference."""
    lines = [f"| {heading} | epoch (median, s) | {column} |", "|---|---|---|"]
    lines += [f"| {name} | {statistics.median(t):.3f} | {paired_ratio(times, name, reference):.2f} |"
              for name, t in times.items()]
    return "\n".join(lines) + "\n"


def publish(text: str, out: Path) -> None:
    """Write a report (creating its folder) and print it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(text)


def peak_memory(sizes: list[int], makers: dict) -> dict[str, float]:
    """Peak MB that NumPy allocates during one epoch, beyond the data itself."""
    rng = np.random.default_rng(0)
    X, y = rng.random((N, 784), np.float32), rng.integers(0, 10, N)
    peaks = {}
    for name in ("raw NumPy", "npgrad"):
        epoch = makers[name](sizes, X, y, BATCH, 0)
        tracemalloc.start()
        epoch()
        peaks[name] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return peaks


def mnist_time_to_98(max_epochs: int = 20) -> dict:
    """Train npgrad's MLP on MNIST with Adam until 98% test accuracy; the training seconds."""
    from npgrad import nn, optim
    from npgrad.data import DataLoader, TensorDataset
    from npgrad.datasets import load_mnist
    from npgrad.train import evaluate, train_epoch

    train, test = load_mnist(train=True), load_mnist(train=False)
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(784, 256, rng=rng), nn.ReLU(), nn.Linear(256, 10, rng=rng))
    opt, loss_fn = optim.Adam(model.parameters(), lr=1e-3), nn.CrossEntropyLoss()
    loader = DataLoader(TensorDataset(train.features(), train.targets), BATCH, shuffle=True, generator=rng)
    test_loader = DataLoader(TensorDataset(test.features(), test.targets), 1000)
    seconds = 0.0
    epoch = acc = 0
    while epoch < max_epochs and acc < 0.98:
        epoch += 1
        seconds += _timed(lambda: train_epoch(model, loader, loss_fn, opt))
        acc = evaluate(model, test_loader, loss_fn)["accuracy"]
    return {"epochs": epoch, "seconds": seconds, "test_accuracy": acc}


def report(results: dict) -> str:
    lines = []
    for threads, models in results["timings"].items():
        peaks = results["matmul_peak_gflops"][threads]
        every_round = [p for per_model in peaks.values() for p in per_model]
        lines += [f"### {threads} BLAS thread{'s' if threads != 1 else ''} (matmul peak, median over "
                  f"rounds: {statistics.median(every_round):.0f} GFLOP/s)", "",
                  "| model | contender | epoch (median, s) | vs raw NumPy | vs PyTorch | vs FLOP limit |",
                  "|---|---|---|---|---|---|"]
        for model, times in models.items():
            # the time the epoch's FLOPs take at each round's peak: the limit, paired like the ratios
            limits = [matmul_flops(MODELS[model]) / (p * 1e9) for p in peaks[model]]
            paired = {**times, "FLOP limit": limits}
            for name, runs in times.items():
                vs_torch = f"{paired_ratio(paired, name, 'PyTorch'):.2f}" if "PyTorch" in times else "n/a"
                lines.append(f"| {model} | {name} | {statistics.median(runs):.3f} | "
                             f"{paired_ratio(paired, name, 'raw NumPy'):.2f} | {vs_torch} | "
                             f"{paired_ratio(paired, name, 'FLOP limit'):.2f} |")
        lines.append("")
    mem = results["memory"]
    lines += ["### Peak memory of one epoch (NumPy allocations, MLP 784-256-10)", "",
              "| contender | peak MB | vs raw NumPy |", "|---|---|---|"]
    lines += [f"| {k} | {v:.1f} | {v / mem['raw NumPy']:.2f} |" for k, v in mem.items()]
    if results.get("mnist"):
        m = results["mnist"]
        lines += ["", f"MNIST, npgrad MLP 784-256-10 with Adam: test accuracy {m['test_accuracy']:.4f} "
                  f"after {m['epochs']} epochs, {m['seconds']:.1f} s of training."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path("_build/bench/results.md"))
    parser.add_argument("--skip-mnist", action="store_true")
    args = parser.parse_args()
    makers = contenders()
    results = {"timings": {}, "matmul_peak_gflops": {}, "memory": {}, "mnist": None}
    for threads in args.threads:
        set_threads(threads)
        timed = {m: time_epochs(s, makers, args.repeats) for m, s in MODELS.items()}
        results["timings"][threads] = {m: times for m, (times, _) in timed.items()}
        results["matmul_peak_gflops"][threads] = {m: peaks for m, (_, peaks) in timed.items()}
    set_threads(1)
    results["memory"] = peak_memory(MODELS["MLP 784-256-10"], makers)
    if not args.skip_mnist:
        results["mnist"] = mnist_time_to_98()
    text = report(results)
    publish(text, args.out)
    args.out.with_suffix(".json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()

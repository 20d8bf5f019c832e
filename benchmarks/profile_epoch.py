"""Where npgrad's time goes: cProfile over one MLP epoch, and the Python work of one step.

    python -m benchmarks.profile_epoch [--out benchmarks/profile.md]

In the profile each row is one function, with the time spent in its own body (not in what it
calls), so the rows add up to the epoch. Matmuls show up inside the Function whose forward or
backward ran them.

The second part counts the Python bytecode instructions one training step executes, by npgrad
and by the hand-written NumPy step. The count is exact and the same on every run and machine
(for one Python version), so it measures dispatch without the noise of a timer.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
from collections import Counter
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from benchmarks.bench import publish
from benchmarks.contenders import make_npgrad, make_numpy

STEPS = 469  # batches of 128 in an epoch of 60,000 examples


def enclosing_class(filename: str, line: int) -> str:
    """The name of the class whose body holds the given line, or '' at module level."""
    source = Path(filename).read_text().splitlines()[:line]
    for text in reversed(source):
        if text.startswith("class "):
            return text[6:].split("(")[0].split(":")[0] + "."
        if text.startswith("def "):
            return ""
    return ""


def where(key: tuple[str, int, str]) -> str:
    """A readable name for a profiled function, e.g. functional.py Linear.forward."""
    filename, line, name = key
    if name.startswith("<") and filename != "~":  # a comprehension or lambda: its line tells which
        name = f"{name} (line {line})"
    if "npgrad" in filename:
        return f"{Path(filename).name} {enclosing_class(filename, line)}{name}"
    if filename == "~":
        return name  # a builtin, e.g. numpy's ufunc reductions
    return f"{Path(filename).name} {name}"


def profile(epoch, top: int) -> str:
    profiler = cProfile.Profile()
    profiler.runcall(epoch)
    stats = pstats.Stats(profiler).stats
    total = sum(s[2] for s in stats.values())
    rows = sorted(((s[2], s[1], where(k)) for k, s in stats.items()), reverse=True)[:top]
    lines = [f"One epoch of MLP 784-256-10 (1 BLAS thread), {total:.2f} s under the profiler.", "",
             "| function | calls | own time (s) | share |", "|---|---|---|---|"]
    lines += [f"| `{name}` | {calls} | {t:.3f} | {t / total:.0%} |" for t, calls, name in rows]
    return "\n".join(lines) + "\n"


def bytecodes(epoch) -> Counter:
    """Bytecode instructions executed during one epoch, by function (sys.settrace's opcode events)."""
    counts = Counter()

    def trace(frame, event, arg):
        if event == "call":
            frame.f_trace_opcodes = True
        elif event == "opcode":
            code = frame.f_code
            counts[(code.co_filename, code.co_firstlineno, code.co_name)] += 1
        return trace

    sys.settrace(trace)
    try:
        epoch()
    finally:
        sys.settrace(None)
    return counts


def per_step(epoch) -> float:
    return sum(bytecodes(epoch).values()) / STEPS


def dispatch(X: np.ndarray, y: np.ndarray, top: int) -> str:
    """Bytecodes per training step: npgrad against raw NumPy, and npgrad's by function."""
    lines = ["Python bytecode instructions per training step (one epoch counted, divided by "
             f"its {STEPS} steps):", "", "| model | raw NumPy | npgrad | ratio |", "|---|---|---|---|"]
    for name, sizes in (("softmax regression 784-10", [784, 10]), ("MLP 784-256-10", [784, 256, 10])):
        raw, ours = (per_step(make(sizes, X, y, 128, 0)) for make in (make_numpy, make_npgrad))
        lines.append(f"| {name} | {raw:,.0f} | {ours:,.0f} | {ours / raw:.1f} |")
    counts = bytecodes(make_npgrad([784, 10], X, y, 128, 0))
    lines += ["", "npgrad's softmax regression step, by function:", "",
              "| function | bytecodes per step | share |", "|---|---|---|"]
    total = sum(counts.values())
    lines += [f"| `{where(key)}` | {n / STEPS:,.0f} | {n / total:.0%} |"
              for key, n in counts.most_common(top)]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("_build/bench/profile.md"))
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    threadpool_limits(1, user_api="blas")
    rng = np.random.default_rng(0)
    X, y = rng.random((60_000, 784), np.float32), rng.integers(0, 10, 60_000)
    epoch = make_npgrad([784, 256, 10], X, y, 128, 0)
    epoch()  # warm up
    text = profile(epoch, args.top) + "\n" + dispatch(X, y, args.top)
    publish(text, args.out)


if __name__ == "__main__":
    main()

"""Figures of chapter 6, "Optimisers": paths on loss surfaces, schedules, training
curves."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm

COLORS = ["C0", "C1", "C2", "C3", "C4", "C5", "C6", "C7"]


def _surface(ax, f: Callable, xlim, ylim, log: bool) -> None:
    """Filled contours of f(w) on a grid; a log colour scale for surfaces like
    Rosenbrock's."""
    x, y = np.linspace(*xlim, 300), np.linspace(*ylim, 300)
    X, Y = np.meshgrid(x, y)
    Z = f(np.stack([X, Y]))
    if log:
        levels = np.logspace(np.log10(max(Z.min(), 1e-3)), np.log10(Z.max()), 20)
        ax.contourf(X, Y, Z, levels=levels, norm=LogNorm(), cmap="Greys_r", alpha=0.8)
    else:
        ax.contourf(X, Y, Z, levels=20, cmap="Greys_r", alpha=0.8)
    ax.set(xlim=xlim, ylim=ylim, xlabel="$w_1$", ylabel="$w_2$")


def paths(
    panels: Sequence[tuple[str, Mapping[str, np.ndarray]]],
    f: Callable,
    xlim,
    ylim,
    minimum=None,
    log: bool = False,
    width: float = 4.2,
):
    """One panel per (title, {label: path}); each path an array of points (steps + 1,
    2)."""
    fig, axes = plt.subplots(
        1, len(panels), figsize=(width * len(panels), 3.6), squeeze=False
    )
    for ax, (title, runs) in zip(axes[0], panels, strict=True):
        _surface(ax, f, xlim, ylim, log)
        for color, (label, path) in zip(COLORS, runs.items(), strict=False):
            ax.plot(path[:, 0], path[:, 1], ".-", color=color, ms=3, lw=1, label=label)
        if minimum is not None:
            ax.plot(*minimum, "*", color="gold", ms=14, mec="k")
        ax.set_title(title, fontsize="medium")
        # below the panel: inside it, the legend would hide part of a path or its start
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2,
                  fontsize="small", frameon=False)
    fig.tight_layout()
    plt.show()


def distances(runs: Mapping[str, np.ndarray], minimum, title: str):
    """Distance to the minimum against the step, on a log scale, one line per run."""
    fig, ax = plt.subplots(figsize=(6, 3.4))
    for color, (label, path) in zip(COLORS, runs.items(), strict=False):
        ax.semilogy(
            np.linalg.norm(path - np.asarray(minimum), axis=1), color=color, label=label
        )
    ax.set(xlabel="step", ylabel="distance to the minimum", title=title)
    ax.legend()
    fig.tight_layout()
    plt.show()


def schedules(lrs: Mapping[str, Sequence[float]], xlabel: str = "epoch"):
    """The learning rate of each epoch, one line per schedule."""
    fig, ax = plt.subplots(figsize=(6, 3.9))
    for color, (label, values) in zip(COLORS, lrs.items(), strict=False):
        ax.plot(values, ".-", color=color, ms=4, label=label)
    ax.set(xlabel=xlabel, ylabel="learning rate", title="Learning-rate schedules")
    # below the axes: inside, it would hide part of a curve (the warm-up's first epochs)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize="small",
              frameon=False)
    fig.tight_layout()
    plt.show()


def _smooth(x: np.ndarray, window: int) -> np.ndarray:
    return np.convolve(x, np.ones(window) / window, mode="valid")


def training_curves(
    losses: Mapping[str, np.ndarray],
    checkpoints: Sequence[int],
    accuracies: Mapping[str, Sequence[float]],
    window: int = 50,
):
    """Left: training loss per step (moving average); right: test accuracy at
    checkpoints.

    One legend (left) serves both panels: the colours are the same.
    """
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.5, 3.8))
    for color, name in zip(COLORS, losses, strict=False):
        smooth = _smooth(losses[name], window)
        left.plot(
            np.arange(window, len(losses[name]) + 1), smooth, color=color, label=name
        )
        right.plot(checkpoints, accuracies[name], ".-", color=color, label=name)
    left.set(
        xlabel="step",
        ylabel=f"training loss ({window}-step mean)",
        ylim=(0.3, 1.2),
        title="Training loss",
    )
    right.set(
        xlabel="step", ylabel="test accuracy", title="Test accuracy", ylim=(0.7, 0.9)
    )
    left.legend(fontsize="small")
    fig.tight_layout()
    plt.show()

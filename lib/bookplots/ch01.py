"""Figures of chapter 1, backpropagation: the network's graph, difference errors,
training."""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

DATA, PARAM, INNER, LOSS = "#dbe9f6", "#fde2c4", "white", "#f6d5d5"

# The two-layer classifier: name -> (position, symbol, shape, colour).
NODES = {
    "x": ((0, 0), r"$\mathbf{x}$", "$d$", DATA),
    "W1": ((1.5, 1.7), r"$\mathbf{W}^{(1)}$", r"$h \times d$", PARAM),
    "b1": ((3.3, 1.7), r"$\mathbf{b}^{(1)}$", "$h$", PARAM),
    "z1": ((2.4, 0), r"$\mathbf{z}^{(1)}$", "$h$", INNER),
    "a1": ((4.8, 0), r"$\mathbf{a}^{(1)}$", "$h$", INNER),
    "W2": ((6.3, 1.7), r"$\mathbf{W}^{(2)}$", r"$q \times h$", PARAM),
    "b2": ((8.1, 1.7), r"$\mathbf{b}^{(2)}$", "$q$", PARAM),
    "z2": ((7.2, 0), r"$\mathbf{z}^{(2)}$", "$q$", INNER),
    "y_hat": ((9.6, 0), r"$\hat{\mathbf{y}}$", "$q$", INNER),
    "y": ((12.4, 1.7), r"$\mathbf{y}$", "$q$", DATA),
    "loss": ((12.4, 0), r"$\ell$", "scalar", LOSS),
}
EDGES = [
    ("x", "z1", "affine"),
    ("W1", "z1", ""),
    ("b1", "z1", ""),
    ("z1", "a1", r"$\sigma$"),
    ("a1", "z2", "affine"),
    ("W2", "z2", ""),
    ("b2", "z2", ""),
    ("z2", "y_hat", "softmax"),
    ("y_hat", "loss", "cross-entropy"),
    ("y", "loss", ""),
]


def _node(
    ax: Axes, xy: tuple[float, float], symbol: str, shape: str, colour: str
) -> None:
    """A variable: its symbol in a circle, its shape below it (above it for the top
    row)."""
    ax.text(
        *xy,
        symbol,
        ha="center",
        va="center",
        fontsize=15,
        bbox={"boxstyle": "circle,pad=0.25", "fc": colour, "ec": "black"},
    )
    offset = 0.62 if xy[1] > 0 else -0.5
    ax.text(
        xy[0],
        xy[1] + offset,
        shape,
        ha="center",
        va="center",
        fontsize=11,
        color="dimgray",
    )


def _edge(
    ax: Axes,
    start,
    end,
    label: str = "",
    colour: str = "black",
    rad: float = 0.0,
    gap: float = 19,
) -> None:
    """An arrow from start to end (curved if rad != 0), labelled at the middle of its
    arc."""
    ax.annotate(
        "",
        xy=end,
        xytext=start,
        arrowprops={
            "arrowstyle": "-|>",
            "color": colour,
            "lw": 1.4,
            "shrinkA": gap,
            "shrinkB": gap,
            "connectionstyle": f"arc3,rad={rad}",
        },
    )
    dx, dy = end[0] - start[0], end[1] - start[1]
    mx, my = (start[0] + end[0] + rad * dy) / 2, (start[1] + end[1] - rad * dx) / 2
    offset = 0.2 if rad == 0 else -0.3
    ax.text(mx, my + offset, label, ha="center", va="center", fontsize=11, color=colour)


def network_graph() -> Figure:
    """The classifier's computational graph: forward arrows black, the errors delta
    red."""
    fig, ax = plt.subplots(figsize=(11, 4.2))
    for xy, symbol, shape, colour in NODES.values():
        _node(ax, xy, symbol, shape, colour)
    for start, end, label in EDGES:
        _edge(ax, NODES[start][0], NODES[end][0], label)
    delta2 = r"$\boldsymbol{\delta}^{(2)} = \hat{\mathbf{y}} - \mathbf{y}$"
    _edge(ax, NODES["loss"][0], NODES["z2"][0], delta2, "tab:red", rad=-0.3, gap=30)
    _edge(
        ax,
        NODES["z2"][0],
        NODES["z1"][0],
        r"$\boldsymbol{\delta}^{(1)}$",
        "tab:red",
        rad=-0.3,
        gap=30,
    )
    ax.text(
        6.2,
        -1.8,
        r"black: the forward pass computes values       "
        r"red: the backward pass carries derivatives of $\ell$",
        ha="center",
        color="dimgray",
    )
    ax.set(xlim=(-0.6, 13.2), ylim=(-2.0, 2.4), aspect="equal")
    ax.axis("off")
    return fig


def difference_errors(
    eps: np.ndarray, one_sided: np.ndarray, central: np.ndarray
) -> Figure:
    """Absolute error of the two difference quotients against the step, log-log."""
    fig, ax = plt.subplots(figsize=(6, 3.5))
    floor = 1e-17  # an error of exactly 0 cannot be drawn on a log scale
    ax.loglog(
        eps, np.maximum(one_sided, floor), "o-", ms=3, label="one-sided difference"
    )
    ax.loglog(eps, np.maximum(central, floor), "s-", ms=3, label="central difference")
    ax.set(
        xlabel=r"step $\epsilon$",
        ylabel="absolute error",
        title=r"Derivative of $\sin$ at $t = 1$",
    )
    ax.legend()
    return fig


def loss_curve(losses: list[float]) -> Figure:
    """The mean loss after each full-batch gradient step."""
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(losses)
    ax.set(xlabel="epoch (one gradient step on the full batch)", ylabel="mean loss $L$")
    return fig


def decision_regions(
    predict: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    labels: np.ndarray,
    steps: int = 200,
) -> Figure:
    """The class predict() assigns to each point of the plane, and the labelled
    points."""
    lo, hi = X.min(axis=0) - 0.5, X.max(axis=0) + 0.5
    g1, g2 = np.meshgrid(
        np.linspace(lo[0], hi[0], steps), np.linspace(lo[1], hi[1], steps)
    )
    regions = predict(np.column_stack([g1.ravel(), g2.ravel()])).reshape(g1.shape)
    classes = int(max(labels.max(), regions.max())) + 1
    fig, ax = plt.subplots(figsize=(4.8, 4.2))
    # Set1's hues, paler
    pale = ListedColormap([plt.cm.Pastel1(k) for k in range(classes)])
    ax.contourf(g1, g2, regions, levels=np.arange(classes + 1) - 0.5, cmap=pale)
    for k in range(classes):
        ax.scatter(*X[labels == k].T, s=10, color=plt.cm.Set1(k), label=f"class {k}")
    ax.set(xlabel="$x_1$", ylabel="$x_2$", aspect="equal")
    ax.legend(loc="upper right", fontsize="small")
    return fig

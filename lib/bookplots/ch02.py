"""Figures of chapter 2, autograd: the layout and matplotlib drawing of a walked graph.

The chapter walks the graph itself (its `graph_of` gives `nodes`, id -> tensor, and
`edges`, (input id, consumer id)); this module only places and draws what the walk
found.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch


def positions(
    nodes: dict, edges: list[tuple[int, int]]
) -> dict[int, tuple[float, float]]:
    """(column, row) of every node: columns follow the longest path from the leaves."""
    col = dict.fromkeys(nodes, 0)
    # relaxing the edges len(nodes) times always reaches the longest paths
    for _ in nodes:
        for a, b in edges:
            col[b] = max(col[b], col[a] + 1)
    for k, t in nodes.items():  # a leaf goes just left of its leftmost consumer
        if t.grad_fn is None:
            col[k] = min((col[b] for a, b in edges if a == k), default=1) - 1
    columns = {c: [k for k in nodes if col[k] == c] for c in set(col.values())}
    return {
        k: (c, (len(ks) - 1) / 2 - i)
        for c, ks in columns.items()
        for i, k in enumerate(ks)
    }


def draw(nodes: dict, edges: list[tuple[int, int]], names: dict, figsize) -> Figure:
    """Operations as ellipses, leaves as boxes (blue: requires grad), arrows from input
    to use."""
    pos, label = positions(nodes, edges), {id(t): name for name, t in names.items()}
    fig, ax = plt.subplots(figsize=figsize)
    boxes = {}
    for k, t in nodes.items():
        shape = "scalar" if t.ndim == 0 else str(t.shape)
        if t.grad_fn is None:
            text = f"{label.get(id(t), 'const')}\n{shape}"
            style = dict(
                boxstyle="round", fc="#cfe3f7" if t.requires_grad else "#e6e6e6"
            )
        else:
            text = f"{type(t.grad_fn).__name__}\n{shape}"
            style = dict(boxstyle="ellipse", fc="#fde2c4")
        boxes[k] = ax.text(
            *pos[k], text, ha="center", va="center", fontsize=9, bbox=style
        )
    for a, b in edges:
        # an arrow that skips a column bends, so it does not cross a node
        bend = 0.0 if pos[b][0] - pos[a][0] == 1 else -0.3
        ax.add_patch(
            FancyArrowPatch(
                pos[a],
                pos[b],
                arrowstyle="-|>",
                mutation_scale=12,
                zorder=4,
                connectionstyle=f"arc3,rad={bend}",
                patchA=boxes[a].get_bbox_patch(),
                patchB=boxes[b].get_bbox_patch(),
            )
        )
    xs, ys = zip(*pos.values(), strict=True)
    ax.set(xlim=(min(xs) - 0.6, max(xs) + 0.6), ylim=(min(ys) - 0.7, max(ys) + 0.7))
    ax.axis("off")
    return fig


def softplus_and_derivative(x, softplus, derivative) -> Figure:
    """softplus against relu, and the derivative autograd computed for it."""
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.plot(x, softplus, label="softplus(x)")
    ax.plot(x, np.maximum(x, 0), "--", label="relu(x)")
    ax.plot(x, derivative, label="its derivative, by autograd")
    ax.set(xlabel="x")
    ax.legend()
    return fig

"""Figures of chapter 3, linear regression: the data, loss curves, the learning-rate
explorer."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

# the noise variance of the chapter's data: no parameters do better
NOISE_FLOOR = 0.01**2


def feature_scatter(X: np.ndarray, y: np.ndarray, true_w: np.ndarray) -> Figure:
    """The target against each feature, one panel per feature, titled with its true
    weight."""
    fig, axes = plt.subplots(
        1, X.shape[1], figsize=(3.2 * X.shape[1], 3.2), sharey=True
    )
    for j, ax in enumerate(np.atleast_1d(axes)):
        ax.scatter(X[:, j], y[:, 0], s=4, alpha=0.5)
        ax.set(
            xlabel=f"feature $x_{j + 1}$",
            title=f"true weight $w_{j + 1} = {true_w[j]}$",
        )
    np.atleast_1d(axes)[0].set_ylabel("target $y$")
    return fig


def loss_curves(
    curves: dict[str, list[float]],
    styles: dict[str, dict] | None = None,
    floor: float | None = NOISE_FLOOR,
) -> Figure:
    """Loss on all examples after each epoch, log scale, one line per label; the noise
    floor."""
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for label, losses in curves.items():
        ax.semilogy(
            losses, **{"marker": "o", "label": label, **(styles or {}).get(label, {})}
        )
    if floor is not None:
        ax.axhline(
            floor, color="gray", lw=1, ls="--", label=r"noise variance $\sigma^2$"
        )
    epochs = max(len(v) for v in curves.values()) - 1
    ax.set(xlabel="epoch", ylabel="loss $L$ on all examples", xticks=range(epochs + 1))
    ax.legend()
    return fig


def fmt_loss(value: float) -> str:
    """3 significant digits, or 'inf' / 'nan' once training has diverged."""
    return f"{value:.3g}" if np.isfinite(value) else str(value)


def training_run(
    losses: list[float], lr: float, floor: float = NOISE_FLOOR, top: float = 1e4
) -> Figure:
    """One run of the explorer: the loss per epoch on fixed axes; values above `top` (or
    inf, nan) are drawn as red triangles on the top edge."""
    values = np.asarray(losses, dtype=np.float64)
    off = ~np.isfinite(values) | (values > top)
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.semilogy(np.where(off, top, values), "o-")
    ax.semilogy(
        np.flatnonzero(off), np.full(off.sum(), top), "^", color="tab:red", ms=9
    )
    ax.axhline(floor, color="gray", lw=1, ls="--")
    ax.text(0.1, floor * 1.8, r"noise floor $\sigma^2$", color="gray", va="bottom")
    title = f"lr = {lr:g}: final loss {fmt_loss(losses[-1])}"
    if off.any():
        title += f"  (red: above {top:.0e}, diverged)"
    ax.set(
        xlabel="epoch",
        ylabel="loss $L$ on all examples",
        xticks=range(len(losses)),
        ylim=(floor / 10, top * 10),
        title=title,
    )
    fig.tight_layout()
    return fig


def training_run_alt(losses: list[float], lr: float) -> str:
    """The explorer figure's alt text: what the curve does, in words."""
    start, end = losses[0], losses[-1]
    if not np.isfinite(end) or end > start:
        trend = f"grows from {start:.3g} to {fmt_loss(end)}: training diverges"
    else:
        trend = f"falls from {start:.3g} to {fmt_loss(end)}"
    return (
        f"Loss per epoch on a log scale, {len(losses) - 1} epochs of minibatch SGD "
        f"with learning rate {lr:g}: it {trend}. A dashed line marks the noise floor "
        "1e-4."
    )

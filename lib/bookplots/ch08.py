"""Figures of chapter 8, convolutional networks: each function draws one figure."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np


def _bare(ax) -> None:
    ax.set_xticks([])
    ax.set_yticks([])


def images(pictures: np.ndarray, titles: Sequence[str], suptitle: str = "") -> None:
    """A row of grey images, each with its title (at most 6, about 6 inches wide)."""
    n = len(pictures)
    fig, axes = plt.subplots(1, n, figsize=(1.1 * n + 0.4, 1.9), squeeze=False)
    for ax, picture, title in zip(axes[0], pictures, titles, strict=True):
        ax.imshow(picture, cmap="gray_r")
        ax.set_title(title, fontsize="small")
        _bare(ax)
    if suptitle:
        fig.suptitle(suptitle, fontsize="medium")
    plt.show()


def filters(weight: np.ndarray) -> None:
    """First-layer filters (O, 1, k, k), six to a row, each in its own symmetric colour
    scale (the largest weight of the filter is full red or blue): red weights add the
    pixel, blue ones subtract it."""
    n = len(weight)
    cols = min(n, 6)
    rows = -(-n // cols)
    fig, axes = plt.subplots(
        rows, cols, figsize=(0.9 * cols + 0.4, 1.0 * rows + 0.5), squeeze=False
    )
    for k, ax in enumerate(axes.flat):
        _bare(ax)
        if k < n:
            bound = np.abs(weight[k, 0]).max()
            ax.imshow(weight[k, 0], cmap="RdBu_r", vmin=-bound, vmax=bound)
            ax.set_title(f"{k}", fontsize="small")
        else:
            ax.axis("off")
    fig.suptitle(
        "First-layer filters: red adds, blue subtracts", fontsize="medium", y=1.0
    )
    plt.show()


def feature_maps(pictures: np.ndarray, maps: np.ndarray, names: Sequence[str]) -> None:
    """Each image (left) beside its first-layer feature maps after ReLU, six maps to a
    row, so that a row of panels stays about 6 inches wide."""
    n, channels = maps.shape[:2]
    per_row = 6
    lines = -(-channels // per_row)
    fig, axes = plt.subplots(
        n * lines,
        per_row + 1,
        figsize=(0.8 * (per_row + 1) + 0.6, 1.0 * n * lines + 0.5),
        squeeze=False,
        gridspec_kw={"hspace": 0.5},
    )
    for ax in axes.flat:
        _bare(ax)
    for i in range(n):
        top = i * lines
        axes[top, 0].imshow(pictures[i], cmap="gray_r")
        axes[top, 0].set_title(names[i], fontsize="small")
        for line in range(1, lines):
            axes[top + line, 0].axis("off")
        for c in range(channels):
            ax = axes[top + c // per_row, 1 + c % per_row]
            ax.imshow(maps[i, c], cmap="magma")
            ax.set_title(f"{c}", fontsize="small")
    fig.suptitle(
        "First-layer feature maps (bright: the filter responds)", fontsize="medium"
    )
    plt.show()


def shuffled_pixels(original: np.ndarray, shuffled: np.ndarray) -> None:
    """An image and the same image with its pixels permuted."""
    images(np.stack([original, shuffled]), ["original", "pixels permuted"])

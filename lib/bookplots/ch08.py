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
    """First-layer filters (O, 1, k, k), one panel each in a shared colour scale: red
    weights add the pixel, blue ones subtract it."""
    n = len(weight)
    cols = min(n, 8)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(0.75 * cols + 0.3, 0.85 * rows + 0.3),
                             squeeze=False)
    bound = np.abs(weight).max()
    for k, ax in enumerate(axes.flat):
        _bare(ax)
        if k < n:
            ax.imshow(weight[k, 0], cmap="RdBu_r", vmin=-bound, vmax=bound)
            ax.set_title(f"{k}", fontsize="small")
        else:
            ax.axis("off")
    fig.suptitle("First-layer filters (red adds, blue subtracts)", fontsize="medium")
    plt.show()


def feature_maps(pictures: np.ndarray, maps: np.ndarray, names: Sequence[str]) -> None:
    """Each image (left) beside its first-layer feature maps after ReLU, one row per image."""
    n, channels = maps.shape[:2]
    fig, axes = plt.subplots(n, channels + 1, figsize=(0.72 * (channels + 1), 0.8 * n + 0.4),
                             squeeze=False)
    for row in range(n):
        axes[row, 0].imshow(pictures[row], cmap="gray_r")
        axes[row, 0].set_ylabel(names[row], fontsize="small", rotation=0, ha="right",
                                va="center")
        for c in range(channels):
            axes[row, c + 1].imshow(maps[row, c], cmap="magma")
            if row == 0:
                axes[row, c + 1].set_title(f"{c}", fontsize="small")
        for ax in axes[row]:
            _bare(ax)
    axes[0, 0].set_title("image", fontsize="small")
    fig.suptitle("Feature maps of the first layer (bright: the filter responds)",
                 fontsize="medium")
    plt.show()


def validation_curves(histories: dict[str, Sequence[float]]) -> None:
    """Validation accuracy per epoch of each model, one line each."""
    fig, ax = plt.subplots(figsize=(6, 3.4))
    for (name, accuracies), marker in zip(histories.items(), "os^v", strict=False):
        epochs = np.arange(1, len(accuracies) + 1)
        ax.plot(epochs, accuracies, marker + "-", ms=4, label=name)
    ax.set(xlabel="epoch", ylabel="validation accuracy",
           title="Fashion-MNIST: the CNN against the MLP")
    ax.legend()
    plt.show()


def shuffled_pixels(original: np.ndarray, shuffled: np.ndarray) -> None:
    """An image and the same image with its pixels permuted."""
    images(np.stack([original, shuffled]), ["original", "pixels permuted"])

"""Figures of chapter 4, softmax regression: Iris, decision regions, training curves,
images.

Each function draws one figure (or one panel of it) from numbers the chapter computed;
the chapter shows how a decision-region figure is made (a model evaluated on a grid) and
calls these for the rest.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np

COLORS = ("tab:blue", "tab:orange", "tab:green")
IRIS_CLASSES = ("setosa", "versicolor", "virginica")
IRIS_FEATURES = ("sepal length", "sepal width", "petal length", "petal width")


def iris_pairs(X: np.ndarray, y: np.ndarray, pairs: Sequence[Sequence[int]]):
    """One scatter panel per pair of Iris columns (in cm), coloured by species."""
    fig, axes = plt.subplots(1, len(pairs), figsize=(4.6 * len(pairs), 3.6))
    for ax, (i, j) in zip(np.atleast_1d(axes), pairs, strict=True):
        for k, name in enumerate(IRIS_CLASSES):
            ax.scatter(X[y == k, i], X[y == k, j], s=14, color=COLORS[k], label=name)
        ax.set(xlabel=f"{IRIS_FEATURES[i]} (cm)", ylabel=f"{IRIS_FEATURES[j]} (cm)")
    np.atleast_1d(axes)[0].legend(fontsize="small")
    plt.show()


def scatter_split(ax, X_train, y_train, X_test, y_test) -> None:
    """Training flowers as dots, test flowers as crosses, coloured by species (cm)."""
    for k, name in enumerate(IRIS_CLASSES):
        ax.scatter(*X_train[y_train == k].T, s=12, color=COLORS[k], label=name)
        ax.scatter(*X_test[y_test == k].T, s=40, color=COLORS[k], marker="x")


def regions(ax, xs, ys, P, title: str = "") -> None:
    """Shade each grid point by its predicted class (P has shape (len(ys), len(xs),
    3))."""
    ax.contourf(
        xs,
        ys,
        P.argmax(axis=2),
        levels=[-0.5, 0.5, 1.5, 2.5],
        colors=COLORS,
        alpha=0.25,
    )
    ax.set(xlim=(xs[0], xs[-1]), ylim=(ys[0], ys[-1]), title=title)


def regions_and_probability(xs, ys, P, split, names=("petal length", "petal width")):
    """Left: predicted class; right: P(versicolor); the flowers of split on both."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    regions(axes[0], xs, ys, P, "predicted class (crosses: test flowers)")
    image = axes[1].imshow(
        P[:, :, 1],
        origin="lower",
        aspect="auto",
        cmap="Oranges",
        vmin=0,
        vmax=1,
        extent=(xs[0], xs[-1], ys[0], ys[-1]),
    )
    fig.colorbar(image, ax=axes[1], label="P(versicolor)")
    axes[1].set(title="probability of versicolor")
    for ax in axes:
        scatter_split(ax, *split)
        ax.set(xlabel=f"{names[0]} (cm)")
    axes[0].set(ylabel=f"{names[1]} (cm)")
    axes[0].legend(loc="upper left", fontsize="small")
    plt.show()


def regions_side_by_side(panels, split_of, names_of):
    """Predicted-class panels side by side: panels is a list of (xs, ys, P, title)."""
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.8))
    for k, (ax, (xs, ys, P, title)) in enumerate(zip(axes, panels, strict=True)):
        regions(ax, xs, ys, P, title)
        scatter_split(ax, *split_of[k])
        ax.set(xlabel=f"{names_of[k][0]} (cm)", ylabel=f"{names_of[k][1]} (cm)")
    axes[0].legend(loc="upper left", fontsize="small")
    plt.show()


def epoch_figure(xs, ys, P, split, epoch: int, acc: float):
    """One frame of the epoch explorer: the regions after `epoch` epochs."""
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    regions(ax, xs, ys, P, f"epoch {epoch}: training accuracy {acc:.2f}")
    scatter_split(ax, *split)
    ax.set(xlabel="petal length (cm)", ylabel="petal width (cm)")
    ax.legend(loc="upper left")
    return fig


def image_grid(images, titles, rows: int = 3, cols: int = 8):
    """The first rows * cols images in grey, each titled."""
    fig, axes = plt.subplots(rows, cols, figsize=(10, 1.47 * rows))
    for ax, image, title in zip(axes.flat, images, titles, strict=False):
        ax.imshow(image, cmap="gray_r")
        ax.set_title(title, fontsize="small")
        ax.axis("off")
    plt.show()


def curves(histories: dict, metric: str, ylabel: str, marks=()):
    """One line per named history for one metric (e.g. 'test_accuracy')."""
    fig, ax = plt.subplots(figsize=(6.5, 3.4))
    for name, history in histories.items():
        values = history.metrics[metric]
        ax.plot(np.arange(1, len(values) + 1), values, "o-", ms=2.5, label=name)
    for epoch in marks:
        ax.axvline(epoch + 0.5, color="gray", ls="--", lw=1)
    ax.set(xlabel="epoch", ylabel=ylabel)
    ax.legend()
    plt.show()


def train_and_validation(history, switch_epoch: int):
    """Loss and accuracy per epoch, training and validation, the lr drop dashed."""
    epochs = np.arange(1, len(history.train_loss) + 1)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
    for ax, metric in zip(axes, ["loss", "accuracy"], strict=True):
        ax.plot(
            epochs, history.metrics[f"train_{metric}"], "o-", ms=3, label="training"
        )
        ax.plot(
            epochs, history.metrics[f"val_{metric}"], "o-", ms=3, label="validation"
        )
        ax.axvline(switch_epoch + 0.5, color="gray", ls="--", lw=1)
        ax.set(xlabel="epoch", ylabel=metric)
    axes[0].legend()
    plt.show()


def confusion(cm: np.ndarray, classes: Sequence[str]):
    """The confusion matrix as an image, every cell annotated with its count."""
    fig, ax = plt.subplots(figsize=(7, 6))
    ax.imshow(cm, cmap="Blues")
    for i, j in np.ndindex(cm.shape):
        ax.text(
            j,
            i,
            cm[i, j],
            ha="center",
            va="center",
            color="white" if cm[i, j] > cm.max() / 2 else "black",
        )
    ax.set_xticks(range(len(classes)), classes, rotation=45, ha="right")
    ax.set_yticks(range(len(classes)), classes)
    ax.set(xlabel="predicted class", ylabel="true class")
    plt.show()


def templates(rows):
    """Each weight row as a 28 x 28 image, red positive, blue negative.

    rows: a list of (weight matrix (10, 784), class names), one figure row each.
    """
    fig, axes = plt.subplots(
        len(rows), 10, figsize=(12, 1.6 * len(rows)), squeeze=False
    )
    for row, (weight, classes) in enumerate(rows):
        for j, ax in enumerate(axes[row]):
            template = weight[j].reshape(28, 28)
            limit = np.abs(template).max()
            ax.imshow(template, cmap="RdBu_r", vmin=-limit, vmax=limit)
            ax.set_title(classes[j], fontsize="small")
            ax.axis("off")
    plt.show()


def predictions(images, predicted, true, classes, rows: int = 2, cols: int = 8):
    """Images titled with their predicted class; mistakes in red, with the truth."""
    fig, axes = plt.subplots(rows, cols, figsize=(10, 1.6 * rows))
    for ax, image, p, t in zip(axes.flat, images, predicted, true, strict=False):
        ax.imshow(image, cmap="gray_r")
        right = p == t
        title = classes[p] if right else f"{classes[p]}\n(is {classes[t]})"
        ax.set_title(title, fontsize="small", color="black" if right else "tab:red")
        ax.axis("off")
    plt.show()

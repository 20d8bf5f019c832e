"""Figures of chapter 5, the multilayer perceptron: XOR, activations, initialisation,
images.

Each function draws one figure from numbers the chapter computed. Chapter 4 showed how a
decision-region figure is made (a model evaluated on a grid); `boundary` does the same
for a two-class model given as a function from points to P(class 1).
"""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np


def points(ax, X, y, s: float = 10) -> None:
    """Two-class points, red for class 1 and blue for class 0."""
    ax.scatter(*X.T, c=y, cmap="RdBu_r", s=s, edgecolors="k", linewidths=0.3)


def xor(X, y):
    """The XOR clouds."""
    fig, ax = plt.subplots(figsize=(4, 4))
    points(ax, X, y)
    ax.set(
        xlabel="$x_1$",
        ylabel="$x_2$",
        aspect="equal",
        title="XOR: red is class 1, blue class 0",
    )
    plt.show()


def hidden_space(X, H, y):
    """The points in input space and in the hidden space of the hand-made layer."""
    fig, axes = plt.subplots(1, 2, figsize=(8.5, 4))
    for ax, P, (xl, yl) in [
        (axes[0], X, ("$x_1$", "$x_2$")),
        (axes[1], H, ("$h_1$", "$h_2$")),
    ]:
        points(ax, P, y)
        ax.set(xlabel=xl, ylabel=yl, aspect="equal")
    axes[0].set_title("input space")
    axes[1].plot([-0.2, 1.2], [1.2, -0.2], "k--")
    axes[1].set_title("hidden space, with the line $h_1 + h_2 = 1$")
    plt.show()


def activations(t, functions: dict, derivatives: dict):
    """Each activation and its derivative (computed by autograd) on the grid t."""
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.2), sharey=True)
    for ax, (name, values) in zip(axes, functions.items(), strict=True):
        ax.plot(t, values, label=name)
        ax.plot(t, derivatives[name], "--", label="derivative (autograd)")
        ax.axhline(0, color="gray", lw=0.5)
        ax.set(title=name, xlabel="$t$", ylim=(-1.1, 1.6))
        ax.legend(loc="upper left")
    plt.show()


def boundary(
    ax, prob_class1: Callable, X, y, title: str, extent: float = 2.5, steps: int = 201
) -> None:
    """Shade P(class 1) on a grid, draw its 0.5 contour and the points."""
    axis = np.linspace(-extent, extent, steps, dtype=np.float32)
    g1, g2 = np.meshgrid(axis, axis)
    grid = np.column_stack([g1.ravel(), g2.ravel()])
    P = prob_class1(grid).reshape(g1.shape)
    ax.contourf(g1, g2, P, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.5)
    ax.contour(g1, g2, P, levels=[0.5], colors="k")
    ax.scatter(*X.T, c=y, cmap="RdBu_r", s=6, edgecolors="k", linewidths=0.2)
    ax.set(title=title, aspect="equal", xticks=[-2, 0, 2], yticks=[-2, 0, 2])


def boundaries(panels, X, y):
    """Side-by-side boundary panels: panels is a list of (prob_class1, title)."""
    fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 4))
    for ax, (prob, title) in zip(axes, panels, strict=True):
        boundary(ax, prob, X, y, title)
    plt.show()


def spiral_figure(prob_class1: Callable, X, y, title: str):
    """One frame of the width-and-activation explorer (returned, not shown)."""
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    boundary(ax, prob_class1, X, y, title, steps=151)
    return fig


def init_statistics(stats: dict, labels, depth: int = 10):
    """Per-layer std of activations (top) and weight gradients (bottom), log scale.

    stats[(activation name, label)] = (list of activations, gradient stds).
    """
    fig, axes = plt.subplots(2, 2, figsize=(11, 7), sharex=True)
    layers = range(1, depth + 1)
    for col, act in enumerate(["Tanh", "ReLU"]):
        for label in labels:
            acts, grad_std = stats[act, label]
            axes[0, col].semilogy(
                layers, [a.std() for a in acts], "o-", ms=4, label=label
            )
            axes[1, col].semilogy(layers, grad_std, "o-", ms=4, label=label)
        axes[0, col].set(title=f"{act}: std of the activations", ylim=(1e-12, 1e12))
        axes[1, col].set(
            title=f"{act}: std of the weight gradient",
            xlabel="hidden layer",
            ylim=(1e-13, 1e9),
        )
    axes[0, 0].legend(title="weights")
    plt.show()


def history(history, title: str, drop: int = 10):
    """Loss and accuracy per epoch, train and test, the learning-rate drop marked."""
    epochs = np.arange(1, len(history.train_loss) + 1)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.3))
    for ax, metric in zip(axes, ["loss", "accuracy"], strict=True):
        ax.plot(epochs, getattr(history, f"train_{metric}"), "o-", ms=3, label="train")
        ax.plot(epochs, getattr(history, f"test_{metric}"), "s-", ms=3, label="test")
        ax.axvline(drop + 0.5, color="gray", ls=":", label="lr $10^{-3} \\to 10^{-4}$")
        ax.set(xlabel="epoch", title=f"{title}: {metric}")
    axes[0].legend()
    plt.show()


def mistakes(images, predicted, probability, true):
    """A gallery of misclassified images with prediction, its probability, label."""
    fig, axes = plt.subplots(2, 6, figsize=(10, 4.2))
    for ax, image, p, prob, t in zip(
        axes.ravel(), images, predicted, probability, true, strict=True
    ):
        ax.imshow(image, cmap="gray_r")
        ax.set_title(f"predicted {p} ({prob:.2f})\ntrue {t}", fontsize=9)
        ax.axis("off")
    plt.show()

"""Figures of chapter 7, generalisation and regularisation: each function draws one
figure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np


def degree_curves(
    degrees: Sequence[int],
    train_mse: Sequence[float],
    val_mse: Sequence[float],
    best: int,
) -> None:
    """Training and validation MSE against the polynomial degree, log scale, best degree
    marked."""
    fig, ax = plt.subplots(figsize=(6, 3.6))
    ax.semilogy(degrees, train_mse, "o-", label="training")
    ax.semilogy(degrees, val_mse, "s-", label="validation")
    ax.axvline(best, color="gray", ls=":", label=f"best on validation (degree {best})")
    ax.set(
        xlabel="polynomial degree",
        ylabel="mean squared error",
        title="Diabetes: underfitting on the left, overfitting on the right",
    )
    ax.legend()
    plt.show()


def overfitting_curves(history, best_epoch: int | None = None) -> None:
    """Training and validation loss per epoch (left), validation accuracy (right)."""
    epochs = np.arange(1, len(history.train_loss) + 1)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.4))
    ax_loss.semilogy(epochs, history.train_loss, "o-", ms=3, label="training")
    ax_loss.semilogy(epochs, history.val_loss, "s-", ms=3, label="validation")
    ax_acc.plot(
        epochs, history.val_accuracy, "s-", ms=3, color="C1", label="validation"
    )
    for ax, metric in [(ax_loss, "loss (log scale)"), (ax_acc, "accuracy")]:
        if best_epoch is not None:
            ax.axvline(best_epoch, color="gray", ls=":", label="lowest validation loss")
        ax.set(xlabel="epoch", title=metric)
        ax.legend()
    plt.show()


def validation_losses(histories: Mapping[str, object]) -> None:
    """The validation loss per epoch of several runs, one line each."""
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    for name, history in histories.items():
        epochs = np.arange(1, len(history.val_loss) + 1)
        ax.plot(epochs, history.val_loss, label=name)
    lowest = min(min(history.val_loss) for history in histories.values())
    ax.set_ylim(0.8 * lowest, 3 * lowest)  # the first epochs, far above, are cut off
    ax.set(
        xlabel="epoch", ylabel="validation loss", title="Validation loss of each remedy"
    )
    ax.legend()
    plt.show()


def shifted_digits(originals: np.ndarray, shifted: np.ndarray) -> None:
    """Each original digit above a randomly shifted copy of it."""
    n = len(originals)
    fig, axes = plt.subplots(2, n, figsize=(1.3 * n, 2.9))
    for row, (images, label) in enumerate(
        [(originals, "original"), (shifted, "shifted")]
    ):
        for ax, image in zip(axes[row], images, strict=True):
            ax.imshow(image, cmap="gray_r")
            ax.set_xticks([])
            ax.set_yticks([])
        axes[row, 0].set_ylabel(label)
    plt.show()


def learning_curve(errors: Mapping[int, tuple[float, float]]) -> None:
    """Training and validation error against the number of training images (log
    scale)."""
    sizes = sorted(errors)
    train_err, val_err = zip(*(errors[n] for n in sizes), strict=True)
    fig, ax = plt.subplots(figsize=(6, 3.6))
    ax.semilogx(sizes, train_err, "o-", label="training error")
    ax.semilogx(sizes, val_err, "s-", label="validation error")
    ax.set(
        xlabel="training images (log scale)",
        ylabel="error (1 - accuracy)",
        title="More data: the same network, the same number of steps",
    )
    ax.set_ylim(bottom=0)
    ax.legend()
    plt.show()

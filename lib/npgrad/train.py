"""The training loop of chapter 3, packaged: fit, evaluate, and the history."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from npgrad import browser
from npgrad.data import DataLoader
from npgrad.nn import Module
from npgrad.optim import Optimizer
from npgrad.tensor import Tensor, no_grad


@dataclass
class History:
    """Per-epoch metrics: history.train_loss[e], history.test_accuracy[e], ..."""

    metrics: dict[str, list[float]] = field(default_factory=dict)

    def add(self, **values: float) -> None:
        for name, value in values.items():
            self.metrics.setdefault(name, []).append(value)

    def __getattr__(self, name: str) -> list[float]:
        try:
            return self.__dict__["metrics"][name]
        except KeyError:
            raise AttributeError(f"History has no metric {name!r}") from None


def accuracy(logits: Tensor, y: Tensor) -> float:
    """Fraction of rows whose largest logit is at the true class."""
    return float((logits.data.argmax(axis=1) == y.data).mean())


def evaluate(
    model: Module, loader: DataLoader, loss_fn: Callable, classify: bool = True
) -> dict[str, float]:
    """Mean loss (and accuracy) over a loader, in eval mode and without a graph."""
    was_training = model.training
    model.eval()
    total_loss = total_correct = count = 0.0
    with no_grad():
        for X, y in loader:
            out = model(X)
            total_loss += loss_fn(out, y).item() * len(X)
            total_correct += accuracy(out, y) * len(X) if classify else 0.0
            count += len(X)
    model.train(was_training)
    metrics = {"loss": total_loss / count}
    return metrics | {"accuracy": total_correct / count} if classify else metrics


def train_epoch(
    model: Module,
    loader: DataLoader,
    loss_fn: Callable,
    optimizer: Optimizer,
    classify: bool = True,
) -> dict[str, float]:
    """One pass over the data: forward, loss, backward, step; the mean loss
    (and accuracy) over the batches."""
    model.train()
    losses, correct = [], []
    for X, y in loader:
        out = model(X)
        loss = loss_fn(out, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        correct.append(accuracy(out, y) if classify else 0.0)
    metrics = {"loss": float(np.mean(losses))}
    if classify:
        metrics["accuracy"] = float(np.mean(correct))
    return metrics


def fit(
    model: Module,
    train_loader: DataLoader,
    loss_fn: Callable,
    optimizer: Optimizer,
    num_epochs: int,
    test_loader: DataLoader | None = None,
    classify: bool = True,
    progress: bool = True,
) -> History:
    """Train for num_epochs, evaluating on test_loader after each; a tqdm bar."""
    history = History()
    epochs = range(num_epochs)
    if progress:
        epochs = progress_bar()(epochs, desc="epochs", unit="epoch")
    for _ in epochs:
        scores = train_epoch(model, train_loader, loss_fn, optimizer, classify)
        history.add(**{f"train_{name}": value for name, value in scores.items()})
        if test_loader is not None:
            scores = evaluate(model, test_loader, loss_fn, classify)
            history.add(**{f"test_{name}": value for name, value in scores.items()})
    return history


def progress_bar():
    """tqdm.auto's bar: a widget in a notebook, text in a terminal. In the browser
    tqdm.auto cannot tell that it runs in a notebook (Pyodide's kernel is no
    IPKernelApp) and would print text bars on stderr, so there the notebook's widget
    bar is used once ipywidgets is loaded. tqdm is imported here: npgrad itself needs
    only NumPy."""
    in_browser = sys.platform == "emscripten"
    if in_browser and browser.load_package("ipywidgets", "ipywidgets"):
        from tqdm import notebook

        return notebook.tqdm
    from tqdm import auto

    return auto.tqdm

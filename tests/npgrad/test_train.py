"""npgrad.train: fit's history and its progress bar."""

import sys

import numpy as np
import pytest
from tqdm import auto, notebook

from npgrad import browser, nn, optim, train
from npgrad.data import DataLoader, TensorDataset


@pytest.mark.parametrize("progress", [False, True])
def test_fit_records_every_epoch(progress):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    loader = DataLoader(TensorDataset(X, y), 16, shuffle=True, generator=rng)
    model = nn.Linear(3, 2, rng=rng)
    history = train.fit(model, loader, nn.CrossEntropyLoss(),
                        optim.SGD(model.parameters(), lr=0.5), 3, loader, progress=progress)
    assert [len(history.metrics[k]) for k in sorted(history.metrics)] == [3] * 4
    assert history.train_loss[-1] < history.train_loss[0]


def test_the_progress_bar_is_tqdm_auto_natively():
    assert train.progress_bar() is auto.tqdm


def test_in_the_browser_the_bar_is_the_notebook_widget(monkeypatch):
    """Pyodide's kernel is no IPKernelApp, so tqdm.auto would print text on stderr there."""
    monkeypatch.setattr(sys, "platform", "emscripten")
    loaded = []
    monkeypatch.setattr(browser, "load_package",
                        lambda name, module: loaded.append(name) or True)
    assert train.progress_bar() is notebook.tqdm
    assert loaded == ["ipywidgets"]
    # where the page cannot load ipywidgets from inside a function: tqdm.auto's text bar
    monkeypatch.setattr(browser, "load_package", lambda name, module: False)
    assert train.progress_bar() is auto.tqdm

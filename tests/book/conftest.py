"""Fixtures shared by the book's tests."""

import matplotlib

matplotlib.use("Agg")  # no screen: before any test imports pyplot

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture
def keep_figures(monkeypatch):
    """The figures a test draws, in order: plt.show() records the current figure instead of
    showing it (under Agg it would close nothing); all are closed afterwards."""
    shown = []
    monkeypatch.setattr(plt, "show", lambda: shown.append(plt.gcf()))
    yield shown
    plt.close("all")

"""bookplots.ch07: the learning curve draws both errors in the order of the sizes."""

import matplotlib.pyplot as plt
import numpy as np
from bookplots import ch07


def test_learning_curve_plots_train_and_validation_error_by_size(monkeypatch):
    monkeypatch.setattr(plt, "show", lambda: None)
    ch07.learning_curve({5_000: (0.01, 0.05), 1_000: (0.0, 0.1), 55_000: (0.02, 0.03)})
    ax = plt.gcf().axes[0]
    train, val = ax.get_lines()
    assert list(train.get_xdata()) == [1_000, 5_000, 55_000]
    assert np.allclose(train.get_ydata(), [0.0, 0.01, 0.02])
    assert np.allclose(val.get_ydata(), [0.1, 0.05, 0.03])
    assert ax.get_xscale() == "log" and ax.get_ylim()[0] == 0
    plt.close("all")

"""bookplots.ch04 and ch05: every figure the chapters import draws from small inputs.

The chapters check what the figures show (the numbers behind them are asserted there);
these tests make sure a change of signature or of matplotlib cannot break a chapter at
execution time, and that each figure has the panels the chapter's alt text describes.
"""

import numpy as np
from bookplots import ch04, ch05

from npgrad.train import History


def iris_like(rng, n=30):
    X = rng.uniform(0, 7, size=(n, 4)).astype(np.float32)
    return X, np.arange(n) % 3


def test_ch04_iris_figures_have_their_panels(keep_figures):
    rng = np.random.default_rng(0)
    X, y = iris_like(rng)
    ch04.iris_pairs(X, y, [(0, 1), (2, 3)])
    xs, ys = np.linspace(0, 7, 5), np.linspace(0, 3, 4)
    P = rng.dirichlet(np.ones(3), size=(4, 5))
    split = (X[:20, 2:], y[:20], X[20:, 2:], y[20:])
    ch04.regions_and_probability(xs, ys, P, split)
    ch04.regions_side_by_side([(xs, ys, P, "a"), (xs, ys, P, "b")], [split, split],
                              [("x", "y"), ("u", "v")])
    fig = ch04.epoch_figure(xs, ys, P, split, epoch=3, acc=0.5)
    assert fig.axes[0].get_title() == "epoch 3: training accuracy 0.50"
    panels = [len(f.axes) for f in keep_figures]
    assert panels == [2, 3, 2]  # the probability panel has a colour bar


def test_ch04_training_figures(keep_figures):
    history = History()
    for epoch in range(6):
        history.add(train_loss=1 / (epoch + 1), train_accuracy=0.5, val_loss=1.0,
                    val_accuracy=0.6)
    ch04.curves({"lr 0.1": history, "lr 0.3": history}, "val_accuracy", "acc",
                marks=[3])
    ch04.train_and_validation(history, switch_epoch=3)
    ch04.confusion(np.arange(9).reshape(3, 3), ["a", "b", "c"])
    images = np.zeros((4, 28, 28), dtype=np.uint8)
    ch04.image_grid(images, list("abcd"), rows=1, cols=4)
    ch04.templates([(np.ones((10, 784)), [str(k) for k in range(10)])])
    ch04.predictions(images, [0, 1, 2, 2], [0, 1, 2, 1], list("abc"), rows=1,
                     cols=4)
    assert [len(f.axes) for f in keep_figures] == [1, 2, 1, 4, 10, 4]
    titles = [ax.title for ax in keep_figures[-1].axes]
    assert [t.get_text() for t in titles] == ["a", "b", "c", "c\n(is b)"]
    assert titles[3].get_color() == "tab:red" and titles[0].get_color() == "black"
    labels = [line.get_label() for line in keep_figures[1].axes[0].get_lines()]
    assert labels[:2] == ["training", "validation"]


def test_ch05_figures(keep_figures):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2)).astype(np.float32)
    y = (X[:, 0] * X[:, 1] < 0).astype(np.int64)
    ch05.xor(X, y)
    ch05.hidden_space(X, np.maximum(X, 0), y)
    t = np.linspace(-5, 5, 11)
    ch05.activations(t, {"ReLU": t, "sigmoid": t, "tanh": t},
                     {"ReLU": t, "sigmoid": t, "tanh": t})

    def prob(grid):
        return 1 / (1 + np.exp(-grid[:, 0]))

    ch05.boundaries([(prob, "a"), (prob, "b")], X, y)
    fig = ch05.spiral_figure(prob, X, y, "2 ReLU units")
    assert fig.axes[0].get_title() == "2 ReLU units"
    acts = [rng.normal(size=(3, 4)) * k for k in range(1, 11)]
    stats = {(a, label): (acts, np.arange(1, 11.0)) for a in ("Tanh", "ReLU")
             for label in ("one", "two")}
    ch05.init_statistics(stats, ["one", "two"])
    history = History()
    for _ in range(12):
        history.add(train_loss=1.0, test_loss=1.0, train_accuracy=0.5, test_accuracy=0.5)
    ch05.history(history, "MNIST")
    ch05.mistakes(np.zeros((12, 28, 28)), np.zeros(12, int), np.ones(12), np.ones(12, int))
    assert [len(f.axes) for f in keep_figures] == [1, 2, 3, 2, 4, 2, 12]

"""bookplots.ch01-ch03: each figure function draws what its chapter says it shows."""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from bookplots import ch01, ch02, ch03

import npgrad
from npgrad import Tensor


def teardown_function():
    plt.close("all")


def test_ch01_network_graph_has_every_node_and_both_errors():
    texts = [t.get_text() for t in ch01.network_graph().axes[0].texts]
    for _, symbol, _, _ in ch01.NODES.values():
        assert symbol in texts
    assert sum("delta" in t for t in texts) == 2


def test_ch01_decision_regions_colour_the_plane_by_predicted_class():
    X = np.array([[-1.0, 0.0], [1.0, 0.0]])
    fig = ch01.decision_regions(lambda P: (P[:, 0] > 0).astype(int), X, np.array([0, 1]), steps=20)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["class 0", "class 1"]
    assert len(ax.collections) >= 2  # the filled regions and the points


def test_ch02_draw_places_every_node_left_of_its_consumers():
    a, b = Tensor(1.0, requires_grad=True), Tensor(2.0, requires_grad=True)
    u = a * b
    f = u + u.exp()
    nodes = {id(a): a, id(b): b, id(u.grad_fn): u, id(f.grad_fn.inputs[1].grad_fn):
             f.grad_fn.inputs[1], id(f.grad_fn): f}
    edges = [(id(a), id(u.grad_fn)), (id(b), id(u.grad_fn)),
             (id(u.grad_fn), id(f.grad_fn.inputs[1].grad_fn)),
             (id(f.grad_fn.inputs[1].grad_fn), id(f.grad_fn)), (id(u.grad_fn), id(f.grad_fn))]
    pos = ch02.positions(nodes, edges)
    assert all(pos[x][0] < pos[y][0] for x, y in edges)
    assert pos[id(f.grad_fn)][0] - pos[id(u.grad_fn)][0] == 2  # Exp sits between Mul and Add
    labels = [t.get_text() for t in ch02.draw(nodes, edges, {"a": a, "b": b}, (6, 2)).axes[0].texts]
    assert "a\nscalar" in labels and "const\nscalar" not in labels and "Mul\nscalar" in labels


def test_ch03_training_run_marks_divergence_and_the_alt_text_says_so():
    losses = [33.3, 1e8, np.inf, np.nan]
    fig = ch03.training_run(losses, 1.0)
    assert "diverged" in fig.axes[0].get_title()
    red = fig.axes[0].lines[1]
    assert list(red.get_xdata()) == [1, 2, 3]  # the three points above 1e4, drawn at the top
    assert "training diverges" in ch03.training_run_alt(losses, 1.0)
    calm = ch03.training_run_alt([33.3, 1e-3, 1e-4], 0.03)
    assert "falls from 33.3 to 0.0001" in calm and "learning rate 0.03" in calm
    assert ch03.fmt_loss(np.inf) == "inf" and ch03.fmt_loss(0.000116) == "0.000116"


def test_ch03_loss_curves_one_line_per_run_and_the_floor():
    fig = ch03.loss_curves({"a": [1.0, 0.1], "b": [1.0, 0.01]})
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.lines][:2] == ["a", "b"]
    assert ax.lines[-1].get_ydata()[0] == ch03.NOISE_FLOOR


def test_npgrad_does_not_import_bookplots():
    sources = Path(npgrad.__file__).parent.glob("*.py")
    assert not [p.name for p in sources if "bookplots" in p.read_text(encoding="utf-8")]

"""The SVG view of a computation graph: what it shows, before and after backward."""

import xml.etree.ElementTree as ET

import numpy as np

import npgrad.functional as F
from npgrad import Tensor, nn
from npgrad.graph import draw_graph

SVG = "{http://www.w3.org/2000/svg}"


def texts(svg: str) -> list[str]:
    return [t.text or "" for t in ET.fromstring(svg).iter(SVG + "text")]


def small_model():
    x = Tensor(np.ones((4, 3), np.float32))
    layer = nn.Linear(3, 2, rng=0)
    loss = F.cross_entropy(layer(x).relu(), np.array([0, 1, 1, 0]))
    return x, layer, loss


def test_shows_every_op_and_every_tensor_with_its_shape():
    x, layer, loss = small_model()
    view = draw_graph(loss, names={"x": x, "W": layer.weight, "b": layer.bias, "loss": loss})
    shown = texts(view.svg())
    assert [s for s in shown if s in ("linear", "relu", "crossentropy")] == ["linear", "relu", "crossentropy"]
    for label in ("x (4, 3)", "W (2, 3)", "b (2,)", "loss scalar", "tensor (4, 2)"):
        assert label in shown, (label, shown)
    assert "constant" in shown  # x does not require grad


def test_after_backward_the_same_view_shows_leaf_gradients():
    x, layer, loss = small_model()
    view = draw_graph(loss, names={"W": layer.weight})
    assert not any(s.startswith("|grad|") for s in texts(view.svg()))
    loss.backward()
    norm = float(np.linalg.norm(layer.weight.grad.data))
    assert f"|grad| {norm:.3g}" in texts(view._repr_svg_())


def test_every_node_has_an_edge_per_input_and_the_svg_is_well_formed():
    a = Tensor([1.0, 2.0], requires_grad=True)
    y = (a * a + a).sum()  # a feeds mul twice and add once
    root = ET.fromstring(draw_graph(y).svg())
    assert len(list(root.iter(SVG + "path"))) - 1 == 2 + 2 + 1 + 3  # minus the arrow marker's path
    assert len(list(root.iter(SVG + "ellipse"))) == 3


def test_a_long_chain_draws_without_recursion():
    x = Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(3000):
        y = y * 1.0
    assert len(list(ET.fromstring(draw_graph(y).svg()).iter(SVG + "ellipse"))) == 3000

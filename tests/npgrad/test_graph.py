"""The SVG view of a computation graph: what it shows, before and after backward."""

import xml.etree.ElementTree as ET

import numpy as np
import pytest

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


def boxes(svg: str) -> list[tuple[float, float, float, float]]:
    """(left, top, right, bottom) of every node: rectangles and ellipses."""
    out = []
    for el in ET.fromstring(svg).iter():
        a = {k: float(v) for k, v in el.attrib.items() if k in ("x", "y", "width", "height",
                                                               "cx", "cy", "rx", "ry")}
        if el.tag == SVG + "rect":
            out.append((a["x"], a["y"], a["x"] + a["width"], a["y"] + a["height"]))
        elif el.tag == SVG + "ellipse":
            out.append((a["cx"] - a["rx"], a["cy"] - a["ry"], a["cx"] + a["rx"], a["cy"] + a["ry"]))
    return out


def neuron_graph():
    """The graph chapter 2 draws: one sigmoid neuron with the mean squared error (7 ops)."""
    rng = np.random.default_rng(0)
    X, y = Tensor(rng.normal(size=(4, 2))), Tensor(np.ones((4, 1)))
    W = Tensor(rng.normal(size=(1, 2)), requires_grad=True)
    b = Tensor(rng.normal(size=1), requires_grad=True)
    loss = (((X @ W.T + b).sigmoid() - y) ** 2).mean()
    return draw_graph(loss, names={"X": X, "y": y, "W": W, "b": b, "L": loss})


def test_the_chapter_graph_fits_the_page_with_legible_labels():
    """Drawn at most 720 px wide, a 700 px column shrinks it to >= 97 %: 13 px text stays >= 12 px."""
    root = ET.fromstring(neuron_graph().svg())
    width = float(root.get("width"))
    assert width <= 720 and root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"
    assert float(root.get("font-size")) * min(1, 700 / width) >= 12
    assert root.get("role") == "img" and "7 ops, 11 tensors" in root.get("aria-label")


def test_rows_run_top_to_bottom_and_no_two_nodes_overlap():
    svg = neuron_graph().svg()
    for path in list(ET.fromstring(svg).iter(SVG + "path"))[1:]:  # after the arrow marker
        numbers = [float(v) for v in path.get("d").replace("M", " ").replace("C", " ")
                   .replace(",", " ").split()]
        assert numbers[-1] > numbers[1], "every edge runs down, from an input to its consumer"
    found = boxes(svg)
    assert len(found) == 18  # 7 ops and 11 tensors
    for i, a in enumerate(found):
        for b in found[i + 1:]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)


def test_a_wide_row_wraps_at_max_width():
    leaves = [Tensor(np.ones(2), requires_grad=True) for _ in range(12)]
    total = F.stack(leaves).sum()  # twelve leaves in the row above the stack
    for max_width in (720, 400):
        root = ET.fromstring(draw_graph(total, max_width=max_width).svg())
        assert float(root.get("width")) <= max_width
        assert len(boxes(ET.tostring(root, encoding="unicode"))) == 12 + 2 + 2
    narrow = ET.fromstring(draw_graph(total, max_width=400).svg())
    wide = ET.fromstring(draw_graph(total, max_width=720).svg())
    assert float(narrow.get("height")) > float(wide.get("height"))


def test_a_max_width_below_one_node_is_refused():
    with pytest.raises(ValueError, match="max_width=100 px cannot hold one node"):
        draw_graph(Tensor(1.0), max_width=100)

"""Draw the computation graph behind a tensor as SVG: ops, shapes and, after backward, gradients.

No Graphviz: nodes are laid out in columns by their depth in the graph, left (inputs) to right.
In a notebook the returned object displays itself; `.svg()` gives the markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

import numpy as np

from npgrad.tensor import Tensor

COLUMN, ROW, BOX_W, BOX_H = 170, 64, 136, 44


@dataclass
class Node:
    key: int
    kind: str  # "tensor" or "op"
    text: str
    tensor: Tensor | None = None
    inputs: list[int] = field(default_factory=list)


def draw_graph(root: Tensor, names: dict[str, Tensor] | None = None) -> GraphView:
    """Record the graph that leads to root now; it is drawn (with any .grad) when displayed."""
    labels = {id(t): name for name, t in (names or {}).items()}
    return GraphView(_trace(root), labels)


def _trace(root: Tensor) -> list[Node]:
    """Tensors and the ops between them, reachable from root (explicit stack, no recursion)."""
    nodes: dict[int, Node] = {}
    stack = [root]
    while stack:
        t = stack.pop()
        if id(t) in nodes:
            continue
        node = nodes[id(t)] = Node(id(t), "tensor", "", t)
        fn = t.grad_fn
        if fn is not None and fn.inputs is not None:  # None once backward has freed it
            nodes[id(fn)] = Node(id(fn), "op", fn.name, inputs=[id(x) for x in fn.inputs])
            node.inputs = [id(fn)]
            stack.extend(fn.inputs)
    return _in_dependency_order(nodes, id(root))


def _in_dependency_order(nodes: dict[int, Node], root: int) -> list[Node]:
    """Nodes sorted so that every node comes after its inputs."""
    done, result, stack = set(), [], [(root, False)]
    while stack:
        key, inputs_done = stack.pop()
        if inputs_done:
            result.append(nodes[key])
        elif key not in done:
            done.add(key)
            stack.append((key, True))
            stack.extend((k, False) for k in nodes[key].inputs if k not in done)
    return result


class GraphView:
    """The recorded graph; renders itself as SVG in Jupyter (and in the built book)."""

    def __init__(self, nodes: list[Node], labels: dict[int, str]) -> None:
        self.nodes, self.labels = nodes, labels

    def _repr_svg_(self) -> str:
        return self.svg()

    def __repr__(self) -> str:
        ops = sum(n.kind == "op" for n in self.nodes)
        return f"<computation graph: {ops} ops, {len(self.nodes) - ops} tensors>"

    def svg(self) -> str:
        depth = _depths(self.nodes)
        position = _positions(self.nodes, depth)
        width = (max(depth.values()) + 1) * COLUMN
        height = (max(y for _, y in position.values()) + 1) * ROW
        parts = [_edge(position[i], position[n.key]) for n in self.nodes for i in n.inputs]
        parts += [self._node(n, position[n.key]) for n in self.nodes]
        return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
                f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">'
                f'<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
                f'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>'
                + "".join(parts) + "</svg>")

    def _node(self, node: Node, at: tuple[int, int]) -> str:
        x, y = at[0] * COLUMN + 10, at[1] * ROW + 10
        if node.kind == "op":
            return (f'<ellipse cx="{x + BOX_W / 2}" cy="{y + BOX_H / 2}" rx="{BOX_W / 3}" ry="{BOX_H / 2.4}" '
                    f'fill="#fde9c9" stroke="#c77c02"/>' + _text(x + BOX_W / 2, y + BOX_H / 2 + 4, node.text))
        t = node.tensor
        lines = [self.labels.get(node.key, "tensor") + f" {_shape(t)}", _grad_text(t)]
        fill = "#d7ecff" if t.requires_grad else "#eeeeee"
        box = (f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="6" '
               f'fill="{fill}" stroke="#3672a4"/>')
        return (box + _text(x + BOX_W / 2, y + 17, lines[0]) + _text(x + BOX_W / 2, y + 34, lines[1], "#a33"))


def _depths(nodes: list[Node]) -> dict[int, int]:
    """Column of each node: one more than its deepest input (inputs are listed first)."""
    depth: dict[int, int] = {}
    for n in nodes:
        depth[n.key] = 1 + max((depth[i] for i in n.inputs), default=-1)
    return depth


def _positions(nodes: list[Node], depth: dict[int, int]) -> dict[int, tuple[int, int]]:
    rows: dict[int, int] = {}
    position = {}
    for n in nodes:
        column = depth[n.key]
        position[n.key] = (column, rows.get(column, 0))
        rows[column] = rows.get(column, 0) + 1
    return position


def _edge(a: tuple[int, int], b: tuple[int, int]) -> str:
    x1, y1 = a[0] * COLUMN + 10 + BOX_W, a[1] * ROW + 10 + BOX_H / 2
    x2, y2 = b[0] * COLUMN + 10, b[1] * ROW + 10 + BOX_H / 2
    return (f'<path d="M{x1},{y1} C{x1 + 20},{y1} {x2 - 20},{y2} {x2},{y2}" fill="none" '
            f'stroke="#555" marker-end="url(#arrow)"/>')


def _text(x: float, y: float, s: str, color: str = "#222") -> str:
    return f'<text x="{x}" y="{y}" text-anchor="middle" fill="{color}">{escape(s)}</text>'


def _shape(t: Tensor) -> str:
    return "scalar" if t.ndim == 0 else str(t.shape)


def _grad_text(t: Tensor) -> str:
    if t.grad is None:
        return "" if t.requires_grad else "constant"
    g = t.grad.data
    return f"grad {g.item():.3g}" if g.size == 1 else f"|grad| {float(np.linalg.norm(g)):.3g}"

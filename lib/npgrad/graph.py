"""Draw the computation graph behind a tensor as SVG: ops, shapes and, after backward,
gradients.

No Graphviz: nodes are laid out in rows by their depth in the graph, from the inputs at
the top to the output at the bottom, as the forward pass runs; a row wider than the page
wraps onto the next line, so the drawing is never wider than `max_width` px and its
labels stay legible at the book's width. In a notebook the returned object displays
itself; `.svg()` gives the markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

import numpy as np

from npgrad.tensor import Tensor

# Grid cell and node sizes in px. Drawn at its own size (at most MAX_WIDTH wide), a
# label is FONT px tall; a page narrower than the drawing scales it down by width /
# MAX_WIDTH only.
COLUMN, ROW, BOX_W, BOX_H, FONT = 160, 62, 144, 42, 13
MAX_WIDTH = 720  # the book's content column is about 700-800 px wide


@dataclass
class Node:
    key: int
    kind: str  # "tensor" or "op"
    text: str
    tensor: Tensor | None = None
    inputs: list[int] = field(default_factory=list)


def draw_graph(
    root: Tensor, names: dict[str, Tensor] | None = None, max_width: int = MAX_WIDTH
) -> GraphView:
    """Record the graph that leads to root now; drawn (with any .grad) on display."""
    if max_width < COLUMN:
        raise ValueError(
            f"draw_graph: max_width={max_width} px cannot hold one node; "
            f"give at least {COLUMN}"
        )
    labels = {id(t): name for name, t in (names or {}).items()}
    return GraphView(_trace(root), labels, max_width)


def _trace(root: Tensor) -> list[Node]:
    """Tensors and the ops between them, reachable from root (an explicit stack)."""
    nodes: dict[int, Node] = {}
    stack = [root]
    while stack:
        t = stack.pop()
        if id(t) in nodes:
            continue
        node = nodes[id(t)] = Node(id(t), "tensor", "", t)
        fn = t.grad_fn
        if fn is not None and fn.inputs is not None:  # None once backward has freed it
            nodes[id(fn)] = Node(
                id(fn), "op", fn.name, inputs=[id(x) for x in fn.inputs]
            )
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

    def __init__(
        self, nodes: list[Node], labels: dict[int, str], max_width: int = MAX_WIDTH
    ) -> None:
        self.nodes, self.labels, self.max_width = nodes, labels, max_width

    def _repr_svg_(self) -> str:
        return self.svg()

    def __repr__(self) -> str:
        ops = sum(n.kind == "op" for n in self.nodes)
        return f"<computation graph: {ops} ops, {len(self.nodes) - ops} tensors>"

    def svg(self) -> str:
        position, width, height = _layout(self.nodes, self.max_width)
        parts = [
            _edge(position[i], position[n.key]) for n in self.nodes for i in n.inputs
        ]
        parts += [self._node(n, position[n.key]) for n in self.nodes]
        title = escape(repr(self))
        return (
            '<svg xmlns="http://www.w3.org/2000/svg" '
            f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'font-family="sans-serif" font-size="{FONT}" role="img" '
            f'aria-label="{title}"><title>{title}</title>'
            '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" '
            'markerWidth="7" markerHeight="7" orient="auto">'
            '<path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>'
            + "".join(parts)
            + "</svg>"
        )

    def _node(self, node: Node, at: tuple[float, float]) -> str:
        x, y = at[0] - BOX_W / 2, at[1] - BOX_H / 2  # at is the node's centre
        if node.kind == "op":
            return (
                f'<ellipse cx="{at[0]}" cy="{at[1]}" rx="{BOX_W / 3}" '
                f'ry="{BOX_H / 2.4}" fill="#fde9c9" stroke="#c77c02"/>'
                + _text(at[0], at[1] + 4, node.text)
            )
        t = node.tensor
        lines = [self.labels.get(node.key, "tensor") + f" {_shape(t)}", _grad_text(t)]
        fill = "#d7ecff" if t.requires_grad else "#eeeeee"
        box = (
            f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="6" '
            f'fill="{fill}" stroke="#3672a4"/>'
        )
        return (
            box
            + _text(at[0], y + 17, lines[0])
            + _text(at[0], y + 35, lines[1], "#a33")
        )


def _levels(nodes: list[Node]) -> dict[int, int]:
    """Row of each node: one below its deepest input; a leaf just above its use."""
    level: dict[int, int] = {}
    for n in nodes:  # inputs are listed first
        level[n.key] = 1 + max((level[i] for i in n.inputs), default=-1)
    first_use: dict[int, int] = {}
    for n in nodes:
        for i in n.inputs:
            first_use[i] = min(first_use.get(i, level[n.key]), level[n.key])
    for n in nodes:
        if not n.inputs and n.key in first_use:
            level[n.key] = first_use[n.key] - 1
    return level


def _layout(
    nodes: list[Node], max_width: int
) -> tuple[dict[int, tuple[float, float]], int, int]:
    """Centre of every node, the drawing's width and height; rows wrap at max_width."""
    level = _levels(nodes)
    per_line = max(1, max_width // COLUMN)
    rows: dict[int, list[int]] = {}
    for n in nodes:
        rows.setdefault(level[n.key], []).append(n.key)
    width = min(max(len(r) for r in rows.values()), per_line) * COLUMN
    position, line = {}, 0
    for _, keys in sorted(rows.items()):
        for start in range(0, len(keys), per_line):
            chunk = keys[start : start + per_line]
            left = (width - len(chunk) * COLUMN) / 2
            for j, key in enumerate(chunk):
                position[key] = (left + (j + 0.5) * COLUMN, (line + 0.5) * ROW)
            line += 1
    return position, width, line * ROW


def _edge(a: tuple[float, float], b: tuple[float, float]) -> str:
    """From the bottom of input a to the top of consumer b."""
    x1, y1, x2, y2 = a[0], a[1] + BOX_H / 2, b[0], b[1] - BOX_H / 2
    bend = (y2 - y1) / 2
    return (
        f'<path d="M{x1},{y1} C{x1},{y1 + bend} {x2},{y2 - bend} {x2},{y2}" '
        'fill="none" stroke="#555" marker-end="url(#arrow)"/>'
    )


def _text(x: float, y: float, s: str, color: str = "#222") -> str:
    return (
        f'<text x="{x}" y="{y}" text-anchor="middle" fill="{color}">{escape(s)}</text>'
    )


def _shape(t: Tensor) -> str:
    return "scalar" if t.ndim == 0 else str(t.shape)


def _grad_text(t: Tensor) -> str:
    if t.grad is None:
        return "" if t.requires_grad else "constant"
    g = t.grad.data
    return (
        f"grad {g.item():.3g}"
        if g.size == 1
        else f"|grad| {float(np.linalg.norm(g)):.3g}"
    )

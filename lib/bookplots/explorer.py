"""Explorers that respond on the static page: one precomputed figure per control
position.

`ipywidgets.interactive` redraws its figure in the kernel, so on the built book, where
no kernel runs, its figure never changes. Here every figure is drawn once, while the
notebook executes, and kept in an ipywidgets `Stack`; each control's `index` is
`jslink`ed to a Stack's `selected_index`, so the browser itself shows the figure for the
control's position, from the widget state stored in the notebook. The same widgets work
unchanged in JupyterLab and JupyterLite, with or without a kernel.

In the browser (the book's JupyterLite, where a kernel runs beside the page) a
figure is drawn only when it is first shown: the controls' starting position at once,
every other one when a control first moves there. Drawing them all up front would keep
the cell silent for seconds (chapter 5's spiral explorer trains nine networks: 4 s in
WebAssembly, against 0.5 s for the one shown); natively, where the notebook is executed
for the static book, every figure is drawn up front.

Controls are selection widgets (`SelectionSlider`, `ToggleButtons`, `Dropdown`, ...):
each has a finite list of options, hence a finite list of figures. Two controls give a
Stack of Stacks (one figure per combination), and so on.

    lr = widgets.SelectionSlider(options=[0.01, 0.1, 1.0], description="learning rate")
    explorer(draw_training, lambda lr: f"Loss curve for learning rate {lr}", lr=lr)
"""

from __future__ import annotations

import base64
import html
import io
import itertools
import sys
from collections.abc import Callable

import ipywidgets as widgets
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from PIL import Image

from bookplots.style import legible_width

__all__ = ["combinations", "explorer", "figure_stack", "image_html", "play_button"]

# Draw each figure when it is first shown (see above): in the browser's kernel.
ON_DEMAND = sys.platform == "emscripten"
# What an explorer shows in the browser while the kernel draws a figure.
DRAWING = '<div class="npg-figure"><em>Drawing this figure...</em></div>'


def image_html(fig: Figure, alt: str, dpi: int = 100) -> widgets.HTML:
    """The figure as a PNG <img> with its alt text, in an HTML widget; the figure is
    closed.

    The image keeps the width at which its smallest text is legible (bookplots.style)
    and scrolls sideways in its box where the page is narrower.
    """
    return widgets.HTML(value=_image_markup(fig, alt, dpi))


def _image_markup(fig: Figure, alt: str, dpi: int = 100) -> str:
    """image_html's HTML."""
    if not alt.strip():
        raise ValueError("image_html: empty alt text; describe what the figure shows")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    width = legible_width(Image.open(buffer))
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    img = (
        f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}" '
        f'style="max-width: 100%; min-width: {width or 0}px; height: auto;">'
    )
    # the box scrolls on the book's pages (book-site.css lets it shrink to the column);
    # in JupyterLab the widget's own box scrolls
    return f'<div class="npg-figure" style="overflow-x: auto;">{img}</div>'


def _options(control: widgets.Widget) -> list:
    """The values a selection control can take, in the order of its `index`."""
    if not hasattr(control, "index") or not hasattr(control, "options"):
        raise TypeError(
            f"explorer: {type(control).__name__} has no `options` and `index`; use a "
            "selection control (SelectionSlider, ToggleButtons, Dropdown, ...)"
        )
    return [value for _, value in control._options_full]  # (label, value) pairs


def figure_stack(
    draw: Callable[..., Figure],
    alt: Callable[..., str],
    controls: dict[str, widgets.Widget],
    on_demand: bool | None = None,
) -> widgets.Stack:
    """A Stack (of Stacks, for several controls) holding draw(**values) for every
    combination.

    The first control picks among the outer Stack's children, the next among theirs, and
    so on; each Stack's `selected_index` is jslinked to its control's `index`, so no
    kernel is needed. `alt(**values)` gives each figure's alt text. With on_demand (the
    default in the browser: ON_DEMAND) only the controls' current combination is drawn
    now, every other one when the controls first reach it.
    """
    if not controls:
        raise ValueError(
            "figure_stack: give at least one control, e.g. lr=SelectionSlider(...)"
        )
    on_demand = ON_DEMAND if on_demand is None else on_demand
    names = list(controls)
    values = [_options(controls[name]) for name in names]
    shown = tuple(controls[name].index for name in names)
    undrawn = {}  # indexes of a combination -> (its HTML widget, its values)

    def build(depth: int, chosen: dict, indexes: tuple) -> widgets.Widget:
        if depth == len(names):
            if on_demand and indexes != shown:
                undrawn[indexes] = widgets.HTML(value=DRAWING), chosen
                return undrawn[indexes][0]
            return image_html(draw(**chosen), alt(**chosen))
        name, control = names[depth], controls[names[depth]]
        children = [
            build(depth + 1, {**chosen, name: v}, (*indexes, i))
            for i, v in enumerate(values[depth])
        ]
        stack = widgets.Stack(children=children, selected_index=control.index)
        widgets.jslink((control, "index"), (stack, "selected_index"))
        return stack

    def draw_shown(change: dict) -> None:
        indexes = tuple(controls[name].index for name in names)
        if indexes in undrawn:
            leaf, chosen = undrawn.pop(indexes)
            leaf.value = _image_markup(draw(**chosen), alt(**chosen))

    stack = build(0, {}, ())
    if undrawn:
        for control in controls.values():
            control.observe(draw_shown, names="index")
    return stack


def play_button(
    control: widgets.Widget, interval: int = 300, description: str = "Play"
) -> widgets.Play:
    """A Play button that steps `control` through its options (jslinked, no kernel
    needed)."""
    play = widgets.Play(
        value=control.index,
        min=0,
        max=len(_options(control)) - 1,
        interval=interval,
        description=description,
        tooltip=description,
    )
    widgets.jslink((play, "value"), (control, "index"))
    return play


def explorer(
    draw: Callable[..., Figure], alt: Callable[..., str], **controls: widgets.Widget
) -> widgets.VBox:
    """The controls above their figure: draw(**values) precomputed for every
    combination.

    Each control should carry a `description` (it is its visible label and accessible
    name). The number of figures is the product of the numbers of options: keep it small
    (tens).
    """
    for name, control in controls.items():
        if not getattr(control, "description", ""):
            raise ValueError(
                f"explorer: control {name!r} has no description; give it one, "
                f"e.g. description={name!r}, so that readers know what it sets"
            )
    count = 1
    for control in controls.values():
        count *= len(_options(control))
    if count > 100:
        raise ValueError(
            f"explorer: {count} figures to precompute; use fewer options (at most "
            "100 combinations keep the page light)"
        )
    stack = figure_stack(draw, alt, controls)
    return widgets.VBox([widgets.HBox(list(controls.values())), stack])


def combinations(**controls: widgets.Widget) -> list[dict]:
    """Every combination of the controls' values, in the order the Stacks hold them."""
    names = list(controls)
    return [
        dict(zip(names, combo, strict=True))
        for combo in itertools.product(*(_options(controls[n]) for n in names))
    ]

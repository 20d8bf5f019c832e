"""bookplots.explorer: one precomputed figure per control position, switched by jslink.

jslink runs in the browser only, so these tests check the links in the widget state that the
notebook stores (the browser test of chapter 3 moves the slider on the built page).
"""

import re

import ipywidgets as widgets
import matplotlib.pyplot as plt
import pytest
from bookplots.explorer import (
    DRAWING,
    ON_DEMAND,
    combinations,
    explorer,
    figure_stack,
    play_button,
)


def draw(**values):
    fig, ax = plt.subplots(figsize=(2, 1))
    ax.set_title(repr(sorted(values.items())))
    return fig


def alt(**values):
    return "figure for " + ", ".join(f"{k}={v}" for k, v in sorted(values.items()))


def links(state):
    """(source model, trait) -> (target model, trait) for every jslink in the widget state."""
    out = {}
    for model in state.values():
        if model["model_name"] == "LinkModel":
            (src, s_trait), (dst, d_trait) = model["state"]["source"], model["state"]["target"]
            out.setdefault((src.removeprefix("IPY_MODEL_"), s_trait), []).append(
                (dst.removeprefix("IPY_MODEL_"), d_trait))
    return out


def test_one_control_one_figure_per_option_linked_to_the_stack():
    control = widgets.SelectionSlider(options=[0.01, 0.1, 1.0], value=0.1, description="lr")
    stack = figure_stack(draw, alt, {"lr": control})
    assert isinstance(stack, widgets.Stack) and stack.selected_index == 1
    alts = [re.search(r'alt="([^"]*)"', child.value).group(1) for child in stack.children]
    assert alts == ["figure for lr=0.01", "figure for lr=0.1", "figure for lr=1.0"]
    assert all("data:image/png;base64," in child.value for child in stack.children)
    state = widgets.Widget.get_manager_state(drop_defaults=False)["state"]
    assert (stack.model_id, "selected_index") in links(state)[(control.model_id, "index")]


def test_two_controls_nest_and_every_inner_stack_follows_the_second():
    a = widgets.ToggleButtons(options=["relu", "tanh"], description="activation")
    w = widgets.SelectionSlider(options=[1, 2, 4], value=4, description="width")
    box = explorer(draw, alt, activation=a, width=w)
    controls, outer = box.children
    assert list(controls.children) == [a, w]
    assert len(outer.children) == 2 and all(len(s.children) == 3 for s in outer.children)
    assert [s.selected_index for s in outer.children] == [2, 2]
    assert "activation=tanh, width=2" in outer.children[1].children[1].value
    state = widgets.Widget.get_manager_state(drop_defaults=False)["state"]
    targets = links(state)[(w.model_id, "index")]
    assert all((s.model_id, "selected_index") in targets for s in outer.children)
    assert combinations(activation=a, width=w)[4] == {"activation": "tanh", "width": 2}


def test_play_button_steps_the_control():
    control = widgets.SelectionSlider(options=list(range(5)), value=1, description="epoch")
    play = play_button(control)
    assert (play.min, play.max, play.value, play.description) == (0, 4, 1, "Play")
    state = widgets.Widget.get_manager_state(drop_defaults=False)["state"]
    assert (control.model_id, "index") in links(state)[(play.model_id, "value")]


def test_unlabelled_control_non_selection_control_and_empty_alt_are_refused():
    with pytest.raises(ValueError, match="no description"):
        explorer(draw, alt, lr=widgets.SelectionSlider(options=[1, 2]))
    with pytest.raises(TypeError, match="selection control"):
        explorer(draw, alt, lr=widgets.FloatSlider(description="lr"))
    with pytest.raises(ValueError, match="empty alt text"):
        explorer(draw, lambda **v: " ", lr=widgets.Dropdown(options=[1], description="lr"))
    many = widgets.SelectionSlider(options=list(range(101)), description="n")
    with pytest.raises(ValueError, match="101 figures"):
        explorer(draw, alt, n=many)


def test_on_demand_draws_the_shown_figure_now_and_each_other_when_first_shown():
    """The browser's way (ON_DEMAND there): a figure is drawn when the controls reach it."""
    drawn = []

    def counted(**values):
        drawn.append(values)
        return draw(**values)

    a = widgets.ToggleButtons(options=["relu", "tanh"], description="activation")
    w = widgets.SelectionSlider(options=[1, 2, 4], value=4, description="width")
    outer = figure_stack(counted, alt, {"activation": a, "width": w}, on_demand=True)
    assert drawn == [{"activation": "relu", "width": 4}]
    leaves = [leaf for inner in outer.children for leaf in inner.children]
    assert "activation=relu, width=4" in leaves[2].value
    assert [leaf.value for i, leaf in enumerate(leaves) if i != 2] == [DRAWING] * 5
    w.value = 2  # the slider moves: (relu, 2) is drawn, nothing else
    assert drawn[1:] == [{"activation": "relu", "width": 2}]
    assert "activation=relu, width=2" in leaves[1].value
    a.value, w.value = "tanh", 4  # (tanh, 2) on the way, then (tanh, 4)
    w.value = 2  # shown before: not drawn again
    assert drawn[2:] == [{"activation": "tanh", "width": 2},
                         {"activation": "tanh", "width": 4}]
    assert "activation=tanh, width=4" in leaves[5].value
    assert [leaf.value for leaf in (leaves[0], leaves[3])] == [DRAWING] * 2
    state = widgets.Widget.get_manager_state(drop_defaults=False)["state"]
    targets = links(state)[(w.model_id, "index")]
    assert all((s.model_id, "selected_index") in targets for s in outer.children)


def test_natively_every_figure_is_drawn_up_front():
    assert ON_DEMAND is False  # sys.platform == "emscripten" in the browser only
    drawn = []
    control = widgets.SelectionSlider(options=[1, 2, 3], value=2, description="n")
    figure_stack(lambda **v: drawn.append(v) or draw(**v), alt, {"n": control})
    assert drawn == [{"n": 1}, {"n": 2}, {"n": 3}]

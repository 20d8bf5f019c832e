"""bookplots.explorer: one precomputed figure per control position, switched by jslink.

jslink runs in the browser only, so these tests check the links in the widget state that the
notebook stores (the browser test of chapter 3 moves the slider on the built page).
"""

import re

import ipywidgets as widgets
import matplotlib.pyplot as plt
import pytest
from bookplots.explorer import combinations, explorer, figure_stack, play_button


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

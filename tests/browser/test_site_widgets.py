"""The book's widgets on the static page: Play advances its slider, every control moves, each
move changes the figure (explorers are ipywidgets Stacks of precomputed figures, no kernel) and
logs no error.
"""

from __future__ import annotations

import pytest

from tests.browser.bookpages import (
    TIMEOUT_MS,
    WIDGET_PAGES,
    WIDGET_STATE,
    Visit,
    has_controls,
    once_per_page,
    settle,
    source_notebook,
)

# The visible figures of the page's widgets, one string: each image's alt text and a hash of its
# source (a data: URL for a precomputed figure). It changes when a Stack shows another figure.
FIGURES_JS = """() => [...document.querySelectorAll('.widget-subarea img')]
  .filter(img => img.checkVisibility())
  .map(img => {
    const src = img.currentSrc || img.src;
    let h = 0;
    for (let k = 0; k < src.length; k++) h = (h * 31 + src.charCodeAt(k)) | 0;
    return `${img.alt}#${src.length}#${h}`;
  }).join('|')"""

# Every slider's position (the handle's aria-valuenow), one string.
SLIDERS_JS = """() => [...document.querySelectorAll('.widget-subarea .noUi-handle')]
  .map(h => h.getAttribute('aria-valuenow')).join(',')"""

# The controls a reader moves, each as (kind, index among the page's controls of that kind).
CONTROLS_JS = """() => ({
  slider: document.querySelectorAll('.widget-subarea .noUi-handle[role=slider]').length,
  toggles: document.querySelectorAll('.widget-subarea .widget-toggle-buttons').length,
  dropdown: document.querySelectorAll('.widget-subarea .widget-dropdown select').length,
  checkbox: document.querySelectorAll('.widget-subarea .widget-checkbox input').length,
  radio: document.querySelectorAll('.widget-subarea .widget-radio-box').length,
})"""

PLAY_NAMES = {"Play", "Pause", "Stop", "Repeat"}
# The pages with a control to move (the others show only progress bars: still checked for errors).
CONTROL_PAGES = [p for p in WIDGET_PAGES if has_controls(source_notebook(p))]


def stores_stacks(notebook: dict | None) -> bool:
    """Whether the notebook's widget state holds an ipywidgets Stack (a precomputed explorer)."""
    state = ((notebook or {}).get("metadata", {}).get("widgets", {}).get(WIDGET_STATE, {})
             .get("state", {}))
    return any(m.get("model_name") == "StackModel" for m in state.values())


def positions(page, kind: str, i: int) -> int:
    """How many positions control i of this kind has."""
    if kind == "slider":
        h = page.locator(".widget-subarea .noUi-handle[role=slider]").nth(i)
        low, high = (float(h.get_attribute(a)) for a in ("aria-valuemin", "aria-valuemax"))
        return int(round(high - low)) + 1 if high - low <= 60 else 2  # IntSlider steps of 1
    if kind == "toggles":
        return page.locator(".widget-subarea .widget-toggle-buttons").nth(i).locator("button").count()
    if kind == "dropdown":
        return page.locator(".widget-subarea .widget-dropdown select").nth(i).locator("option").count()
    if kind == "radio":
        return page.locator(".widget-subarea .widget-radio-box").nth(i).locator("input").count()
    return 2  # a checkbox


def move(page, kind: str, i: int, step: int) -> None:
    """Move control i of this kind one position on (from its first position, for step 0)."""
    if kind == "slider":
        handle = page.locator(".widget-subarea .noUi-handle[role=slider]").nth(i)
        handle.focus()
        page.keyboard.press("Home" if step == 0 else "ArrowRight")
    elif kind == "toggles":
        buttons = page.locator(".widget-subarea .widget-toggle-buttons").nth(i).locator("button")
        buttons.nth(step % buttons.count()).click()
    elif kind == "dropdown":
        select = page.locator(".widget-subarea .widget-dropdown select").nth(i)
        select.select_option(index=step % select.locator("option").count())
    elif kind == "radio":
        inputs = page.locator(".widget-subarea .widget-radio-box").nth(i).locator("input")
        inputs.nth(step % inputs.count()).check()
    else:
        page.locator(".widget-subarea .widget-checkbox input").nth(i).click()


def changed(page, script: str, before: str, timeout: int) -> bool:
    """Whether `script`'s value differs from `before` within `timeout` ms."""
    try:
        page.wait_for_function(f"before => ({script})() !== before", arg=before, timeout=timeout)
        return True
    except Exception:  # Playwright's TimeoutError
        return False


def interact(browser, server, page_name: str) -> dict:
    """Press every Play button, move every control through its positions; what happened."""
    visit = Visit(browser, server + page_name)
    page = visit.page
    result = {"play": [], "names": [], "moves": [], "problems": []}
    stacks = stores_stacks(source_notebook(page_name))
    try:
        settle(page, page_name)
        page.wait_for_timeout(300)  # the accessible names are set on the next animation frame
        result["names"] = page.locator(".widget-play button").evaluate_all(
            "bs => bs.map(b => b.getAttribute('aria-label'))")
        for i in range(page.locator(".widget-play").count()):
            play = page.locator(".widget-play").nth(i)
            before = page.evaluate(SLIDERS_JS)
            play.get_by_role("button", name="Play").click()
            advanced = changed(page, SLIDERS_JS, before, TIMEOUT_MS)
            play.get_by_role("button", name="Stop").click()
            result["play"].append(advanced)
        controls = page.evaluate(CONTROLS_JS)
        for kind, count in controls.items():
            for i in range(count):
                # Through every position when the figures are precomputed; one move otherwise.
                steps = positions(page, kind, i) if stacks else 2
                move(page, kind, i, 0)
                page.wait_for_timeout(200)
                for step in range(1, min(steps, 30)):
                    before = page.evaluate(FIGURES_JS)
                    move(page, kind, i, step)
                    moved = changed(page, FIGURES_JS, before, 5_000 if stacks else 300)
                    result["moves"].append((f"{kind} {i}, position {step}", moved))
        page.wait_for_timeout(300)  # let a late error event arrive before counting
    finally:
        visit.close()
    result["problems"] = visit.problems()
    return result



@pytest.fixture(scope="module")
def interactions(browser, server):
    """interact(), once per page for the two tests that read it."""
    return once_per_page(interact, browser, server)


@pytest.mark.parametrize("page_name", WIDGET_PAGES or [None], ids=lambda p: p or "no-widget-page")
def test_widgets_play_and_move_without_errors(page_name, interactions):
    if page_name is None:
        pytest.skip("no page shows widgets")
    result = interactions(page_name)
    problems = list(result["problems"])
    if not result["moves"] and not result["play"] and page_name in CONTROL_PAGES:
        problems.append("the page's widgets have no control to move")
    if result["moves"] and page_name not in CONTROL_PAGES:
        problems.append("the page shows a control its notebook's widget state does not store")
    if result["play"] and not all(result["play"]):
        problems.append(f"Play did not advance its slider ({result['play']})")
    unnamed = [n for n in result["names"] if n not in PLAY_NAMES]
    if unnamed:
        problems.append(f"Play widget buttons without an accessible name: {result['names']}")
    assert not problems, f"{page_name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("page_name", CONTROL_PAGES or [None], ids=lambda p: p or "no-widget-page")
def test_every_control_changes_the_figure(page_name, interactions):
    if page_name is None:
        pytest.skip("no page shows widgets")
    if not stores_stacks(source_notebook(page_name)):
        pytest.skip(f"{page_name}: its notebook's explorer is not yet an ipywidgets Stack of "
                    "precomputed figures jslinked to its controls (bookplots.explorer, issue 15), "
                    "so on the static page no control can change its figure")
    result = interactions(page_name)
    still = [what for what, moved in result["moves"] if not moved]
    assert result["moves"], f"{page_name}: no control to move"
    assert not still, f"{page_name}: the figure did not change on: {still}"


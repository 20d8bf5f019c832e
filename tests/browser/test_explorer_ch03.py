"""Chapter 3's learning-rate explorer responds on the static page, with no kernel.

bookplots.explorer stores one figure per slider position in an ipywidgets Stack jslinked to
the slider. Here the slider is moved with the keyboard, position by position, on the built
page: each position must show its own figure (its alt text names the learning rate), the
control must be labelled, and no JavaScript error may be logged on the way.

Run after building the book; it uses the site, the server and the browser of conftest.py.
"""

from __future__ import annotations

import pytest

from tests.browser import bookpages as site

LOAD_TIMEOUT_MS = 90_000
PAGE = "chapters/03_linear_regression.html"
LEARNING_RATES = ["0.001", "0.003", "0.01", "0.03", "0.1", "0.3", "0.6", "0.9", "1.0", "1.2"]

SHOWN_JS = """() => {
  const area = [...document.querySelectorAll('.widget-subarea')]
    .find(a => a.querySelector('.widget-slider'));
  if (!area) return null;
  const visible = [...area.querySelectorAll('img')].filter(i => i.checkVisibility());
  return {label: area.querySelector('.widget-label')?.textContent.trim(),
          readout: area.querySelector('.widget-readout')?.textContent.trim(),
          alts: visible.map(i => i.alt)};
}"""


def test_the_learning_rate_slider_switches_figures_without_a_kernel(browser, server, monkeypatch):
    # A chapter page with hundreds of formulas can take over 15 s to load on a busy machine.
    monkeypatch.setattr(site, "TIMEOUT_MS", max(site.TIMEOUT_MS, LOAD_TIMEOUT_MS))
    if not (site.SITE / PAGE).is_file():
        pytest.skip(f"no {PAGE} in the built site {site.SITE}")
    visit = site.Visit(browser, server + PAGE)
    seen = []
    try:
        page = visit.page
        page.wait_for_selector(".widget-subarea .widget-slider", timeout=site.TIMEOUT_MS)
        first = page.evaluate(SHOWN_JS)
        assert first["label"] == "learning rate", first
        assert first["readout"] == "0.03" and len(first["alts"]) == 1, first
        handle = page.locator(".widget-subarea .widget-slider .noUi-handle").first
        handle.focus()
        for _ in range(len(LEARNING_RATES)):  # down to the first position
            page.keyboard.press("ArrowLeft")
        for position in range(len(LEARNING_RATES)):
            if position:
                page.keyboard.press("ArrowRight")
            page.wait_for_timeout(50)
            seen.append(page.evaluate(SHOWN_JS))
        page.wait_for_timeout(100)  # let a late error event arrive before counting
    finally:
        visit.close()
    assert [s["readout"] for s in seen] == LEARNING_RATES, seen
    for lr, state in zip(LEARNING_RATES, seen, strict=True):
        assert len(state["alts"]) == 1, f"lr {lr}: {len(state['alts'])} figures visible"
        assert f"learning rate {float(lr):g}:" in state["alts"][0], (lr, state["alts"])
    assert not visit.errors, "JavaScript errors:\n" + "\n".join(visit.errors)
    assert not visit.outside, f"outside requests: {visit.outside}"

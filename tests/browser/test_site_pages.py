"""The built book in headless Chromium, served on 127.0.0.1, with the outside blocked.

For every page: no request leaves localhost, none fails, MathJax typeset every formula, every
image loaded, no JavaScript error; where the page's notebook stores widget state, the widgets
show it; axe-core (pinned in package-lock.json) finds no critical or serious accessibility
violation. At 390 px (a phone) every block that scrolls sideways shows a scroll cue, and every
figure's smallest text is at least 9 CSS px (the size each PNG records, bookplots.style, times
its scale on screen); a dark system preference gives the dark theme; the site ships no file that
no page requests. Screenshots (1280 px and 390 px wide) go to _build/screenshots/.
"""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tests.browser.bookpages import (
    AXE,
    CHAPTERS,
    MIN_TEXT_PX,
    NEXT_FRAMES_JS,
    PAGES,
    PHONE,
    REQUESTED,
    SITE,
    TEXT_KEY,
    TRANSLATIONS,
    VISITED,
    WIDGET_PAGES,
    Visit,
    browser_pages,
    is_redirect,
    settle,
    site_required,
    source_page,
    take_screenshots,
)


@pytest.mark.parametrize("page_name", browser_pages(), ids=lambda p: p or "no-site")
def test_page_in_the_browser(page_name, page_checks):
    site_required()
    problems = page_checks(page_name)["problems"]
    assert not problems, f"{page_name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("page_name", browser_pages(), ids=lambda p: p or "no-site")
def test_axe_finds_no_critical_or_serious_violation(page_name, page_checks):
    site_required()
    if AXE is None:
        pytest.skip("axe-core is not installed: run `npm ci --no-audit --no-fund --ignore-scripts`")
    violations = page_checks(page_name)["violations"]
    report = [f"{v['impact']} {v['id']} ({v['help']}), {len(v['nodes'])} elements:\n    "
              + "\n    ".join(v["nodes"][:5]) for v in violations]
    assert not violations, f"{page_name}:\n" + "\n".join(report)


# -- a phone, dark mode ----------------------------------------------------------------------------

# Every element that scrolls sideways (code, display math, tables, outputs: whatever it is) and
# whether it shows the cue, the inner shadow book-site.css draws on a side where content hides,
# and has a tab stop (so that the keyboard scrolls it).
OVERFLOW_JS = """() => [...document.querySelectorAll('article *')]
  .filter(b => b.scrollWidth > b.clientWidth + 1 && b.checkVisibility()
               && ['auto', 'scroll'].includes(getComputedStyle(b).overflowX))
  .map(b => ({what: b.tagName.toLowerCase() + '.' + [...b.classList].join('.'),
              text: b.textContent.trim().slice(0, 60),
              cue: getComputedStyle(b).boxShadow.includes('inset'),
              focusable: b.tabIndex >= 0}))"""


# Every figure a reader sees (notebook outputs and widgets): its source, its width on screen and
# in the file, whether all of it can be reached (inside the window or a box that scrolls) and
# how much of its width is in view at once (a collapsed scroll box shows none of it).
FIGURES_SHOWN_JS = """() => [...document.querySelectorAll('article img')]
  .filter(img => img.checkVisibility() && /\\.png($|\\?)|^data:image\\/png/.test(img.currentSrc || img.src))
  .map(img => {
    const box = img.getBoundingClientRect();
    let scroller = img.parentElement;
    while (scroller && !['auto', 'scroll'].includes(getComputedStyle(scroller).overflowX))
      scroller = scroller.parentElement;
    const frame = scroller ? scroller.getBoundingClientRect() : {left: 0, right: innerWidth};
    return {src: img.currentSrc || img.src, shown: box.width, own: img.naturalWidth,
            alt: img.alt.slice(0, 60), inside: frame.right <= innerWidth + 1,
            seen: Math.min(box.right, frame.right, innerWidth) - Math.max(box.left, frame.left, 0)};
  })"""


def smallest_text_px(src: str) -> str:
    """The PNG's record of its smallest text (bookplots.style), in its own pixels; "" if none."""
    from PIL import Image

    if src.startswith("data:"):
        data = base64.b64decode(src.split(",", 1)[1])
    else:
        data = (SITE / unquote(urlsplit(src).path).lstrip("/")).read_bytes()
    return Image.open(io.BytesIO(data)).text.get(TEXT_KEY, "")


def illegible_figures(figures: list[dict]) -> tuple[list[str], float]:
    """Figures whose smallest text is under MIN_TEXT_PX CSS px, or cut off; the smallest text."""
    problems, smallest = [], float("inf")
    for fig in figures:
        record = smallest_text_px(fig["src"])
        if not record:
            problems.append(f"{fig['alt']!r}: its PNG does not record its smallest text "
                            "(drawn before bookplots.style: re-execute the notebook)")
            continue
        if record == "none":
            continue
        px = float(record) * fig["shown"] / fig["own"]
        smallest = min(smallest, px)
        if px < MIN_TEXT_PX:
            problems.append(f"{fig['alt']!r}: smallest text {px:.1f} CSS px "
                            f"({fig['own']} px wide shown at {fig['shown']:.0f})")
        if not fig["inside"]:
            problems.append(f"{fig['alt']!r}: wider than the window, in no box that scrolls")
        if fig["seen"] < min(fig["shown"], 0.8 * PHONE["width"]):
            problems.append(f"{fig['alt']!r}: only {fig['seen']:.0f} px of it in view at once")
    return problems, smallest


# The width on screen of every progress bar (tqdm's notebook widget) the page shows.
PROGRESS_BARS_JS = """() => [...document.querySelectorAll('article .widget-hprogress')]
  .filter(b => b.checkVisibility()).map(b => b.getBoundingClientRect().width)"""


@pytest.mark.parametrize("page_name", CHAPTERS or [None], ids=lambda p: p or "no-chapter")
def test_on_a_phone_wide_blocks_show_a_scroll_cue_and_figures_are_legible(page_name, browser,
                                                                          server):
    site_required()
    if page_name is None:
        pytest.skip("the site has no chapter built from a notebook yet")
    visit = Visit(browser, server + page_name, viewport=PHONE)
    try:
        settle(visit.page, page_name)
        visit.page.evaluate(NEXT_FRAMES_JS)  # book-site.js marks late widgets on the next frame
        wide = visit.page.evaluate(OVERFLOW_JS)
        figures = visit.page.evaluate(FIGURES_SHOWN_JS)
        bars = visit.page.evaluate(PROGRESS_BARS_JS)
        take_screenshots(visit.page, Path(page_name).stem)
    finally:
        visit.close()
    without = [f"{b['what']}: {b['text']!r}" for b in wide if not (b["cue"] and b["focusable"])]
    assert not without, (f"{page_name} at {PHONE['width']} px: {len(without)} of {len(wide)} blocks "
                         "scroll sideways with no cue or no tab stop:\n" + "\n".join(without))
    # a progress bar keeps a visible width (book-site.css wraps its row): it used to shrink to 0
    assert all(width >= 64 for width in bars), f"{page_name}: progress bars {bars} px wide"
    illegible, smallest = illegible_figures(figures)
    if figures:
        print(f"{page_name} at {PHONE['width']} px: {len(figures)} figures, smallest text "
              f"{smallest:.1f} CSS px")
    assert not illegible, (f"{page_name} at {PHONE['width']} px: {len(illegible)} of {len(figures)} "
                           "figures are not legible:\n" + "\n".join(illegible))
    assert not visit.problems(), "\n".join(visit.problems())


@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_the_theme_follows_the_system_colour_scheme(scheme, browser, server):
    site_required()
    pages = ["index.html" if not is_redirect("index.html") else PAGES[0], *WIDGET_PAGES[:1]]
    for page_name in pages:
        visit = Visit(browser, server + page_name, color_scheme=scheme)
        try:
            settle(visit.page, page_name)
            theme = visit.page.evaluate("() => document.documentElement.dataset.theme")
            background = visit.page.evaluate("() => getComputedStyle(document.body).backgroundColor")
        finally:
            visit.close()
        assert theme == scheme, f"{page_name}: a {scheme} system preference gives the {theme} theme"
        channels = [int(c) for c in re.findall(r"\d+", background)[:3]]
        assert (sum(channels) / 3 < 100) == (scheme == "dark"), f"{page_name}: background {background}"
        assert not visit.problems(), f"{page_name} ({scheme}):\n" + "\n".join(visit.problems())


# -- weight ----------------------------------------------------------------------------------------

# Files a page loads only on a reader's action or when its content needs them, never on a plain
# load of today's pages: TeX extensions and MathJax fonts (by the formulas a page has), the
# notebooks and sources behind the download buttons, the search page's index.
# Licence notices are kept on purpose.
ON_DEMAND = ["_vendor/mathjax/input/tex/extensions/*", "_vendor/mathjax/output/chtml/fonts/*",
             "_vendor/*/package.json", "_vendor/*/LICENSE*", "_static/scripts/*.LICENSE.txt",
             # icon fonts, fetched when an icon of that style or set is on the page
             "_static/vendor/fontawesome/webfonts/*.woff2", "_vendor/html-manager/*.woff2",
             # the copy button's icons, on a click; the images of Sphinx's basic.css rules
             "_static/check-solid.svg", "_static/copy-button.svg", "_static/file.png",
             "_static/minus.png", "_static/plus.png",
             # the JupyterLite launch button's logo, when that button is configured
             "_static/images/logo_jupyterlite.svg"]


def test_the_site_ships_nothing_no_page_requests(browser):
    """Run after the page tests of this file: what they requested against what the site holds
    (the browser fixture: without Chromium no page was visited, and it skips saying so)."""
    site_required()
    missing = [p for p in browser_pages() if p and p not in VISITED]
    if missing:
        pytest.skip(f"run with test_page_in_the_browser (which records what pages request); "
                    f"{len(missing)} pages not visited in this session")
    from fnmatch import fnmatch

    shipped = [p.relative_to(SITE).as_posix() for folder in ("_vendor", "_static")
               for site in (SITE, *(SITE / t for t in TRANSLATIONS))
               for p in (site / folder).rglob("*") if p.is_file()]
    unused = [p for p in shipped if p not in REQUESTED
              and not any(fnmatch(source_page(p), g) for g in ON_DEMAND)]
    maps = [p.relative_to(SITE).as_posix() for p in SITE.rglob("*.map")]
    assert not maps, f"source maps shipped: {maps}"
    size = sum((SITE / p).stat().st_size for p in unused)
    assert not unused, (f"{len(unused)} files ({size / 1e6:.1f} MB) that no page requested: "
                        + ", ".join(sorted(unused)[:40]))

"""The built book as the browser tests see it: its pages, the notebooks behind them, a visit.

Shared by the tests in this folder (conftest.py holds the fixtures): which pages the site has
and what each must show, a page visit in a fresh browser context with every outside request
blocked and recorded, and the waits and checks a visit uses (MathJax, images, widgets, axe).
NPGRAD_BOOK_DIR points the tests at another book folder (its _build/html is the site);
NPGRAD_CHROMIUM at another browser binary.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
BOOK = Path(os.environ.get("NPGRAD_BOOK_DIR", ROOT)).resolve()
SITE = BOOK / "_build" / "html"
SHOTS = BOOK / "_build" / "screenshots"
CHROMIUM = Path(os.environ.get("NPGRAD_CHROMIUM", "/usr/bin/chromium"))
# The flags this workplace's machines need: a closed network, no GPU, root without a sandbox.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 15_000
NO_SITE = f"no built site at {SITE}: run `make book` first"
AXE = next((p for p in (BOOK / "node_modules" / "axe-core" / "axe.min.js",
                        ROOT / "node_modules" / "axe-core" / "axe.min.js") if p.is_file()), None)
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# A figure's smallest text on screen, at least (CSS px); bookplots.style records it in each PNG.
MIN_TEXT_PX = 9
TEXT_KEY = "bookplots:smallest-text-px"

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
IMAGE_TYPES = ("image/png", "image/jpeg", "image/svg+xml", "image/gif")


# The translated editions' folders inside the site (tools/site/build_zh.py): each a whole site,
# built from the same sources, whose pages the tests check as they check the English ones.
TRANSLATIONS = ("zh",)


def source_page(page: str) -> str:
    """The page's path in the English edition: "zh/chapters/01_x.html" -> "chapters/01_x.html"."""
    parts = Path(page).parts
    return Path(*parts[1:]).as_posix() if len(parts) > 1 and parts[0] in TRANSLATIONS else page


def site_pages() -> list[str]:
    """Every page of the site and of its translations, as a path relative to the site (theme
    templates and assets left out)."""
    if not (SITE / "index.html").is_file():
        return []
    skip = ("_static", "_vendor", "_sources", "_images", "lite")  # lite/: JupyterLite, test_lite.py
    return sorted(p.relative_to(SITE).as_posix() for p in SITE.rglob("*.html")
                  if Path(source_page(p.relative_to(SITE).as_posix())).parts[0] not in skip)


def source_notebook(page: str) -> dict | None:
    """The notebook a page was built from, if it was built from one."""
    path = BOOK / Path(source_page(page)).with_suffix(".ipynb")
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


# The widget models a reader moves; a page whose widgets are none of these (tqdm's progress
# bars: an HBox of an HTML and a FloatProgress) has nothing to interact with.
CONTROL_MODELS = {"IntSliderModel", "FloatSliderModel", "SelectionSliderModel",
                  "SelectionRangeSliderModel", "ToggleButtonsModel", "DropdownModel",
                  "CheckboxModel", "RadioButtonsModel", "PlayModel"}


def has_controls(notebook: dict | None) -> bool:
    """Whether the notebook's stored widget state holds a control a reader moves."""
    state = ((notebook or {}).get("metadata", {}).get("widgets", {}).get(WIDGET_STATE, {})
             .get("state", {}))
    return any(m.get("model_name") in CONTROL_MODELS for m in state.values())


def widget_expectations(notebook: dict | None) -> dict | None:
    """What a page must show of its notebook's stored widget state; None if it stores none."""
    state = ((notebook or {}).get("metadata", {}).get("widgets", {}).get(WIDGET_STATE, {})
             .get("state", {}))
    if not state:
        return None
    views = [o["data"][WIDGET_VIEW]["model_id"] for cell in notebook["cells"]
             for o in cell.get("outputs", []) if WIDGET_VIEW in o.get("data", {})]
    views = [v for v in views if v in state]
    readouts, texts, images = [], [], 0
    for model in (state[key] for key in shown_models(views, state)):
        s = model.get("state", {})
        fmt = s.get("readout_format", "")
        # Formats on which Python and the widget's d3-format agree ("d", ".2f"); not "g" or ranges.
        if (model.get("model_name", "") in ("IntSliderModel", "FloatSliderModel") and s.get("readout", True)
                and re.fullmatch(r"d|\.\d+f", fmt)):
            readouts.append(format(s["value"], fmt))
        for out in s.get("outputs", []) if model.get("model_name") == "OutputModel" else []:
            images += any(t in out.get("data", {}) for t in IMAGE_TYPES)
            if out.get("output_type") == "stream":
                text = out["text"] if isinstance(out["text"], str) else "".join(out["text"])
                texts += [line for line in text.splitlines() if line.strip()]
    return {"views": len(views), "readouts": readouts, "texts": texts, "images": images}


def shown_models(views: list[str], state: dict) -> set[str]:
    """The models the displayed views draw: the views and every model they refer to, transitively."""
    seen, stack = set(), list(views)
    while stack:
        key = stack.pop()
        if key in seen or key not in state:
            continue
        seen.add(key)
        stack += re.findall(r"IPY_MODEL_([0-9a-f]+)", json.dumps(state[key].get("state", {})))
    return seen


PAGES = site_pages()
CHAPTERS = [p for p in PAGES if source_notebook(p) is not None]
WIDGET_PAGES = [p for p in CHAPTERS if widget_expectations(source_notebook(p))]
# The two chapter pages the tests photograph: those with widgets first, then those with figures.
SCREENSHOT_PAGES = sorted(
    CHAPTERS, key=lambda p: (widget_expectations(source_notebook(p)) is None,
                             "<img" not in (SITE / p).read_text(encoding="utf-8"), p))[:2]


def is_redirect(page: str) -> bool:
    return "http-equiv=\"refresh\"" in (SITE / page).read_text(encoding="utf-8").lower()



class _Links(HTMLParser):
    """The anchors a page defines and the URLs it points at (links, scripts, styles, images)."""

    URL_ATTRS = {"a": "href", "link": "href", "img": "src", "script": "src", "iframe": "src",
                 "source": "src", "video": "src", "audio": "src", "embed": "src", "object": "data"}

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.urls: list[tuple[str, str]] = []  # (tag, url); a <link> as "link:" + its rel

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for key in ("id", "name") if tag == "a" else ("id",):
            if a.get(key):
                self.ids.add(a[key])
        url = a.get(self.URL_ATTRS.get(tag, ""))
        if url:
            self.urls.append((f"link:{a.get('rel', '')}" if tag == "link" else tag, url))


@functools.cache
def parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def site_required() -> None:
    if not PAGES:
        pytest.skip(NO_SITE)


def repository() -> tuple[str, str, str]:
    """(url, branch, path_to_book) of `repository` in _config.yml: the one place that sets them."""
    import yaml

    repo = yaml.safe_load((BOOK / "_config.yml").read_text(encoding="utf-8"))["repository"]
    return (repo["url"].rstrip("/"), repo.get("branch", "main"),
            repo.get("path_to_book", "").strip("/"))


def lite_url() -> str:
    """npgrad_lite_url in _config.yml: the site's JupyterLite app, or empty (no button)."""
    import yaml

    config = yaml.safe_load((BOOK / "_config.yml").read_text(encoding="utf-8"))
    return config["sphinx"]["config"].get("npgrad_lite_url", "")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        pass  # a browser that closes a page mid-download is no error of the site's


def is_local(url: str) -> bool:
    return urlsplit(url).hostname in ("127.0.0.1", "localhost")


# Every site file some page requested in this session (path relative to the site).
REQUESTED: set[str] = set()
VISITED: set[str] = set()


class Visit:
    """One page in a fresh browser context, with every outside request blocked and recorded."""

    def __init__(self, browser, url: str, viewport: dict = DESKTOP, color_scheme: str = "light",
                 service_workers: str = "block") -> None:
        self.outside, self.failed, self.errors = [], [], []
        self.context = browser.new_context(viewport=viewport, color_scheme=color_scheme,
                                           service_workers=service_workers)
        self.context.route(lambda u: not is_local(u), self._block)
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.page.on("request", lambda r: is_local(r.url) and REQUESTED.add(
            unquote(urlsplit(r.url).path).lstrip("/")))
        self.page.on("requestfailed", self._failed)
        self.page.on("response", lambda r: r.status >= 400 and self.failed.append(f"{r.status} {r.url}"))
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(
            f"console: {m.text} ({m.location.get('url', '')}:{m.location.get('lineNumber', '')})"))
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.page.goto(url, wait_until="load", timeout=4 * TIMEOUT_MS)  # a busy machine

    def _block(self, route) -> None:
        self.outside.append(route.request.url)
        route.abort("blockedbyclient")

    def _failed(self, request) -> None:
        if is_local(request.url):  # the outside ones are counted in self.outside
            self.failed.append(f"{request.failure} {request.url}")

    def close(self) -> None:
        self.context.close()

    def problems(self) -> list[str]:
        """Outside requests, failed requests and JavaScript errors, so far."""
        return ([f"outside request (blocked): {u}" for u in self.outside]
                + [f"failed request: {f}" for f in self.failed]
                + [f"JavaScript error: {e}" for e in self.errors])


# Visible text outside code that still looks like TeX: delimiters MathJax should have consumed.
RAW_TEX = re.compile(r"\\\(|\\\[|\$\$|\\begin\{|\$[^$\s][^$]*\\[A-Za-z]+[^$]*\$")

VISIBLE_TEXT_JS = """() => {
  const skip = 'PRE, CODE, SCRIPT, STYLE, TEXTAREA, MJX-CONTAINER, NOSCRIPT';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const parts = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (el && !el.closest(skip) && el.checkVisibility()) parts.push(n.textContent);
  }
  return parts.join('');
}"""

MATHJAX_JS = """async (timeout) => {
  const mj = window.MathJax;
  if (!mj || !mj.startup || !mj.startup.promise) return 'MathJax did not start';
  const late = new Promise(r => setTimeout(() => r('MathJax did not finish in time'), timeout));
  return await Promise.race([mj.startup.promise.then(() => 'done'), late]);
}"""

IMAGES_JS = """async (timeout) => {
  const images = [...document.images];
  images.forEach(img => { img.loading = 'eager'; });
  const settle = img => img.complete ? null : new Promise(r => { img.onload = img.onerror = r; });
  await Promise.race([Promise.all(images.map(settle)), new Promise(r => setTimeout(r, timeout))]);
  return {count: images.length,
          broken: images.filter(img => !(img.complete && img.naturalWidth > 0))
                        .map(img => img.currentSrc || img.src || img.outerHTML.slice(0, 120))};
}"""

WIDGETS_JS = """() => {
  const areas = [...document.querySelectorAll('.widget-subarea')];
  return {rendered: areas.filter(a => a.childElementCount > 0 && a.getBoundingClientRect().height > 0).length,
          readouts: [...document.querySelectorAll('.widget-subarea .widget-readout')]
                      .map(r => r.textContent.trim()),
          text: areas.map(a => a.innerText).join('\\n'),
          images: areas.reduce((n, a) => n + a.querySelectorAll('img').length, 0)};
}"""


NEXT_FRAMES_JS = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


def take_screenshots(page, name: str) -> None:
    """Viewport shots (a full page of a chapter takes seconds) at the first formula, widget, figure."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"]
    for what, selectors in [("math", ["div.math", ".math"]), ("widget", [".widget-subarea"]),
                            ("figure", [".cell_output img"]), ("code", ["div.highlight pre"])]:
        target = next((page.locator(s).first for s in selectors if page.locator(s).count()), None)
        if target is not None:
            target.evaluate("e => e.scrollIntoView({block: 'center'})")
            page.evaluate(NEXT_FRAMES_JS)
            page.screenshot(path=SHOTS / f"{name}-{width}px-{what}.png")


def math_problems(page) -> list[str]:
    """Wait for MathJax; what it left untypeset, and raw TeX left in the visible text."""
    problems = []
    formulas = page.locator(".math").count()
    if formulas:
        status = page.evaluate(MATHJAX_JS, TIMEOUT_MS)
        untypeset = page.locator(".math:not(:has(mjx-container))").count()
        if status != "done":
            problems.append(status)
        elif untypeset:
            problems.append(f"MathJax left {untypeset} of {formulas} formulas untypeset")
    raw = sorted(set(RAW_TEX.findall(page.evaluate(VISIBLE_TEXT_JS))))
    if raw:
        problems.append(f"raw TeX left in the visible text: {raw}")
    return problems


def wait_for_widgets(page, views: int) -> None:
    """Until `views` widget areas are drawn (or the time is up: the callers report what is shown)."""
    try:
        page.wait_for_function(
            """n => [...document.querySelectorAll('.widget-subarea')]
                      .filter(a => a.childElementCount > 0).length >= n""",
            arg=views, timeout=TIMEOUT_MS)
    except Exception:  # Playwright's TimeoutError
        pass


def settle(page, page_name: str) -> None:
    """Wait until the page is drawn: formulas typeset, widgets drawn, images loaded."""
    if page.locator(".math").count():
        page.evaluate(MATHJAX_JS, TIMEOUT_MS)
    expected = widget_expectations(source_notebook(page_name))
    if expected:
        wait_for_widgets(page, expected["views"])
    page.evaluate(IMAGES_JS, TIMEOUT_MS)


def browser_pages() -> list[str]:
    return [p for p in PAGES if not is_redirect(p)] or [None]


def check_page(browser, server, page_name: str) -> dict:
    """One visit: what is wrong on the page, and axe's critical and serious violations."""
    visit = Visit(browser, server + page_name)
    page, problems, violations = visit.page, [], None
    try:
        problems += math_problems(page)
        expected = widget_expectations(source_notebook(page_name))
        if expected:
            wait_for_widgets(page, expected["views"])
            shown = page.evaluate(WIDGETS_JS)
            if shown["rendered"] < expected["views"]:
                problems.append(f"{shown['rendered']} of {expected['views']} widgets rendered")
            for value in expected["readouts"]:
                if value not in shown["readouts"]:
                    problems.append(f"no slider shows its stored value {value} ({shown['readouts']})")
            for line in expected["texts"]:
                if line not in shown["text"]:
                    problems.append(f"an Output widget's stored text {line!r} is not shown")
            if shown["images"] < expected["images"]:
                problems.append(f"{shown['images']} of {expected['images']} stored widget figures shown")

        images = page.evaluate(IMAGES_JS, TIMEOUT_MS)
        if images["broken"]:
            problems.append(f"{len(images['broken'])} of {images['count']} images did not load: "
                            f"{images['broken']}")
        if page_name in SCREENSHOT_PAGES:
            take_screenshots(page, Path(page_name).stem)
        # Let a late failure or error event arrive before counting; the widgets' accessible
        # names are set on the next animation frame.
        page.wait_for_timeout(300)
        problems += visit.problems()
        if AXE is not None:
            page.add_script_tag(path=str(AXE))
            violations = page.evaluate(AXE_JS)
    finally:
        visit.close()
    VISITED.add(page_name)
    return {"problems": problems, "violations": violations}


def once_per_page(visit_page, browser, server):
    """visit_page(browser, server, page_name), run once per page and kept for the tests that
    read it (a chapter page takes seconds to typeset)."""
    done: dict[str, dict] = {}

    def get(page_name: str) -> dict:
        if page_name not in done:
            done[page_name] = visit_page(browser, server, page_name)
        return done[page_name]
    return get


AXE_JS = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations
    .filter(v => v.impact === 'critical' || v.impact === 'serious')
    .map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.html.slice(0, 160))}));
}"""


"""The built book (_build/html) in headless Chromium, served on 127.0.0.1, with the outside blocked.

For every page: no request leaves localhost, none fails, MathJax typeset every formula, every image
loaded, no JavaScript error; where the page's notebook stores widget state, the widgets show it;
axe-core (pinned in package-lock.json) finds no critical or serious accessibility violation.
On widget pages: Play advances its slider, every control moves, each move changes the figure
(explorers are ipywidgets Stacks of precomputed figures) and logs no error. At 390 px (a phone)
every block that scrolls sideways shows a scroll cue, and every figure's smallest text is at
least 9 CSS px (the size each PNG records, bookplots.style, times its scale on screen); a dark
system preference gives the dark theme; the site ships no file that no page requests. Plus
checks that need no browser: no broken internal link or anchor, no outside script or stylesheet,
launch buttons, repository and issue links built from `repository.url` in _config.yml.

Run after `make book`. Without a built site, Playwright, Chromium or `npm ci`'s axe-core the tests
skip and say why. Screenshots (1280 px and 390 px wide) go to _build/screenshots/.
NPGRAD_BOOK_DIR points them at another book folder (its _build/html is the site);
NPGRAD_CHROMIUM at another browser binary.
"""

from __future__ import annotations

import base64
import functools
import http.server
import io
import json
import os
import re
import threading
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


def site_pages() -> list[str]:
    """Every page of the site, as a path relative to it (theme templates and assets left out)."""
    if not (SITE / "index.html").is_file():
        return []
    skip = ("_static", "_vendor", "_sources", "_images", "lite")  # lite/: JupyterLite, test_lite.py
    return sorted(p.relative_to(SITE).as_posix() for p in SITE.rglob("*.html")
                  if p.relative_to(SITE).parts[0] not in skip)


def source_notebook(page: str) -> dict | None:
    """The notebook a page was built from, if it was built from one."""
    path = BOOK / Path(page).with_suffix(".ipynb")
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


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
# The two chapter pages the tests photograph: those with widgets first, then those with figures.
SCREENSHOT_PAGES = sorted(
    CHAPTERS, key=lambda p: (widget_expectations(source_notebook(p)) is None,
                             "<img" not in (SITE / p).read_text(encoding="utf-8"), p))[:2]


def is_redirect(page: str) -> bool:
    return "http-equiv=\"refresh\"" in (SITE / page).read_text(encoding="utf-8").lower()


# -- checks on the HTML files, no browser needed ------------------------------------------------


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


def test_internal_links_and_anchors_resolve():
    site_required()
    broken = []
    for page in PAGES:
        for tag, url in parse(SITE / page).urls:
            parts = urlsplit(url)
            if parts.scheme or url.startswith("//") or (not parts.path and not parts.fragment):
                continue  # outside links are for the reader to follow; test_no_outside_resources
            target = (SITE / page).parent / unquote(parts.path) if parts.path else SITE / page
            if parts.path.endswith("/"):
                target = target / "index.html"
            target = target.resolve()
            if not target.is_relative_to(SITE) or not target.is_file():
                broken.append(f"{page}: <{tag}> {url} (no such file)")
            elif parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in parse(
                    target).ids:
                broken.append(f"{page}: <{tag}> {url} (no anchor #{parts.fragment})")
    assert not broken, f"{len(broken)} broken internal links:\n" + "\n".join(broken)


# Tags whose URL the browser does not fetch by itself: links for the reader.
NOT_LOADED = {"a", "link:canonical", "link:alternate", "link:author", "link:license", "link:index",
              "link:search", "link:next", "link:prev", "link:help", "link:me"}


def test_no_outside_resources_in_the_html():
    """Scripts, styles, images and frames come from the site; outside <a> links are fine."""
    site_required()
    outside = [f"{page}: <{tag}> {url}" for page in PAGES for tag, url in parse(SITE / page).urls
               if tag not in NOT_LOADED and (urlsplit(url).scheme or url.startswith("//"))
               and not url.startswith("data:")]
    assert not outside, "pages load files from outside the site:\n" + "\n".join(outside)


def repository() -> tuple[str, str, str]:
    """(url, branch, path_to_book) of `repository` in _config.yml: the one place that sets them."""
    import yaml

    repo = yaml.safe_load((BOOK / "_config.yml").read_text(encoding="utf-8"))["repository"]
    return (repo["url"].rstrip("/"), repo.get("branch", "main"),
            repo.get("path_to_book", "").strip("/"))


# Hosts of the links built from the repository URL (launch buttons, repository and issue links).
REPOSITORY_HOSTS = ("github.com", "gitlab.com", "mybinder.org", "colab.research.google.com")


def test_every_repository_link_is_built_from_the_config_url():
    """Each page links the repository and its issues; no link names another repository."""
    site_required()
    url, _, _ = repository()
    owner_name = urlsplit(url).path.strip("/")
    problems = []
    for page in (p for p in PAGES if not is_redirect(p)):
        links = [u for tag, u in parse(SITE / page).urls if tag == "a"]
        if url not in links:
            problems.append(f"{page}: no repository link {url}")
        if not any(u.startswith(f"{url}/issues/new?") for u in links):
            problems.append(f"{page}: no issue link {url}/issues/new?...")
        for u in links:
            parts = urlsplit(u)
            if parts.netloc in REPOSITORY_HOSTS and f"/{owner_name}/" not in f"{parts.path}/":
                problems.append(f"{page}: {u} is not built from {url}")
    assert not problems, "\n".join(problems)


def lite_url() -> str:
    """npgrad_lite_url in _config.yml: the site's JupyterLite app, or empty (no button)."""
    import yaml

    config = yaml.safe_load((BOOK / "_config.yml").read_text(encoding="utf-8"))
    return config["sphinx"]["config"].get("npgrad_lite_url", "")


def test_launch_buttons_open_the_chapters_own_notebook():
    site_required()
    if not CHAPTERS:
        pytest.skip("the site has no chapter built from a notebook yet")
    url, branch, book_path = repository()
    owner_name = urlsplit(url).path.strip("/")
    problems = []
    for page in CHAPTERS:
        notebook = "/".join(filter(None, [book_path, str(Path(page).with_suffix(".ipynb"))]))
        expected = {
            "Binder": f"https://mybinder.org/v2/gh/{owner_name}/{branch}?urlpath=lab/tree/{notebook}",
            "Colab": f"https://colab.research.google.com/github/{owner_name}/blob/{branch}/{notebook}",
        }
        links = [url for tag, url in parse(SITE / page).urls if tag == "a"]
        # The "Run in your browser" button (npgrad_lite_url): this page's notebook, in the
        # site's own JupyterLite, whatever the page's depth.
        lite = [u for u in links if "?path=" in u and not urlsplit(u).scheme]
        if lite_url():
            app = SITE / lite_url()
            target = [((SITE / page).parent / u.split("?")[0]).resolve() for u in lite]
            if target != [app.resolve()] or lite[0].split("?path=")[1] != str(
                    Path(page).with_suffix(".ipynb")):
                problems.append(f"{page}: Run in your browser links {lite}, expected one link "
                                f"to {app.relative_to(SITE)}?path=<this page's notebook>")
            elif not app.is_file():
                problems.append(f"{page}: Run in your browser opens {app}, which is not built")
        elif lite:
            problems.append(f"{page}: a Run in your browser link {lite} with npgrad_lite_url off")
        for name, url in expected.items():
            host = urlsplit(url).netloc
            found = [u for u in links if urlsplit(u).netloc == host]
            if found != [url]:
                problems.append(f"{page}: {name} links {found}, expected [{url}]")
    assert not problems, "\n".join(problems)


# -- the browser ----------------------------------------------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        pass  # a browser that closes a page mid-download is no error of the site's


@pytest.fixture(scope="module")
def server():
    site_required()
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    httpd = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    site_required()
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed: "
                                   "`pip install -r requirements.txt`")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"no Chromium at {CHROMIUM}: `apt-get install chromium` (or set NPGRAD_CHROMIUM)")
    with sync_api.sync_playwright() as playwright:
        # launch() gives the browser a new, empty profile directory and removes it afterwards.
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


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


@pytest.fixture(scope="module")
def page_checks(browser, server):
    """check_page(): the page checks and axe read one visit."""
    return once_per_page(check_page, browser, server)


@pytest.mark.parametrize("page_name", PAGES or [None], ids=lambda p: p or "no-site")
def test_page_in_the_browser(page_name, page_checks):
    if is_redirect(page_name):
        pytest.skip(f"{page_name} only redirects (its target is checked as a page of its own)")
    problems = page_checks(page_name)["problems"]
    assert not problems, f"{page_name}:\n" + "\n".join(problems)


# -- widgets: Play, every control, the figure they choose ----------------------------------------

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


WIDGET_PAGES = [p for p in CHAPTERS if widget_expectations(source_notebook(p))]


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
    if not result["moves"] and not result["play"]:
        problems.append("the page's widgets have no control to move")
    if result["play"] and not all(result["play"]):
        problems.append(f"Play did not advance its slider ({result['play']})")
    unnamed = [n for n in result["names"] if n not in PLAY_NAMES]
    if unnamed:
        problems.append(f"Play widget buttons without an accessible name: {result['names']}")
    assert not problems, f"{page_name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("page_name", WIDGET_PAGES or [None], ids=lambda p: p or "no-widget-page")
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


# -- accessibility -------------------------------------------------------------------------------

AXE_JS = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations
    .filter(v => v.impact === 'critical' || v.impact === 'serious')
    .map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.html.slice(0, 160))}));
}"""


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
        take_screenshots(visit.page, Path(page_name).stem)
    finally:
        visit.close()
    without = [f"{b['what']}: {b['text']!r}" for b in wide if not (b["cue"] and b["focusable"])]
    assert not without, (f"{page_name} at {PHONE['width']} px: {len(without)} of {len(wide)} blocks "
                         "scroll sideways with no cue or no tab stop:\n" + "\n".join(without))
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


def test_the_site_ships_nothing_no_page_requests():
    """Run after the page tests of this file: what they requested against what the site holds."""
    site_required()
    missing = [p for p in browser_pages() if p and p not in VISITED]
    if missing:
        pytest.skip(f"run with test_page_in_the_browser (which records what pages request); "
                    f"{len(missing)} pages not visited in this session")
    from fnmatch import fnmatch

    shipped = [p.relative_to(SITE).as_posix() for folder in ("_vendor", "_static")
               for p in (SITE / folder).rglob("*") if p.is_file()]
    unused = [p for p in shipped if p not in REQUESTED and not any(fnmatch(p, g) for g in ON_DEMAND)]
    maps = [p.relative_to(SITE).as_posix() for p in SITE.rglob("*.map")]
    assert not maps, f"source maps shipped: {maps}"
    size = sum((SITE / p).stat().st_size for p in unused)
    assert not unused, (f"{len(unused)} files ({size / 1e6:.1f} MB) that no page requested: "
                        + ", ".join(sorted(unused)[:40]))

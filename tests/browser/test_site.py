"""The built book (_build/html) in headless Chromium, served on 127.0.0.1, with the outside blocked.

For every page: no request leaves localhost, none fails, MathJax typeset every formula, every image
loaded, no JavaScript error; where the page's notebook stores widget state, the widgets show it.
Plus checks that need no browser: no broken internal link or anchor, no outside script or
stylesheet, launch buttons that open the page's own notebook.

Run after `make book`. Without a built site, Playwright or Chromium the tests skip and say why.
NPGRAD_BOOK_DIR points them at another book folder (its _build/html is the site);
NPGRAD_CHROMIUM at another browser binary.
"""

from __future__ import annotations

import functools
import http.server
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

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
IMAGE_TYPES = ("image/png", "image/jpeg", "image/svg+xml", "image/gif")


def site_pages() -> list[str]:
    """Every page of the site, as a path relative to it (theme templates and assets left out)."""
    if not (SITE / "index.html").is_file():
        return []
    skip = ("_static", "_vendor", "_sources", "_images")
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


def test_launch_buttons_open_the_chapters_own_notebook():
    site_required()
    if not CHAPTERS:
        pytest.skip("the site has no chapter built from a notebook yet")
    import yaml

    config = yaml.safe_load((BOOK / "_config.yml").read_text(encoding="utf-8"))
    repo = config["repository"]
    owner_name = urlsplit(repo["url"]).path.strip("/")
    branch, book_path = repo.get("branch", "main"), repo.get("path_to_book", "").strip("/")
    problems = []
    for page in CHAPTERS:
        notebook = "/".join(filter(None, [book_path, str(Path(page).with_suffix(".ipynb"))]))
        expected = {
            "Binder": f"https://mybinder.org/v2/gh/{owner_name}/{branch}?urlpath=lab/tree/{notebook}",
            "Colab": f"https://colab.research.google.com/github/{owner_name}/blob/{branch}/{notebook}",
        }
        links = [url for tag, url in parse(SITE / page).urls if tag == "a"]
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


class Visit:
    """One page in a fresh browser context, with every outside request blocked and recorded."""

    def __init__(self, browser, url: str) -> None:
        self.outside, self.failed, self.errors = [], [], []
        self.context = browser.new_context(viewport={"width": 1280, "height": 900},
                                           service_workers="block")
        self.context.route(lambda u: not is_local(u), self._block)
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.page.on("requestfailed", self._failed)
        self.page.on("response", lambda r: r.status >= 400 and self.failed.append(f"{r.status} {r.url}"))
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(
            f"console: {m.text} ({m.location.get('url', '')}:{m.location.get('lineNumber', '')})"))
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.page.goto(url, wait_until="load")

    def _block(self, route) -> None:
        self.outside.append(route.request.url)
        route.abort("blockedbyclient")

    def _failed(self, request) -> None:
        if is_local(request.url):  # the outside ones are counted in self.outside
            self.failed.append(f"{request.failure} {request.url}")

    def close(self) -> None:
        self.context.close()


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


def take_screenshots(page, name: str) -> None:
    """Viewport shots (a full page of a chapter takes seconds) at the first formula, widget, figure."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for what, selectors in [("math", ["div.math", ".math"]), ("widget", [".widget-subarea"]),
                            ("figure", [".cell_output img"])]:
        target = next((page.locator(s).first for s in selectors if page.locator(s).count()), None)
        if target is not None:
            target.evaluate("e => e.scrollIntoView({block: 'center'})")
            page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            page.screenshot(path=SHOTS / f"{name}-{what}.png")


@pytest.mark.parametrize("page_name", PAGES or [None], ids=lambda p: p or "no-site")
def test_page_in_the_browser(page_name, browser, server):
    if is_redirect(page_name):
        pytest.skip(f"{page_name} only redirects (its target is checked as a page of its own)")
    visit = Visit(browser, server + page_name)
    page, problems = visit.page, []
    try:
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

        expected = widget_expectations(source_notebook(page_name))
        if expected:
            try:
                page.wait_for_function(
                    """n => [...document.querySelectorAll('.widget-subarea')]
                              .filter(a => a.childElementCount > 0).length >= n""",
                    arg=expected["views"], timeout=TIMEOUT_MS)
            except Exception:  # Playwright's TimeoutError: reported below with what did render
                pass
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
        page.wait_for_timeout(100)  # let a late failure or error event arrive before counting
    finally:
        visit.close()
    problems += [f"outside request (blocked): {u}" for u in visit.outside]
    problems += [f"failed request: {f}" for f in visit.failed]
    problems += [f"JavaScript error: {e}" for e in visit.errors]
    assert not problems, f"{page_name}:\n" + "\n".join(problems)

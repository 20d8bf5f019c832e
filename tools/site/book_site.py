"""The book's own Sphinx extension (loaded through `sphinx.local_extensions` in _config.yml).

- Font Awesome (the theme's `fontawesome.js`) nests its SVG icons inside each
  `<i class="fa ...">` instead of replacing the element: ipywidgets' Play widget keeps a handle
  on its `<i>` icons, and with the element replaced its `updatePlaying` throws
  `TypeError: Cannot set properties of undefined (setting 'className')` on every change.
- A "Run in your browser" launch button (JupyterLite), page-relative, when `npgrad_lite_url`
  is set.
- The site's own script and stylesheet (`tools/site/static/book-site.js` and `.css`): a scroll
  cue (and a tab stop) on code, math, tables and outputs wider than the screen; link contrast
  inside exercise boxes.
- Figures that stay legible on a phone: each notebook PNG that records the size of its smallest
  text (bookplots.style) gets a `min-width` at which that text is MIN_TEXT_PX CSS px, inside a
  box that scrolls sideways when the column is narrower, instead of shrinking to the column.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from PIL import Image
from sphinx.application import Sphinx

STATIC = Path(__file__).resolve().parent / "static"

# Read by fontawesome.js when it runs. It is a deferred script, so this inline script (run while
# the page is parsed) always comes first.
FONTAWESOME_CONFIG = "window.FontAwesomeConfig = {autoReplaceSvg: 'nest'};"

# As in lib/bookplots/style.py (tests/book/test_bookplots.py checks that they agree).
TEXT_KEY = "bookplots:smallest-text-px"
MIN_TEXT_PX = 9
IMG = re.compile(r'<img ([^>]*?)src="([^"]*?_images/([^"/]+\.png))"([^>]*?)\s*/?>')


def legible_width(image: Image.Image) -> int | None:
    """The width in CSS px at which the PNG's smallest text is MIN_TEXT_PX tall (None: no record)."""
    text_px = image.text.get(TEXT_KEY, "none") if hasattr(image, "text") else "none"
    return None if text_px == "none" else math.ceil(image.width * MIN_TEXT_PX / float(text_px))


def legible_figures(html: str, image_file) -> str:
    """Each <img> of a recorded PNG with its min-width, in a box that scrolls sideways."""
    def rewrite(match: re.Match) -> str:
        with Image.open(image_file(match[3])) as image:
            width = legible_width(image)
        if width is None:
            return match[0]
        return (f'<div class="npg-figure"><img {match[1]}src="{match[2]}"{match[4]} '
                f'style="min-width: {width}px" /></div>')
    return IMG.sub(rewrite, html)


def add_legible_figures(app: Sphinx, pagename: str, templatename: str, context: dict,
                        doctree) -> None:
    sources = {Path(dest).name: Path(app.srcdir) / src for src, dest in app.builder.images.items()}
    if "body" in context and sources:
        context["body"] = legible_figures(context["body"], sources.__getitem__)


def add_static_path(app: Sphinx) -> None:
    app.config.html_static_path.append(str(STATIC))


def lite_link(pagename: str, lite_url: str, pathto) -> str:
    """The page-relative link that opens the page's notebook in the JupyterLite site."""
    return f"{pathto(lite_url, 1)}?path={pagename}.ipynb"


def add_lite_button(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """A "Run in your browser" launch button on notebook pages, when `npgrad_lite_url` is set.

    sphinx-book-theme's own `jupyterlite_url` is used as written, wrong from pages at another
    depth (chapters/, assignments/student/); this one is relative to each page.
    """
    lite_url = app.config.npgrad_lite_url
    groups = [b for b in context.get("header_buttons", []) if b.get("label") == "launch-buttons"]
    if not lite_url or not groups:
        return
    groups[0]["buttons"].insert(0, {
        "type": "link", "text": "Run in your browser", "icon": "fas fa-play",
        "tooltip": "Run this notebook in your browser (JupyterLite: no install, no server)",
        "url": lite_link(pagename, lite_url, context["pathto"])})


def setup(app: Sphinx) -> dict:
    # The JupyterLite app inside the built site (tools/lite/build_lite.py), e.g. "lite/lab/index.html";
    # empty: no "Run in your browser" button (the default while the lite build is optional).
    app.add_config_value("npgrad_lite_url", "", "html")
    app.connect("html-page-context", add_lite_button, priority=600)
    app.connect("builder-inited", add_static_path)
    app.connect("html-page-context", add_legible_figures)
    app.add_js_file(None, body=FONTAWESOME_CONFIG, priority=100)
    app.add_css_file("book-site.css", priority=900)
    app.add_js_file("book-site.js", loading_method="defer", priority=900)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}

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
- A language switch on every page (`npgrad_language_links`): a link to the same page in the
  other edition, and `<link rel="alternate" hreflang>` in the head. The site's own strings
  (SITE_STRINGS) follow the build's `language`; on a translated edition's notebook pages a short
  note says that the notebook the reader runs is the English one
  (`npgrad_notebook_language_note`, tools/site/build_zh.py).
- Exercise titles translatable (`{exercise} Squared error`): sphinx-exercise gives the title
  node no source, so Sphinx's gettext neither extracts nor translates it; ExerciseTitleSource
  gives it one, before the Locale transform.
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
from sphinx.transforms import SphinxTransform

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


# The site's own strings in the other editions' languages (Sphinx's `language`).
SITE_STRINGS = {
    "zh_CN": {
        "Run in your browser": "在浏览器中运行",
        "Run this notebook in your browser (JupyterLite: no install, no server)":
            "在浏览器中运行本页的笔记本（JupyterLite：无需安装，无需服务器）",
        "Language": "语言",
        "notebook note": "本页的代码和输出与英文版完全相同。点击“在浏览器中运行”（或 Binder、"
                         "Colab）打开的是同一个笔记本，其中的说明文字为英文。",
    },
}


def _(app: Sphinx, text: str) -> str:
    return SITE_STRINGS.get(app.config.language, {}).get(text, text)


def language_links(pagename: str, links: list[dict], pathto) -> list[dict]:
    """Each other edition's copy of this page: lang, label, title and its page-relative url."""
    return [{**link, "url": pathto(f"{link['root']}{pagename}.html", 1)} for link in links]


def add_language_switch(app: Sphinx, pagename: str, templatename: str, context: dict,
                        doctree) -> None:
    """A link to this page in each other edition: in the head (`<link rel="alternate">`, on
    every page) and above the page's text (pages with a body; book-site.js draws the same links
    from the head on the others: the search page, the index)."""
    links = language_links(pagename, app.config.npgrad_language_links, context["pathto"])
    if not links:
        return
    context["metatags"] = context.get("metatags", "") + "".join(
        f'\n<link rel="alternate" hreflang="{link["lang"]}" href="{link["url"]}" '
        f'title="{link["label"]}" />' for link in links)
    if "body" not in context:
        return
    anchors = " ".join(
        f'<a href="{link["url"]}" hreflang="{link["lang"]}" lang="{link["lang"]}" '
        f'title="{link["title"]}">{link["label"]}</a>' for link in links)
    switch = f'<nav class="npg-language" aria-label="{_(app, "Language")}">{anchors}</nav>\n'
    note = ""
    if app.config.npgrad_notebook_language_note and lite_group(context):
        note = f'<p class="npg-notebook-note">{_(app, "notebook note")}</p>\n'
    context["body"] = switch + note + context["body"]


def lite_group(context: dict) -> dict | None:
    """The page's launch-buttons group (notebook pages only), if it has one."""
    groups = [b for b in context.get("header_buttons", []) if b.get("label") == "launch-buttons"]
    return groups[0] if groups else None


class ExerciseTitleSource(SphinxTransform):
    """Each exercise's own title a message of the catalogues, translated with the rest.

    Sphinx extracts (at write time, from the resolved doctree) and translates (at read time,
    in its Locale transform, priority 20) only text nodes that have a source. sphinx-exercise's
    title has none, and its post-transform moves the title's children into a new title node.
    So the children are wrapped in one inline node that has a source and is marked
    translatable: it is found by the Locale transform, and moved along, still findable, by
    sphinx-exercise.
    """

    default_priority = 15

    def apply(self, **kwargs) -> None:
        from docutils import nodes
        from sphinx_exercise.nodes import exercise_subtitle

        for subtitle in self.document.findall(exercise_subtitle):
            if any(isinstance(c, nodes.inline) and c.get("translatable") for c in subtitle.children):
                continue
            text = nodes.inline(subtitle.astext(), "", *subtitle.children, translatable=True)
            text.source = subtitle.parent.source or self.document["source"]
            text.line = subtitle.parent.line
            subtitle.children = []
            subtitle += text


class TranslatedExerciseRegistry(SphinxTransform):
    """After the Locale transform: sphinx-exercise's registry keeps a copy of each exercise node
    made before translation, from which it titles the exercise's solution ("Solution to
    Exercise 2 (Squared error)"); the translated node replaces that copy."""

    default_priority = 25

    def apply(self, **kwargs) -> None:
        registry = getattr(self.env, "sphinx_exercise_registry", {})
        for node in self.document.findall(lambda n: n.get("type") == "exercise"
                                          if hasattr(n, "get") else False):
            entry = registry.get(node.get("label"))
            if entry is not None and entry.get("docname") == self.env.docname:
                entry["node"] = node.deepcopy()


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
    lite_url, group = app.config.npgrad_lite_url, lite_group(context)
    if not lite_url or not group:
        return
    group["buttons"].insert(0, {
        "type": "link", "text": _(app, "Run in your browser"), "icon": "fas fa-play",
        "tooltip": _(app, "Run this notebook in your browser (JupyterLite: no install, "
                          "no server)"),
        "url": lite_link(pagename, lite_url, context["pathto"])})


def setup(app: Sphinx) -> dict:
    # The JupyterLite app inside the built site (tools/lite/build_lite.py), e.g. "lite/lab/index.html";
    # empty: no "Run in your browser" button (the default while the lite build is optional).
    app.add_config_value("npgrad_lite_url", "", "html")
    # The other editions of the book: [{"lang", "label", "title", "root"}], root the folder of
    # that edition's site relative to this one's ("zh/", "../").
    app.add_config_value("npgrad_language_links", [], "html")
    # A translated edition: say on notebook pages that the notebook a reader runs is English.
    app.add_config_value("npgrad_notebook_language_note", False, "html")
    app.add_transform(ExerciseTitleSource)
    app.add_transform(TranslatedExerciseRegistry)
    app.connect("html-page-context", add_lite_button, priority=600)
    app.connect("html-page-context", add_language_switch, priority=700)
    app.connect("builder-inited", add_static_path)
    app.connect("html-page-context", add_legible_figures)
    app.add_js_file(None, body=FONTAWESOME_CONFIG, priority=100)
    app.add_css_file("book-site.css", priority=900)
    app.add_js_file("book-site.js", loading_method="defer", priority=900)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}

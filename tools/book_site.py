"""The book's own Sphinx extension (loaded through `sphinx.local_extensions` in _config.yml).

- Font Awesome (the theme's `fontawesome.js`) nests its SVG icons inside each
  `<i class="fa ...">` instead of replacing the element: ipywidgets' Play widget keeps a handle
  on its `<i>` icons, and with the element replaced its `updatePlaying` throws
  `TypeError: Cannot set properties of undefined (setting 'className')` on every change.
- The site's own script and stylesheet (`tools/site_static/book-site.js` and `.css`): a scroll
  cue (and a tab stop) on code, math, tables and outputs wider than the screen; link contrast
  inside exercise boxes.
"""

from __future__ import annotations

from pathlib import Path

from sphinx.application import Sphinx

STATIC = Path(__file__).resolve().parent / "site_static"

# Read by fontawesome.js when it runs. It is a deferred script, so this inline script (run while
# the page is parsed) always comes first.
FONTAWESOME_CONFIG = "window.FontAwesomeConfig = {autoReplaceSvg: 'nest'};"


def add_static_path(app: Sphinx) -> None:
    app.config.html_static_path.append(str(STATIC))


def setup(app: Sphinx) -> dict:
    app.connect("builder-inited", add_static_path)
    app.add_js_file(None, body=FONTAWESOME_CONFIG, priority=100)
    app.add_css_file("book-site.css", priority=900)
    app.add_js_file("book-site.js", loading_method="defer", priority=900)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}

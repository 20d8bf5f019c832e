"""The book's matplotlib style, and a record in every PNG of the size of its smallest
text.

The book shows a figure at its own size, or smaller when the text column is narrower:
688 px wide on a desktop, about 354 px on a phone 390 px wide. Text of 11 pt in a figure
6 inches wide (the book's usual single panel) then stays at least 9 CSS px tall on a
phone.

Every PNG matplotlib writes once bookplots is imported (a notebook's inline figures, the
explorers' precomputed ones) carries a tEXt chunk `bookplots:smallest-text-px`: the font
size of its smallest drawn text in the PNG's own pixels (points x dpi / 72), or "none".
The site (tools/site/book_site.py) uses it to keep a wide figure at a legible scale,
scrolling sideways instead of shrinking; tests/browser/test_site_pages.py checks it on a
phone.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import matplotlib as mpl
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

STYLE = {"font.size": 11, "figure.dpi": 100, "savefig.dpi": 100}
TEXT_KEY = "bookplots:smallest-text-px"
MIN_TEXT_PX = 9  # the smallest font size a reader should get, in CSS px, on any screen


def _drawn_texts(artist: Artist) -> Iterator[Text]:
    """The non-empty texts matplotlib draws for this artist and its children."""
    if not artist.get_visible():
        return
    if isinstance(artist, Text) and artist.get_text().strip():
        yield artist
    for child in artist.get_children():
        if isinstance(artist, Axes) and isinstance(child, Axis) and not artist.axison:
            continue  # ax.axis("off") hides the axes' ticks and labels
        yield from _drawn_texts(child)


def smallest_text_pt(fig: Figure) -> float | None:
    """The font size of the figure's smallest drawn text, in points (None: it has no
    text)."""
    return min((t.get_fontsize() for t in _drawn_texts(fig)), default=None)


def text_record(fig: Figure) -> str:
    """The value of TEXT_KEY for the figure at its current dpi: the smallest text in
    pixels."""
    pt = smallest_text_pt(fig)
    return "none" if pt is None else f"{pt * fig.dpi / 72:.2f}"


def legible_width(image) -> int | None:
    """The width (CSS px) at which a recorded PNG's smallest text is MIN_TEXT_PX (None:
    no text).

    `image` is a PIL image; tools/site/book_site.py does the same for the book's pages.
    """
    text_px = getattr(image, "text", {}).get(TEXT_KEY, "none")
    return (
        None
        if text_px == "none"
        else math.ceil(image.width * MIN_TEXT_PX / float(text_px))
    )


_print_png = FigureCanvasAgg.print_png


def _print_png_with_record(
    self, filename_or_obj, *, metadata=None, pil_kwargs=None, **_
):
    # print_figure has set the figure's dpi to the saving dpi by now; it passes other
    # options (orientation, ...) that matplotlib's own print_png is spared, as a third
    # party's is not
    metadata = {TEXT_KEY: text_record(self.figure), **(metadata or {})}
    return _print_png(self, filename_or_obj, metadata=metadata, pil_kwargs=pil_kwargs)


def apply() -> None:
    """Set the book's style and record the smallest text in every PNG (bookplots does
    it)."""
    mpl.rcParams.update(STYLE)
    FigureCanvasAgg.print_png = _print_png_with_record

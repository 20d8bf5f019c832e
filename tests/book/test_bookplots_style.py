"""bookplots.style: every PNG records the size of its smallest text; the site keeps it legible."""

from __future__ import annotations

import base64
import io
import math
import re
from pathlib import Path

import matplotlib.pyplot as plt
import pytest
from bookplots import style
from bookplots.explorer import image_html
from IPython.core.pylabtools import print_figure
from PIL import Image

from tools.site import book_site

ROOT = Path(__file__).resolve().parents[2]


def teardown_function():
    plt.close("all")


def png(fig, **kwargs) -> Image.Image:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", **kwargs)
    return Image.open(buffer)


def test_the_record_is_the_smallest_drawn_text_in_the_pngs_pixels():
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot([1, 2], label="a line")
    ax.legend(fontsize=8)
    assert plt.rcParams["font.size"] == 11  # importing bookplots set the book's style
    assert png(fig).text[style.TEXT_KEY] == f"{8 * 100 / 72:.2f}"
    assert png(fig, dpi=200, bbox_inches="tight").text[style.TEXT_KEY] == f"{8 * 200 / 72:.2f}"
    # the inline backend's path (IPython's print_figure) records it too
    inline = Image.open(io.BytesIO(print_figure(fig, "png", bbox_inches="tight")))
    assert inline.text[style.TEXT_KEY] == f"{8 * 100 / 72:.2f}"


def test_hidden_and_empty_texts_do_not_count():
    fig, ax = plt.subplots()
    ax.imshow([[0, 1]])
    ax.set_xticks([0], ["tiny"], fontsize=4)
    ax.axis("off")  # its tick labels are not drawn
    ax.text(0, 0, "  ", fontsize=3)
    ax.text(0, 0, "hidden", fontsize=3, visible=False)
    assert png(fig).text[style.TEXT_KEY] == "none"
    ax.set_title("a title", fontsize=12)
    assert png(fig).text[style.TEXT_KEY] == f"{12 * 100 / 72:.2f}"


def test_legible_width_puts_the_smallest_text_at_9_css_px():
    fig, ax = plt.subplots(figsize=(8, 3))
    ax.set_title("title", fontsize=9)  # 12.5 px at 100 dpi
    image = png(fig)
    assert image.width == 800
    assert style.legible_width(image) == 576  # 800 * 9 / 12.5
    assert book_site.legible_width(image) == 576
    assert (book_site.TEXT_KEY, book_site.MIN_TEXT_PX) == (style.TEXT_KEY, style.MIN_TEXT_PX)


def test_the_site_gives_recorded_figures_a_min_width_in_a_scrolling_box(tmp_path):
    fig, ax = plt.subplots(figsize=(8, 3))
    ax.set_title("title", fontsize=9)
    fig.savefig(tmp_path / "a.png")
    plain = plt.figure(figsize=(8, 3))
    plain.savefig(tmp_path / "b.png", metadata={style.TEXT_KEY: "none"})
    html = ('<div class="cell_output"><img alt="A" src="../_images/a.png" /></div>'
            '<img alt="B" src="../_images/b.png" />')
    out = book_site.legible_figures(html, lambda name: tmp_path / name)
    assert ('<div class="npg-figure"><img alt="A" src="../_images/a.png" '
            'style="min-width: 576px" /></div>') in out
    assert '<img alt="B" src="../_images/b.png" />' in out


def test_explorer_figures_keep_their_legible_width():
    fig, ax = plt.subplots(figsize=(8, 3))
    ax.set_title("title", fontsize=9)
    value = image_html(fig, "a title").value
    assert 'class="npg-figure"' in value and "overflow-x: auto" in value
    image = Image.open(io.BytesIO(base64.b64decode(re.search(r"base64,([^\"]+)", value)[1])))
    assert image.text[style.TEXT_KEY] == "12.50"  # bbox_inches="tight": narrower than 800 px
    assert re.search(r"min-width: (\d+)px", value)[1] == str(math.ceil(image.width * 9 / 12.5))


@pytest.mark.parametrize("size", [8, 10])
def test_text_px_scales_with_the_font(size):
    fig = plt.figure()
    fig.text(0.5, 0.5, "x", fontsize=size)
    assert float(png(fig).text[style.TEXT_KEY]) == pytest.approx(size * 100 / 72, abs=0.01)

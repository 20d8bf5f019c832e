"""The Chinese edition inside the built site (tools/site/build_zh.py, _build/html/zh/): every page
of the English book, a language switch on each page to the same page in the other language, its
own strings, Chinese search. No browser needed; the page checks in the browser (math, errors,
outside requests, axe, phone layout) run on its pages with the English ones (bookpages.py).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.browser.bookpages import (
    CHAPTERS,
    PAGES,
    SITE,
    TRANSLATIONS,
    is_redirect,
    parse,
    source_page,
)

ZH = "zh"
ENGLISH = [p for p in PAGES if source_page(p) == p and not is_redirect(p)]
CHINESE = [p for p in PAGES if p.startswith(f"{ZH}/") and not is_redirect(p)]
# Pages whose body Sphinx writes from its own templates: book-site.js draws their switch.
NO_BODY = ("genindex.html", "search.html")


def built() -> None:
    if not ENGLISH:
        pytest.skip("no built site: run `make book` first")
    if not CHINESE:
        pytest.skip("no Chinese edition in the site: run `python tools/site/build_zh.py`")


def test_the_chinese_edition_has_every_page_of_the_english_one():
    built()
    assert ZH in TRANSLATIONS
    english = {p for p in PAGES if source_page(p) == p}
    missing = sorted(english - {source_page(p) for p in PAGES if p.startswith(f"{ZH}/")})
    assert not missing, f"pages with no Chinese counterpart: {missing}"


def switch(page: str) -> list[tuple[str, str, str]]:
    """(href, hreflang, text) of the page's language switch."""
    html = (SITE / page).read_text(encoding="utf-8")
    nav = re.search(r'<nav class="npg-language"[^>]*>(.*?)</nav>', html, re.S)
    return re.findall(r'<a href="([^"]+)" hreflang="([^"]+)"[^>]*>([^<]+)</a>', nav[1]) if nav \
        else []


def test_every_page_links_to_itself_in_the_other_language():
    built()
    problems = []
    for page in ENGLISH + CHINESE:
        other, lang = (f"{ZH}/{page}", "zh-CN") if page in ENGLISH else (source_page(page), "en")
        target = [(SITE / other).resolve()]
        alternate = [u for tag, u in parse(SITE / page).urls if tag == "link:alternate"]
        if [((SITE / page).parent / u).resolve() for u in alternate] != target:
            problems.append(f"{page}: <link rel=alternate> {alternate}, expected {other}")
        if source_page(page) in NO_BODY:
            continue
        links = switch(page)
        if ([h for _, h, _ in links] != [lang]
                or [((SITE / page).parent / href).resolve() for href, _, _ in links] != target):
            problems.append(f"{page}: language switch {links}, expected one link to {other}")
    assert not problems, "\n".join(problems)


def test_chinese_pages_are_in_chinese_with_their_own_strings():
    built()
    for page in CHINESE:
        html = (SITE / page).read_text(encoding="utf-8")
        assert '<html lang="zh-CN"' in html, page
        assert "搜索本书" in html, f"{page}: the search box is not in Chinese"
    english = next(c for c in CHAPTERS if source_page(c) == c)
    chapter = f"{ZH}/{english}"
    html = (SITE / chapter).read_text(encoding="utf-8")
    assert "在浏览器中运行" in html and "Run in your browser" not in html, chapter
    assert "其中的说明文字为英文" in html, f"{chapter}: no note that the notebook is English"
    assert "npg-notebook-note" not in (SITE / english).read_text(encoding="utf-8")
    toc = re.findall(r'caption-text">([^<]+)<', html)
    assert toc and all(re.search(r"[\u4e00-\u9fff]", c) for c in toc), f"toc captions: {toc}"


def test_chinese_search_splits_words():
    """jieba splits the index's Chinese into words (without it the index has none); the
    glossary's terms stay whole (its user dictionary, tools/site/build_zh.py)."""
    built()
    index = (SITE / ZH / "searchindex.js").read_text(encoding="utf-8")
    terms = json.loads(index[index.index("(") + 1:index.rindex(")")])["terms"]
    missing = [w for w in ("反向传播", "计算图", "梯度", "学习率") if w not in terms]
    assert not missing, f"not in the Chinese search index: {missing}"


def test_fonts_are_the_readers_own():
    """No web font for the Chinese text: the pages name no font file but the theme's icons."""
    built()
    css = "".join(p.read_text(encoding="utf-8") for p in (SITE / ZH / "_static").rglob("*.css"))
    fonts = set(re.findall(r"url\([\"']?([^)\"']+\.(?:woff2?|ttf|otf))", css))
    assert all(re.search(r"fontawesome|fa-|KaTeX|mathjax", f, re.I) for f in fonts), fonts
    assert Path(SITE / ZH / "_vendor" / "mathjax" / "tex-mml-chtml.js").is_file()

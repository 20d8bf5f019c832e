"""Checks of the built site's HTML files, no browser needed: no broken internal link or anchor,
no outside script or stylesheet, launch buttons, repository and issue links built from
`repository.url` in _config.yml. Run after `make book`.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bs4 import BeautifulSoup

from tests.browser.bookpages import (
    CHAPTERS,
    PAGES,
    SITE,
    is_redirect,
    lite_url,
    parse,
    repository,
    site_required,
    source_page,
)


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


def test_launch_buttons_open_the_chapters_own_notebook():
    site_required()
    assert CHAPTERS, "the site has no chapter built from a notebook"
    url, branch, book_path = repository()
    owner_name = urlsplit(url).path.strip("/")
    problems = []
    for page in CHAPTERS:
        source = Path(source_page(page)).with_suffix(".ipynb")  # a translation's too
        notebook = "/".join(filter(None, [book_path, str(source)]))
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
            if target != [app.resolve()] or lite[0].split("?path=")[1] != str(source):
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


def stream_boxes(html: str):
    """For each cell's output area on a page: the (stream, text) of its boxes in order."""
    soup = BeautifulSoup(html, "html.parser")
    for area in soup.select("div.cell_output"):
        boxes = []
        for box in area.find_all("div", class_="output", recursive=False):
            classes = box.get("class", [])
            name = "stderr" if "stderr" in classes else "stdout" if "stream" in classes else ""
            boxes.append((name, box.get_text()))
        yield boxes


def test_the_site_shows_each_stream_in_one_box_never_empty():
    """ipykernel may flush one print in pieces; _config.yml's `nb_merge_streams` joins them
    at build time, so no cell shows its printed output in several boxes, nor an empty one."""
    site_required()
    found = []
    for page_name in CHAPTERS:
        found += [f"{page_name}: {problem}" for problem in split_or_empty_boxes(SITE / page_name)]
    assert not found, "\n".join(found)


def split_or_empty_boxes(page: Path) -> list[str]:
    found = []
    for k, boxes in enumerate(stream_boxes(page.read_text(encoding="utf-8"))):
        names = [name for name, _ in boxes]
        if any(a == b != "" for a, b in itertools.pairwise(names)):
            found.append(f"output area {k}: {names.count('stdout')} stdout boxes in a row: "
                         + " | ".join(text.strip()[:30] for _, text in boxes))
        found += [f"output area {k}: an empty {name} box" for name, text in boxes
                  if name and not text.strip()]
    return found

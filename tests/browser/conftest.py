"""Fixtures of the browser tests: the built site served on 127.0.0.1, one headless Chromium for
the whole session, and each page's checks run once for the tests that read them.

Without a built site, Playwright or Chromium the tests skip and say why (`make test` names the
fix in its summary).
"""

from __future__ import annotations

import functools
import os
import threading

import pytest

from tests.browser.bookpages import (
    CHROMIUM,
    CHROMIUM_ARGS,
    SITE,
    _QuietHandler,
    _Server,
    check_page,
    once_per_page,
    site_required,
)


@pytest.fixture(scope="session")
def server():
    site_required()
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    httpd = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="session")
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


@pytest.fixture(scope="session")
def page_checks(browser, server):
    """check_page(): the page checks and axe read one visit."""
    return once_per_page(check_page, browser, server)

"""How the book's JupyterLite kernel starts (tools/lite/build_lite.py, book-pyodide.js,
tools/lite/kernel_start).

The page a chapter's launch button opens starts the notebook's kernel itself, before the
notebook is drawn, and the notebook then uses that kernel (one kernel, working in the
notebook's folder); for an address naming no notebook the kernel is shut down again, with
no error on the page; another spelling of a notebook's path is left to the notebook.
In the kernel of an open chapter: the packages the kernel needs came from Pyodide's lock at
its start (none through piplite); the working folder ('') is last on sys.path, and a module
the reader writes into the notebook's folder still imports; the modules of the kernel and of
the chapters run from the bytecode shipped beside them (site-packages and the standard
library), their source still there for tracebacks. No time is asserted here:
`python -m benchmarks.lite_start` measures the start.
"""

from __future__ import annotations

import json

import pytest

from tests.browser.bookpages import is_local
from tests.browser.test_lite import (  # noqa: F401 (lab: the fixture)
    CLOSE_JS,
    KERNEL_MS,
    LITE,
    PROBE_JS,
    lab,
)
from tools.lite import build_lite, bytecode

CHAPTER = "chapters/01_backprop.ipynb"
needs_site = pytest.mark.skipif(not (LITE / "jupyter-lite.json").is_file(),
                                reason=f"no JupyterLite site at {LITE}: run `make book`")

OPEN_JS = """async (path) => {
  const panel = await window.jupyterapp.commands.execute(
    'docmanager:open', {path, factory: 'Notebook'});
  await panel.context.ready;
  await panel.sessionContext.ready;
  await panel.sessionContext.session.kernel.info;
}"""

# The notebook the Notebook app opened: its kernel once ready, and every running session.
OPENED_JS = """async () => {
  const app = window.jupyterapp;
  await app.restored;
  for (;;) {
    const panel = app.shell.currentWidget;
    if (panel && panel.sessionContext) {
      await panel.sessionContext.ready;
      const kernel = panel.sessionContext.session.kernel;
      await kernel.info;
      const sessions = Array.from(app.serviceManager.sessions.running());
      return {kernel: kernel.id, sessions: sessions.map(s => [s.path, s.kernel.id])};
    }
    await new Promise(resolve => setTimeout(resolve, 20));
  }
}"""

RUNNING_JS = """async () => {
  const sessions = window.jupyterapp.serviceManager.sessions;
  await sessions.refreshRunning();
  return Array.from(sessions.running()).length;
}"""


def launched(browser, server, path: str):
    """The page a launch button opens for path, in a fresh context; its console's lines."""
    context = browser.new_context(service_workers="allow")
    context.route(lambda u: not is_local(u), lambda route: route.abort("blockedbyclient"))
    page = context.new_page()
    page.set_default_timeout(KERNEL_MS)
    console = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    page.goto(f"{server}lite/notebooks/index.html?path={path}", wait_until="load")
    page.wait_for_function("() => window.jupyterapp", timeout=120_000)
    return context, page, console


@needs_site
def test_the_launch_page_starts_the_notebooks_kernel_which_the_notebook_uses(browser, server):
    context, page, console = launched(browser, server, CHAPTER)
    try:
        opened = page.evaluate(OPENED_JS)
        cwd = page.evaluate(PROBE_JS, "import os; print(os.getcwd())")
    finally:
        context.close()
    assert f"info: book-kernel-start: started the kernel of {CHAPTER}" in console, console
    # one kernel, the plugin's, and the notebook is connected to it
    assert opened["sessions"] == [[CHAPTER, opened["kernel"]]], opened
    # the notebook's folder on JupyterLite's drive: the service worker was there in time
    assert cwd == "/drive/chapters\n"
    assert not [line for line in console if "book-kernel-start" in line and
                not line.startswith("info:")], console


@needs_site
def test_no_kernel_is_left_running_for_an_address_with_no_notebook(browser, server):
    context, page, console = launched(browser, server, "chapters/no_such_chapter.ipynb")
    try:
        for _ in range(600):  # the plugin's verdict, at most a minute
            if any("book-kernel-start" in line for line in console):
                break
            page.wait_for_timeout(100)
        for _ in range(100):  # JupyterLite ends the session 0.1 s after its kernel
            if not (running := page.evaluate(RUNNING_JS)):
                break
            page.wait_for_timeout(100)
    finally:
        context.close()
    assert ("info: book-kernel-start: no notebook chapters/no_such_chapter.ipynb, its kernel "
            "shut down") in console, console
    assert running == 0
    assert not [line for line in console if line.startswith("pageerror")], console


@needs_site
def test_another_spelling_of_the_path_is_left_to_the_notebook(browser, server):
    """'./chapters/...' opens chapter 1 too, under the path 'chapters/...': the plugin
    starts nothing for it, and the notebook starts its one kernel itself."""
    context, page, console = launched(browser, server, f"./{CHAPTER}")
    try:
        opened = page.evaluate(OPENED_JS)
    finally:
        context.close()
    assert opened["sessions"] == [[CHAPTER, opened["kernel"]]], opened
    assert not [line for line in console if "book-kernel-start" in line], console


PROBE = """import importlib, importlib.util, inspect, json, os, sys
import asyncio, bookplots, IPython, matplotlib.pyplot, npgrad, numpy, piplite
from pyodide_js import loadedPackages
print(json.dumps({
    "loaded": {name: loadedPackages.to_py().get(name) for name in %(kernel)r},
    "piplite": [piplite.piplite._PIPLITE_DISABLE_PYPI,
                [url.split("/")[-1].split("?")[0] for url in piplite.piplite._PIPLITE_URLS]],
    "path": [p for p in sys.path if p in ("", os.getcwd())], "last": sys.path[-1],
    "cwd": os.getcwd(),
    "site_bytecode": [os.path.exists(importlib.util.cache_from_source(m.__file__))
                      for m in (IPython, numpy, matplotlib, npgrad)],
    "stdlib_bytecode": asyncio.__file__.endswith("__init__.pyc"),
    "source": ["def run(" in inspect.getsource(asyncio.runners),
               "def no_grad(" in inspect.getsource(sys.modules["npgrad.tensor"])],
}))
with open("reader_module_probe.py", "w") as f:
    f.write("VALUE = 42\\n")
importlib.invalidate_caches()
import reader_module_probe
print(reader_module_probe.VALUE)
os.remove("reader_module_probe.py")
"""


@needs_site
def test_the_kernel_starts_from_the_lock_and_bytecode_its_folder_last(lab):  # noqa: F811
    names = ["piplite", "pyodide-kernel", "ipykernel", "ipython", "jedi", "comm", "micropip"]
    try:
        lab.page.evaluate(OPEN_JS, CHAPTER)
        out = lab.page.evaluate(PROBE_JS, PROBE % {"kernel": names})
    finally:
        lab.page.evaluate(CLOSE_JS)
    first, *rest = out.splitlines()  # nothing before: no warning either
    seen = json.loads(first)
    assert seen["loaded"] == {name: "default channel" for name in names}, seen["loaded"]
    # piplite (%pip) configured by the kernel as before: its index, PyPI off
    assert seen["piplite"] == [True, ["all.json", "all.json"]], seen["piplite"]
    assert seen["path"] == [""] and seen["last"] == "", seen
    assert seen["cwd"] == "/drive/chapters"
    assert seen["site_bytecode"] == [True] * 4 and seen["stdlib_bytecode"] is True, seen
    assert seen["source"] == [True, True], seen["source"]
    assert rest == ["42"], out


def test_the_kernel_is_told_to_preload_what_it_would_install_one_by_one():
    settings = build_lite.lite_config(False)["jupyter-config-data"]["litePluginSettings"]
    kernel = settings["@jupyterlite/pyodide-kernel-extension:kernel"]
    # The names the kernel's worker (jupyterlite-pyodide-kernel 0.6.1) checks before it
    # installs each through micropip or piplite, spelt as it spells them.
    assert kernel["loadPyodideOptions"]["packages"] == [
        "micropip", "piplite", "ssl", "sqlite3", "ipykernel", "comm", "pyodide_kernel",
        "jedi", "ipython"]
    assert kernel["pyodideUrl"] == "./static/pyodide/book-pyodide.js"


def test_the_notebooks_imports_are_found_for_their_bytecode():
    names = bytecode.notebook_imports(
        [p for g in build_lite.NOTEBOOKS for p in sorted(build_lite.ROOT.glob(g))])
    for name in ("numpy", "matplotlib.pyplot", "npgrad", "bookplots", "course", "ipywidgets"):
        assert name in names, names

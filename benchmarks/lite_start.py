"""Where a chapter's first output waits in the book's JupyterLite: the kernel's start, timed.

    python -m benchmarks.lite_start SITE [SITE ...] [--chapter 01] [--rounds 3]
        [--app lab|notebooks] [--timeline]

Each SITE is a built book (its _build/html, with lite/ inside). The sites take turns, each
run in a fresh browser context (an empty cache), as benchmarks.lite_times runs them: the
JupyterLab page opens, the notebook opens, and its code cells run until one shows an
output. Every request, the kernel worker's console (Pyodide's "Loading ..." lines) and the
kernel's replies are timed from opening the page, and each run prints one row of phases:

- lab: JupyterLab restored; worker: the kernel's web worker created (the notebook open);
- files: Pyodide's files fetched (pyodide.asm.wasm, the stdlib, the lock); runtime: the
  first package asked for after them (or the worker's first console line): the WebAssembly
  compiled and Python started;
- packages: the last package file of the kernel's start received;
- ready: the kernel answers; first: the first output; cells: the code cells run until then;
- drive: the synchronous requests to JupyterLite's drive (/api/drive: one per file-system
  call on /drive, the kernel's working folder) and their summed duration.

With --app notebooks, the page opened is the one a chapter's "Run in your browser" button
opens (the Notebook app, the notebook in it) and "lab" is that app restored. With
--timeline, every request of the kernel's start and every line of the worker's console
follows, in order.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright

from benchmarks.lite_times import serve
from tests.browser.bookpages import CHROMIUM, CHROMIUM_ARGS

# Opens the notebook, waits for its kernel, then runs code cells until one shows an output.
FIRST_OUTPUT_JS = """async ([path, opened]) => {
  const app = window.jupyterapp;
  const current = async () => {  // the notebook the page opened (the Notebook app)
    for (;;) {
      const widget = app.shell.currentWidget;
      if (widget && widget.sessionContext) return widget;
      await new Promise(resolve => setTimeout(resolve, 20));
    }
  };
  const panel = opened ? await current()
    : await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
  await panel.context.ready;
  await panel.sessionContext.ready;
  const kernel = panel.sessionContext.session.kernel;
  await kernel.info;
  const times = {ready: Date.now(), first: null, cells: 0, error: null, stderr: []};
  const cells = panel.content.widgets.filter(cell => cell.model.type === 'code');
  for (const cell of cells) {
    const future = kernel.requestExecute({code: cell.model.sharedModel.getSource()});
    future.onIOPub = msg => {
      const t = msg.header.msg_type;
      if (t === 'stream' && msg.content.name === 'stderr') times.stderr.push(msg.content.text);
      if (['stream', 'execute_result', 'display_data', 'error'].includes(t)
          && times.first === null) times.first = Date.now();
    };
    const reply = await future.done;
    times.cells += 1;
    if (reply.content.status !== 'ok') {
      times.error = `${reply.content.ename}: ${reply.content.evalue}`;
      break;
    }
    if (times.first !== null) break;
  }
  return times;
}"""


# lab: JupyterLab, which then opens the notebook (as benchmarks.lite_times does);
# notebooks: the page a chapter's "Run in your browser" button opens, the notebook in it.
APPS = {"lab": "lab/index.html", "notebooks": "notebooks/index.html?path="}


class Run:
    """One cold visit: its events, in ms from opening the page."""

    def __init__(self) -> None:
        self.start = time.time() * 1000
        self.events: list[tuple[float, str, str]] = []
        self.drive: list[tuple[float, float]] = []  # (end, duration)

    def now(self) -> float:
        return time.time() * 1000 - self.start

    def add(self, kind: str, text: str) -> None:
        self.events.append((self.now(), kind, text))

    def finished(self, request) -> None:
        path = urlsplit(request.url).path.split("/lite/")[-1]
        timing = request.timing
        took = timing["responseEnd"] if timing["responseEnd"] > 0 else 0.0
        if path.startswith("api/drive"):
            self.drive.append((self.now(), took))
            return
        self.add("got", f"{path} ({took:.0f} ms)")

    def first(self, kind: str, needle: str = "", after: float = 0.0) -> float | None:
        return next((t for t, k, text in self.events
                     if k == kind and needle in text and t >= after), None)

    def last(self, kind: str, needle: str = "", before: float = float("inf")) -> float | None:
        return next((t for t, k, text in reversed(self.events)
                     if k == kind and needle in text and t <= before), None)


def visit(browser, url: str, notebook: str, app: str) -> tuple[Run, dict]:
    run = Run()
    context = browser.new_context(service_workers="allow")
    context.route(lambda u: urlsplit(u).hostname not in ("127.0.0.1", "localhost"),
                  lambda route: route.abort("blockedbyclient"))
    page = context.new_page()
    page.on("requestfinished", run.finished)
    page.on("request", lambda r: r.url.endswith((".whl", ".zip")) and run.add(
        "asked", urlsplit(r.url).path.split("/lite/")[-1]))
    page.on("worker", lambda w: (run.add("worker", w.url),
                                 w.on("console", lambda m: run.add("console", m.text))))
    try:
        page.goto(f"{url}lite/{APPS[app]}{notebook if app == 'notebooks' else ''}",
                  wait_until="load", timeout=120_000)
        page.set_default_timeout(600_000)
        page.wait_for_function("() => window.jupyterapp", timeout=120_000)
        page.evaluate("async () => { await window.jupyterapp.restored; }")
        run.add("lab", "restored")  # the app's plugins activated
        times = page.evaluate(FIRST_OUTPUT_JS, [notebook, app == "notebooks"])
    finally:
        context.close()
    return run, times


def phases(run: Run, times: dict) -> dict:
    worker = run.first("worker")
    ready = times["ready"] - run.start
    first = times["first"] - run.start if times["first"] else None
    runtime_files = max(run.last("got", name, ready) or 0 for name in
                        ("pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"))
    after_runtime = next((t for t, k, text in run.events if t > runtime_files and (
        k == "console" or (k == "asked" and not text.endswith("python_stdlib.zip")))), None)
    packages = run.last("got", "static/pyodide/", ready)
    stages = {"lab": run.first("lab"), "worker": worker, "files": runtime_files,
              "runtime": after_runtime, "packages": packages, "ready": ready, "first": first}
    out = {k: round(v / 1000, 1) if v else None for k, v in stages.items()}
    out["cells"] = times["cells"]
    spans = [(None, worker), (worker, ready), (ready, first)]
    out["drive"] = [(sum(1 for end, _ in run.drive if (a or 0) <= end < (b or 1e12)),
                     round(sum(d for end, d in run.drive if (a or 0) <= end < (b or 1e12))))
                    for a, b in spans]
    out["error"] = times["error"]
    out["stderr"] = times["stderr"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sites", nargs="+", type=Path, help="built books' _build/html")
    parser.add_argument("--chapter", default="01")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--app", choices=sorted(APPS), default="lab",
                        help="notebooks: open the page a chapter's launch button opens")
    parser.add_argument("--timeline", action="store_true",
                        help="also print each run's requests and worker console, timed")
    args = parser.parse_args()
    urls = {site: serve(site) for site in args.sites}
    notebook = next((args.sites[0] / "lite" / "files" / "chapters").glob(
        f"{args.chapter}_*.ipynb")).relative_to(args.sites[0] / "lite" / "files").as_posix()
    print(f"{notebook}: seconds from opening the page; drive: requests (ms) before the "
          "worker, during the kernel's start, in the cells before the first output")
    print("| site | lab | worker | files | runtime | packages | ready | first | cells "
          "| drive |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                             args=CHROMIUM_ARGS)
        for _ in range(args.rounds):
            for site, url in urls.items():
                run, times = visit(browser, url, notebook, args.app)
                p = phases(run, times)
                drive = ", ".join(f"{n} ({ms})" for n, ms in p["drive"])
                print(f"| {site} | {p['lab']} | {p['worker']} | {p['files']} | "
                      f"{p['runtime']} | {p['packages']} | {p['ready']} | {p['first']} | "
                      f"{p['cells']}{' ' + p['error'] if p['error'] else ''} | {drive} |",
                      flush=True)
                for text in p["stderr"]:
                    print(f"    printed to stderr: {text[:300]!r}", flush=True)
                if args.timeline:
                    worker = run.first("worker") or 0
                    for t, kind, text in run.events:
                        if t >= worker and (kind != "got" or "/pyodide" in text
                                            or "pypi" in text):
                            print(f"    {t / 1000:6.2f} {kind} {text[:150]}")
        browser.close()


if __name__ == "__main__":
    main()

"""The chapters' times in the book's JupyterLite: each site run as a reader would.

    python -m benchmarks.lite_times SITE [SITE ...] [--chapters 01 04 05] [--rounds 1]

Each SITE is a built book (its _build/html, with lite/ inside: `make book`). For each
chapter, the sites take turns, each in a fresh browser context (an empty cache: every
package downloaded again, from 127.0.0.1): the page opens, the notebook opens, and its
code cells run one after the other, as Run All does, in the light setting the browser
runs. Printed per run: the kernel ready (s from opening the page), the first output,
the end of the run and where it stopped if a cell failed, as a Markdown table row;
with --slowest N, the N longest cells, each with its longest wait for an output; and
whatever a cell printed to stderr (warnings), which a chapter's run should not print.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import threading
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.browser.bookpages import CHROMIUM, CHROMIUM_ARGS, Visit, _QuietHandler, _Server

# Like tests/browser/test_lite.py's RUN_JS, with times (ms since the epoch): the kernel
# ready, each cell's first output and the end of each cell.
RUN_ALL_JS = """async ([path, prelude]) => {
  const app = window.jupyterapp;
  const panel = await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
  await panel.context.ready;
  await panel.sessionContext.ready;
  const kernel = panel.sessionContext.session.kernel;
  await kernel.info;
  if (prelude) await kernel.requestExecute({code: prelude}).done;
  const times = {ready: Date.now(), first: null, ends: [], silent: [], stderr: [],
                 error: null};
  const cells = panel.content.widgets.filter(cell => cell.model.type === 'code');
  cells.forEach(cell => cell.model.outputs.clear());
  for (const cell of cells) {
    cell.model.trusted = true;
    let last = Date.now(), silent = 0;
    const future = kernel.requestExecute({code: cell.model.sharedModel.getSource(),
                                          stop_on_error: true});
    future.onIOPub = msg => {
      const t = msg.header.msg_type;
      if (['stream', 'execute_result', 'display_data', 'update_display_data', 'error',
           'comm_msg'].includes(t)) {  // comm_msg: a widget moving, e.g. a progress bar
        const now = Date.now();
        silent = Math.max(silent, now - last);
        last = now;
      }
      if (t === 'stream' && msg.content.name === 'stderr') {
        times.stderr.push(msg.content.text.slice(0, 300));
      }
      if (['stream', 'execute_result', 'display_data', 'error'].includes(t)) {
        if (times.first === null) times.first = Date.now();
        cell.model.outputs.add({output_type: t, ...msg.content});
      }
    };
    const reply = await future.done;
    times.ends.push(Date.now());
    times.silent.push(Math.max(silent, Date.now() - last));
    if (reply.content.status !== 'ok') {
      times.error = `${reply.content.ename}: ${reply.content.evalue}`;
      break;
    }
  }
  times.cells = cells.length;
  times.heads = cells.map(cell => cell.model.sharedModel.getSource().split('\\n')[0]);
  return times;
}"""


def serve(directory: Path) -> str:
    handler = functools.partial(_QuietHandler, directory=str(directory))
    httpd = _Server(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{httpd.server_address[1]}/"


# Run before the chapter's cells by --setting full: the full setting, as a reader who
# follows the light line's suggestion (`%env NPGRAD_LIGHT=0`) would run it.
FULL_PRELUDE = "import os; os.environ['NPGRAD_LIGHT'] = '0'"
# Run before the chapter's cells by --matmul both, for the "@" rows: npgrad's matrix
# products back on NumPy's `@`, as before they went through SciPy's BLAS (blas.py).
NUMPY_MATMUL = "import npgrad.blas; npgrad.blas._use_blas = False"


def run(browser, url: str, notebook: str, prelude: str = "") -> dict:
    start = time.time() * 1000
    visit = Visit(browser, f"{url}lite/lab/index.html", service_workers="allow")
    try:
        visit.page.set_default_timeout(900_000)
        visit.page.wait_for_function("() => window.jupyterapp", timeout=120_000)
        visit.page.evaluate("async () => { await window.jupyterapp.restored; }")
        times = visit.page.evaluate(RUN_ALL_JS, [notebook, prelude])
    finally:
        visit.close()
    seconds = {k: round((times[k] - start) / 1000, 1) for k in ("ready", "first")
               if times[k] is not None}
    seconds["end"] = round((times["ends"][-1] - start) / 1000, 1)
    seconds["run_all"] = round((times["ends"][-1] - times["ready"]) / 1000, 1)
    seconds["ran"] = f"{len(times['ends'])}/{times['cells']}"
    seconds["error"] = times["error"]
    seconds["stderr"] = times["stderr"]
    starts = [times["ready"], *times["ends"][:-1]]
    seconds["cells"] = sorted(
        ((end - begin) / 1000, i, silent / 1000, times["heads"][i]) for i, (begin, end, silent)
        in enumerate(zip(starts, times["ends"], times["silent"], strict=True)))[::-1]
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sites", nargs="+", type=Path, help="built books' _build/html")
    parser.add_argument("--chapters", nargs="+", default=["01", "04", "05", "06", "07",
                                                          "08"])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--setting", choices=["light", "full"], default="light",
                        help="full: NPGRAD_LIGHT=0 set in the kernel before the first cell")
    parser.add_argument("--matmul", choices=["blas", "both"], default="blas",
                        help="both: each site also with npgrad's products on NumPy's @")
    parser.add_argument("--slowest", type=int, default=0,
                        help="also print the N slowest code cells of each run")
    args = parser.parse_args()
    urls = {site: serve(site) for site in args.sites}
    print("| chapter | site | matmul | kernel ready | first output | Run All | end | cells |")
    print("|---|---|---|---|---|---|---|---|")
    setting = FULL_PRELUDE + "\n" if args.setting == "full" else ""
    variants = [("@", NUMPY_MATMUL)] if args.matmul == "both" else []
    variants.append(("npgrad", ""))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                             args=CHROMIUM_ARGS)
        for chapter in args.chapters:
            notebook = next((args.sites[0] / "lite" / "files" / "chapters").glob(
                f"{chapter}_*.ipynb")).relative_to(args.sites[0] / "lite" / "files")
            for _ in range(args.rounds):
                for (site, url), (matmul, prelude) in itertools.product(urls.items(),
                                                                         variants):
                    s = run(browser, url, notebook.as_posix(), setting + prelude)
                    print(f"| {notebook.stem} | {site} | {matmul} | {s.get('ready')} | "
                          f"{s.get('first')} | {s['run_all']} | {s['end']} | {s['ran']}"
                          f"{' ' + s['error'] if s['error'] else ''} |", flush=True)
                    for text in s["stderr"]:
                        print(f"    printed to stderr: {text!r}", flush=True)
                    for seconds, i, silent, head in s["cells"][:args.slowest]:
                        print(f"    code cell {i}: {seconds:.1f} s, at most {silent:.1f} s "
                              f"without output  {head[:50]}", flush=True)
        browser.close()


if __name__ == "__main__":
    main()

"""The self-hosted JupyterLite site (_build/html/lite, built by `make book`) in Chromium.

Every request outside localhost is blocked and counted. One JupyterLab page (JupyterLite's,
with its service worker) opens each chapter in turn, clears the stored outputs and runs its
first code cells in the Pyodide kernel: the imports, the data and the first training step
(at least FIRST_CELLS cells, and none whose sizes the light setting changes). What they print
(stdout and plain-text results) must equal what the stored notebook prints, numbers within
the tolerance nbval uses off the numeric pin (tools/ci/nbval_numbers.py: the browser runs numpy
2.0 in WebAssembly, not the pinned kernels). The line saying which setting runs
(course.light) is the one output allowed to differ: the browser runs the light one. Where
a chapter trains on MNIST or Fashion-MNIST, the kernel then loads both splits from the site's
copy, and what it reports must equal the local verified copy's. Chapter 3 runs to the end,
with no error, and its explorer responds there. Skips when the lite site has not been built.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.bookpages import BOOK, SITE, Visit
from tools.ci.nbval_numbers import NUMBER, same_within_tolerance

LITE = SITE / "lite"
CHAPTERS = sorted(p.relative_to(BOOK).as_posix() for p in (BOOK / "chapters").glob("*.ipynb"))
RUN_TO_THE_END = "chapters/03_linear_regression.ipynb"
FIRST_CELLS = 4
KERNEL_MS = 600_000  # loading Pyodide and the packages, then training, on a busy machine
TRAINS = re.compile(r"\.step\(\)|\bfit\(|\.backward\(\)")
# course.light's line saying which setting runs, and its notes printed in the light one only
SETTING = re.compile(r"^(?:(?:Full|Light) setting\b.*|\(light setting: .*\))(?:\n|$)",
                     re.MULTILINE)

# Cells that print a fact of the platform: their text must match with the numbers left out.
PLATFORM_FACTS = {("chapters/02_autograd.ipynb", 9): "sys.getrecursionlimit(): CPython's 1000, "
                  "Pyodide's 3000"}

pytestmark = pytest.mark.skipif(
    not (LITE / "jupyter-lite.json").is_file(),
    reason=f"no JupyterLite site at {LITE}: run `make book`")

# Open a notebook, wait for its kernel, clear the stored outputs, run the first `count` code
# cells (all of them for count < 0) one after the other, stopping at the first error; return
# each run cell's outputs as nbformat JSON. Runs in the page: `window.jupyterapp` is JupyterLab.
RUN_JS = """async ([path, count]) => {
  const app = window.jupyterapp;
  const panel = await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
  await panel.context.ready;
  await panel.sessionContext.ready;
  const kernel = panel.sessionContext.session.kernel;
  const cells = [];
  for (const cell of panel.content.widgets) {
    if (cell.model.type === 'code') cells.push(cell);
  }
  cells.forEach(cell => cell.model.outputs.clear());
  const ran = [];
  for (const cell of count < 0 ? cells : cells.slice(0, count)) {
    cell.model.trusted = true;  // as for a cell the reader runs: widgets are drawn
    const outputs = [];
    const future = kernel.requestExecute({code: cell.model.sharedModel.getSource(),
                                          stop_on_error: true});
    future.onIOPub = msg => {
      const t = msg.header.msg_type;
      if (['stream', 'execute_result', 'display_data', 'error'].includes(t)) {
        outputs.push({output_type: t, ...msg.content});
        cell.model.outputs.add({output_type: t, ...msg.content});
      }
    };
    const reply = await future.done;
    ran.push(outputs);
    if (reply.content.status !== 'ok') break;
  }
  return ran;
}"""

# Run code in the open notebook's kernel; its stdout, or the error.
PROBE_JS = """async code => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  let text = '';
  const future = kernel.requestExecute({code});
  future.onIOPub = msg => {
    if (msg.header.msg_type === 'stream') text += msg.content.text;
    if (msg.header.msg_type === 'error') text += msg.content.ename + ': ' + msg.content.evalue;
  };
  await future.done;
  return text;
}"""

CLOSE_JS = """async () => {
  const app = window.jupyterapp;
  const panel = app.shell.currentWidget;
  if (!panel || !panel.sessionContext) return;
  panel.context.model.dirty = false;  // the cleared outputs: nothing to save, no dialog
  // Its kernel is left idle: shutting it down makes JupyterLite 0.6 throw "Session ... not
  // found" when the next notebook opens.
  panel.dispose();
}"""


def cells_to_run(code: list[dict]) -> int:
    """Through the first training step, at least FIRST_CELLS, and not into the cells whose
    sizes the light setting changes (their outputs differ there)."""
    sources = ["".join(c["source"]) for c in code]
    step = next((i for i, s in enumerate(sources) if TRAINS.search(s)), FIRST_CELLS - 1)
    light = next((i for i, s in enumerate(sources) if i > 1 and "light." in s), len(sources))
    return min(max(FIRST_CELLS, step + 1), light)


def image_datasets(code: list[dict]) -> list[str]:
    """The MNIST-style datasets a chapter loads (the site serves them: NPGRAD_DATA_URL)."""
    text = "".join("".join(c["source"]) for c in code)
    return [name for name in ("mnist", "fashion_mnist") if f"load_{name}(" in text]


# Both splits of each dataset, loaded through npgrad.datasets (each file checked by SHA256).
DATA_PROBE = """import numpy as np
from npgrad import datasets
for name in {names!r}:
    for train in (True, False):
        split = getattr(datasets, "load_" + name)(train=train)
        counts = np.bincount(split.targets.astype(np.intp), minlength=10)
        print(name, train, split.data.shape, split.data.dtype, counts.tolist(),
              int(split.data[:500].astype(np.int64).sum()))
"""


def data_probe_expected(names: list[str]) -> str:
    """What DATA_PROBE prints here, natively, from the verified local copies."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(DATA_PROBE.format(names=names), {})
    return out.getvalue()


def printed(outputs: list[dict]) -> list[str]:
    """All of stdout, then each plain-text result, stripped; the setting line left out."""
    text = "".join(o["text"] if isinstance(o["text"], str) else "".join(o["text"])
                   for o in outputs if o["output_type"] == "stream" and o["name"] == "stdout")
    texts = [text] + ["".join(o["data"]["text/plain"]) for o in outputs
                      if "text/plain" in o.get("data", {}) and not any(
                          k.startswith(("image/", "text/html", "application/vnd.jupyter.widget"))
                          for k in o["data"])]
    return [t for t in (SETTING.sub("", t).strip() for t in texts) if t]


def errors(outputs: list[dict]) -> list[str]:
    return [f"{o['ename']}: {o['evalue']}" for o in outputs if o["output_type"] == "error"]


# A tqdm bar as text ("epochs:  50%|#####     | 4/8 [00:01<00:00, 4.9epoch/s]"): train.fit's
# progress, on stderr where the page has no widget for it. Anything else there is a warning.
PROGRESS = re.compile(r"[^\n|]*\|[^|\n]*\| *\d+/\d+ \[[^\]\n]*\]")


def warnings(outputs: list[dict]) -> list[str]:
    """What a cell printed to stderr, progress bars aside."""
    text = "".join(o["text"] if isinstance(o["text"], str) else "".join(o["text"])
                   for o in outputs if o["output_type"] == "stream" and o["name"] == "stderr")
    return [line for line in PROGRESS.sub("", text).replace("\r", "\n").split("\n")
            if line.strip()]


@pytest.fixture(scope="module")
def lab(browser, server):
    """JupyterLite's JupyterLab, loaded once for every chapter."""
    visit = Visit(browser, f"{server}lite/lab/index.html", service_workers="allow")
    visit.page.set_default_timeout(KERNEL_MS)
    visit.page.wait_for_function("() => window.jupyterapp", timeout=120_000)
    visit.page.evaluate("async () => { await window.jupyterapp.restored; }")
    yield visit
    visit.close()


def snapshot(lab) -> tuple[int, int, int]:
    return len(lab.outside), len(lab.failed), len(lab.errors)


# jupyterlab-myst renders one notebook at a time: a {ref} to another chapter's label, which the
# book resolves, is logged as an error there (and shown as its plain text). One message may
# name several labels, a line each.
OTHER_CHAPTER_REF = re.compile(r"console: (?:Cross reference target was not found: [\w-]+\s*)+"
                               r"\(\S+\)")


def new_problems(lab, before: tuple[int, int, int]) -> list[str]:
    """What went wrong in the page since the snapshot: outside and failed requests, JS errors."""
    return ([f"outside request (blocked): {u}" for u in lab.outside[before[0]:]]
            + [f"failed request: {f}" for f in lab.failed[before[1]:]]
            + [f"JavaScript error: {e}" for e in lab.errors[before[2]:]
               if not OTHER_CHAPTER_REF.fullmatch(e)])


# The explorer in the open notebook: its slider's readout and the figures shown.
EXPLORER_JS = """() => {
  const slider = window.jupyterapp.shell.currentWidget.node.querySelector('.widget-slider');
  const box = slider && slider.closest('.widget-vbox');
  return box && {readout: slider.querySelector('.widget-readout')?.textContent.trim(),
                 alts: [...box.querySelectorAll('img')].filter(i => i.checkVisibility())
                                                       .map(i => i.alt)};
}"""


# Whether the explorer shows one figure, another than before (its alt texts in `before`).
EXPLORER_MOVED_JS = f"""(before) => {{
  const now = ({EXPLORER_JS})();
  return now && now.alts.length === 1 && now.alts[0] !== before[0];
}}"""


def explorer_problems(page) -> list[str]:
    """Move the open notebook's explorer one position: it must show another single figure
    (which the kernel draws then: bookplots.explorer's ON_DEMAND, within seconds)."""
    before = page.evaluate(EXPLORER_JS)
    if not before:
        return ["no explorer widget was drawn"]
    mode = page.evaluate(PROBE_JS, "import bookplots.explorer as e; print(e.ON_DEMAND)")
    if mode.strip() != "True":
        return [f"bookplots.explorer.ON_DEMAND in the browser: {mode!r}, not True"]
    # A click near the right end of the track (the keyboard belongs to JupyterLab's shortcuts).
    track = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .widget-slider .noUi-target")
    box = track.first.bounding_box()
    track.first.click(position={"x": box["width"] - 2, "y": box["height"] / 2})
    with contextlib.suppress(PlaywrightTimeout):  # judged below
        page.wait_for_function(EXPLORER_MOVED_JS, arg=before["alts"], timeout=30_000)
    after = page.evaluate(EXPLORER_JS)
    if (before["readout"] == after["readout"] or len(after["alts"]) != 1
            or before["alts"] == after["alts"]):
        return [f"the explorer did not move to another figure: {before} -> {after}"]
    return []


# Open a notebook and wait for its kernel and a little more (JupyterLab writes the kernel's
# metadata into the notebook once the kernel has started); what a reader sees before running.
OPEN_JS = """async (path) => {
  const app = window.jupyterapp;
  const panel = await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
  await panel.context.ready;
  await panel.sessionContext.ready;
  await panel.sessionContext.session.kernel.info;
  await new Promise(resolve => setTimeout(resolve, 3000));
  const widgets = [];
  for (const cell of panel.content.widgets) {
    const area = cell.node.querySelector('.jp-OutputArea');
    const data = cell.model.type === 'code' ? cell.model.outputs.toJSON() : [];
    if (data.some(o => o.data && o.data['application/vnd.jupyter.widget-view+json'])) {
      widgets.push(area ? area.innerText : '');
    }
  }
  return {dirty: panel.context.model.dirty, widgets};
}"""


def test_a_chapter_opens_unmodified_and_says_where_its_explorer_will_be(lab):
    """Before anything runs: no "modified" mark, and no raw `VBox(children=...)` text."""
    try:
        opened = lab.page.evaluate(OPEN_JS, RUN_TO_THE_END)
    finally:
        lab.page.evaluate(CLOSE_JS)
    assert opened["dirty"] is False, "the notebook opened marked as modified"
    assert opened["widgets"], "no stored explorer found in the notebook"
    assert all("explorer appears here" in text and "VBox" not in text
               for text in opened["widgets"]), opened["widgets"]


@pytest.mark.parametrize("notebook", CHAPTERS, ids=lambda p: Path(p).stem)
def test_chapter_runs_its_first_cells_in_the_browser(notebook, lab):
    code = [c for c in json.loads((BOOK / notebook).read_text(encoding="utf-8"))["cells"]
            if c["cell_type"] == "code"]
    count = -1 if notebook == RUN_TO_THE_END else cells_to_run(code)
    before = snapshot(lab)
    problems = []
    try:
        ran = lab.page.evaluate(RUN_JS, [notebook, count])
        if notebook == RUN_TO_THE_END:
            problems += explorer_problems(lab.page)
        if image_datasets(code):
            names = image_datasets(code)
            probe = lab.page.evaluate(PROBE_JS, DATA_PROBE.format(names=names))
            if probe != data_probe_expected(names):
                problems.append(f"the datasets {names} in the browser:\n{probe}\n"
                                f"natively:\n{data_probe_expected(names)}")
    finally:
        lab.page.evaluate(CLOSE_JS)
    expected = len(code) if count < 0 else count
    if len(ran) != expected or errors(ran[-1]):
        problems.append(f"stopped at code cell {len(ran) - 1} of {expected}: {errors(ran[-1])}")
    for i, (outputs, cell) in enumerate(zip(ran, code, strict=False)):
        shown, stored = printed(outputs), printed(cell.get("outputs", []))
        if (notebook, i) in PLATFORM_FACTS:
            shown, stored = ([NUMBER.sub("#", t) for t in texts] for texts in (shown, stored))
        if len(shown) != len(stored) or not all(map(same_within_tolerance, stored, shown)):
            problems.append(f"code cell {i}: printed {shown}, the notebook stores {stored}")
        if warnings(outputs):
            problems.append(f"code cell {i} printed to stderr: {warnings(outputs)}")
    problems += new_problems(lab, before)
    assert not problems, f"{notebook} in JupyterLite:\n" + "\n".join(problems)

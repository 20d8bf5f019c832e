"""The self-hosted JupyterLite site (_build/html/lite, built by tools/build_lite.py) in Chromium.

With every request outside localhost blocked and counted, each chapter opens in JupyterLite,
its stored outputs are cleared, its first code cells run in the Pyodide kernel, and what they
print (stdout and plain-text results) equals what the stored notebook prints. Skips when the
lite site has not been built (it is not part of `make book` yet).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from test_site import BOOK, SITE, Visit, browser, server  # noqa: F401 (fixtures)

LITE = SITE / "lite"
CHAPTERS = sorted(p.relative_to(BOOK).as_posix() for p in (BOOK / "chapters").glob("*.ipynb"))
FIRST_CELLS = int(os.environ.get("NPGRAD_LITE_CELLS", "4"))
KERNEL_MS = 300_000  # loading Pyodide and the packages on a busy machine

# What a code cell shows in JupyterLab: stdout and text/plain outputs, each stripped.
OUTPUTS_JS = """i => {
  const cell = document.querySelectorAll('.jp-Notebook .jp-CodeCell')[i];
  const shown = cell.querySelectorAll(
    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stdout"],' +
    '.jp-OutputArea-output[data-mime-type="text/plain"]');
  return [...shown].map(o => o.innerText.trim()).filter(t => t);
}"""

RAN_JS = """i => {
  const cell = document.querySelectorAll('.jp-Notebook .jp-CodeCell')[i];
  const prompt = cell && cell.querySelector('.jp-InputPrompt');
  return prompt && /\\[\\d+\\]/.test(prompt.textContent);
}"""


def stored_outputs(cell: dict) -> list[str]:
    texts = []
    for out in cell.get("outputs", []):
        if out["output_type"] == "stream" and out["name"] == "stdout":
            texts.append("".join(out["text"]).strip())
        elif "text/plain" in out.get("data", {}) and not any(
                k.startswith(("image/", "text/html", "application/vnd.jupyter.widget"))
                for k in out["data"]):
            texts.append("".join(out["data"]["text/plain"]).strip())
    return [t for t in texts if t]


@pytest.mark.skipif(not (LITE / "jupyter-lite.json").is_file(),
                    reason=f"no JupyterLite site at {LITE}: run tools/build_lite.py (see its docstring)")
@pytest.mark.parametrize("notebook", CHAPTERS, ids=lambda p: Path(p).stem)
def test_chapter_runs_its_first_cells_in_the_browser(notebook, browser, server):  # noqa: F811
    stored = [c for c in json.loads((BOOK / notebook).read_text(encoding="utf-8"))["cells"]
              if c["cell_type"] == "code"][:FIRST_CELLS]
    visit = Visit(browser, f"{server}lite/lab/index.html?path={notebook}", service_workers="allow")
    page, problems = visit.page, []
    page.set_default_timeout(120_000)  # JupyterLab draws a long notebook slowly on a busy machine
    try:
        page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=KERNEL_MS)
        # Clear the stored outputs (Edit menu), so that what is shown afterwards is what ran here.
        page.get_by_role("menuitem", name="Edit").click()
        page.get_by_role("menuitem", name="Clear Outputs of All Cells").click()
        if page.locator(".jp-Notebook .jp-OutputArea-output").count():
            problems.append("the stored outputs were not cleared")
        page.locator(".jp-Notebook .jp-Cell").first.click()
        code_seen = 0
        while code_seen < len(stored):
            active_is_code = page.evaluate(
                "() => !!document.querySelector('.jp-Notebook .jp-Cell.jp-mod-active.jp-CodeCell')")
            page.keyboard.press("Shift+Enter")
            if active_is_code:
                page.wait_for_function(RAN_JS, arg=code_seen, timeout=KERNEL_MS)
                code_seen += 1
        for i, cell in enumerate(stored):
            shown, expected = page.evaluate(OUTPUTS_JS, i), stored_outputs(cell)
            if shown != expected:
                problems.append(f"code cell {i}: printed {shown}, the notebook stores {expected}")
    finally:
        visit.close()
    problems += visit.problems()
    assert not problems, f"{notebook} in JupyterLite:\n" + "\n".join(problems)

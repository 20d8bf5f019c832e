"""The notebooks as the book's JupyterLite serves them (tools/lite/build_lite.py)."""

import json
from pathlib import Path

import nbformat
import pytest

from tools.lite import build_lite

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(ROOT.glob("chapters/*.ipynb")) + sorted(ROOT.glob("assignments/student/*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_lite_copy_says_how_the_kernel_starts_before_anything_runs(path):
    original = json.loads(path.read_text(encoding="utf-8"))
    copy = build_lite.for_the_browser(json.loads(path.read_text(encoding="utf-8")))
    first = copy["cells"][0]
    assert first["cell_type"] == "markdown" and first["source"] == build_lite.STARTING
    assert "Starting" in first["source"] and "Idle" in first["source"]
    assert [c["source"] for c in copy["cells"][1:]] == [c["source"] for c in original["cells"]]
    nbformat.validate(nbformat.from_dict(copy))  # cell ids unique, the schema holds
    assert copy["metadata"]["kernelspec"] == build_lite.PYODIDE_KERNELSPEC


def test_a_stored_explorer_is_announced_not_shown_as_raw_text():
    path = ROOT / "chapters" / "03_linear_regression.ipynb"
    copy = build_lite.for_the_browser(json.loads(path.read_text(encoding="utf-8")))
    widgets = [o["data"] for c in copy["cells"] for o in c.get("outputs", [])
               if build_lite.WIDGET_VIEW in o.get("data", {})]
    assert widgets and all(d["text/plain"] == build_lite.NOT_YET_RUN for d in widgets)

"""Matplotlib's font cache as the browser's matplotlib builds it: tools/lite/fontlist.json.

Pyodide's matplotlib reads its font cache from `matplotlib/fontlist.json` in its own package.
The file in Pyodide 0.27.7's matplotlib 3.8.4 wheel was written by a later matplotlib (its
`_version` is 390, this FontManager's 330), so every kernel rebuilt the cache at its first
`import matplotlib` (about 2 s) and printed "Matplotlib is building the font cache; this may
take a moment." on stderr in every chapter (fixed upstream after 0.27.7: pyodide/pyodide#5569).
build_lite.py ships this file in a small wheel installed after matplotlib's (see
`fontlist_wheel`). Regenerate it after changing Pyodide's version:

    python -m tools.lite.fontlist _build/html/lite/static/pyodide

which runs Pyodide under Node (npm's pyodide, the site's packages), lets matplotlib build
its cache and writes it here.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).with_name("fontlist.json")
SCRIPT = """
const { loadPyodide } = require(process.argv[2]);
(async () => {
  const py = await loadPyodide({indexURL: process.argv[3]});
  await py.loadPackage(["matplotlib"], {messageCallback: () => {}});
  py.runPython("import matplotlib.font_manager");
  const path = "/lib/python3.12/site-packages/matplotlib/fontlist.json";
  require("fs").writeFileSync(process.argv[4], py.FS.readFile(path));
})();
"""


def main(packages: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "fontlist.js"
        script.write_text(SCRIPT)
        built = Path(tmp) / "fontlist.json"
        subprocess.run(["node", str(script), str(ROOT / "node_modules/pyodide/pyodide.js"),
                        f"{packages.resolve()}/", str(built)], check=True)
        cache = json.loads(built.read_text())
    OUT.write_text(json.dumps(cache, indent=1, sort_keys=True) + "\n")
    print(f"{OUT}: _version {cache['_version']}, {len(cache['ttflist'])} fonts")


if __name__ == "__main__":
    main(Path(sys.argv[1]))

"""Loading a package of the browser's Pyodide from inside a function.

In the book's JupyterLite, Pyodide loads the packages a cell imports before running
it; a package imported only inside a function (scikit-learn for load_iris, SciPy
for blas.py) is not there unless an earlier cell imported it. Where the browser can
wait for a promise from synchronous code (JSPI: Chromium 137 and later), the function
loads it itself; elsewhere the reader is told which import to run. Natively nothing
here runs: the package is installed or its import fails as usual.
"""

from __future__ import annotations

import importlib.util
import sys


def load_package(name: str, module: str) -> bool:
    """In the browser, load Pyodide's package `name` (importable as `module`) unless
    it is there; whether `module` can be imported now."""
    if sys.platform != "emscripten" or importlib.util.find_spec(module) is not None:
        return True
    import pyodide_js
    from pyodide.ffi import can_run_sync, run_sync

    if not can_run_sync():
        return False
    # loadPackage ends with importlib.invalidate_caches(): a second call here cost 0.1
    # to 0.2 s (it rereads the standard library's zip once for each of its folders)
    run_sync(pyodide_js.loadPackage(name))
    return importlib.util.find_spec(module) is not None


def require_package(name: str, module: str, needed_by: str) -> None:
    """load_package, or an ImportError naming the cell to run first."""
    if not load_package(name, module):
        raise ImportError(
            f"{needed_by} needs {name}, which this browser cannot load from inside a "
            f"function: run `import {module}` in a cell of its own first"
        )

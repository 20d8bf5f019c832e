"""npgrad.browser: loading a Pyodide package from inside a function, with Pyodide's
pyodide_js and pyodide.ffi stood in for by fakes (sys.platform set to emscripten)."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest

from npgrad import browser
from npgrad.datasets import load_iris


@pytest.fixture
def pyodide(monkeypatch):
    """A fake Pyodide: records loadPackage calls; `.sync` says whether JSPI is there."""
    fake = types.SimpleNamespace(loaded=[], sync=True)

    def load(name):
        fake.loaded.append(name)
        return f"promise of {name}"

    ffi = types.ModuleType("pyodide.ffi")
    ffi.can_run_sync = lambda: fake.sync
    ffi.run_sync = lambda promise: fake.loaded.append(f"waited for {promise}")
    monkeypatch.setitem(sys.modules, "pyodide_js", types.SimpleNamespace(loadPackage=load))
    monkeypatch.setitem(sys.modules, "pyodide", types.ModuleType("pyodide"))
    monkeypatch.setitem(sys.modules, "pyodide.ffi", ffi)
    monkeypatch.setattr(sys, "platform", "emscripten")
    return fake


def test_a_package_already_there_is_not_loaded_again(pyodide):
    assert browser.load_package("numpy", "numpy")
    assert pyodide.loaded == []


def test_a_missing_package_is_loaded_and_waited_for(pyodide):
    assert not browser.load_package("no-such-package", "no_such_module")
    assert pyodide.loaded == ["no-such-package", "waited for promise of no-such-package"]


def test_without_jspi_the_error_names_the_cell_to_run(pyodide):
    pyodide.sync = False
    with pytest.raises(ImportError) as error:
        browser.require_package("no-such-package", "no_such_module", "load_thing")
    assert str(error.value) == (
        "load_thing needs no-such-package, which this browser cannot load from inside "
        "a function: run `import no_such_module` in a cell of its own first"
    )
    assert pyodide.loaded == []


def test_natively_nothing_is_loaded(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyodide_js", None)  # importing it would fail
    assert browser.load_package("no-such-package", "no_such_module")
    x, y = load_iris()
    assert x.shape == (150, 4) and x.dtype == np.float32 and np.bincount(y).tolist() == [50] * 3

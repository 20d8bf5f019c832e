"""The light setting: the heavy chapters, cut down to run in the reader's browser.

In the browser (JupyterLite, Pyodide: WebAssembly, one thread, no SIMD) NumPy runs 5 to
20 times slower than on a laptop, and matrix products about 50 times slower: chapter 5's
MLPs alone would train for a quarter of an hour. So each heavy chapter takes its sizes
(epochs, training images, hidden units, configurations) from one of two settings:

- **full**: what the text describes and the stored outputs show;
- **light**: fewer epochs and smaller training sets, so that a chapter finishes in the
  browser in about two minutes. Its numbers differ from the text's, and its hidden
  checks have floors of their own.

The light setting is chosen when Python runs in WebAssembly
(``sys.platform == "emscripten"``, as under Pyodide) or when the environment variable
``NPGRAD_LIGHT`` is ``1``; ``NPGRAD_LIGHT=0`` forces the full setting anywhere. A
chapter sets its sizes for both settings in one cell near the top, which prints which
setting runs (the book's introduction explains it to the reader)::

    from course import light

    light.announce()
    num_epochs = light.pick(full=30, light=6)

and its hidden check cells may pick floors the same way
(``assert accuracy >= light.pick(full=0.98, light=0.9)``); no other cell that the reader
sees calls ``light`` (tests/book/test_teaching_cells.py).

Course tooling, not part of npgrad.
"""

from __future__ import annotations

import os
import sys
from typing import NamedTuple, TypeVar

__all__ = ["VARIABLE", "Setting", "announce", "is_light", "note", "pick", "setting"]

VARIABLE = "NPGRAD_LIGHT"
T = TypeVar("T")


class Setting(NamedTuple):
    name: str  # "full" or "light"
    reason: str  # why this one: the variable, or the platform


def setting() -> Setting:
    """Which setting runs here, and why: NPGRAD_LIGHT wins, else the platform
    decides."""
    value = os.environ.get(VARIABLE)
    if value is not None and value.strip() not in ("0", "1"):
        raise ValueError(
            f"{VARIABLE}={value!r}: use {VARIABLE}=1 for the light setting "
            f"(fewer epochs, less data) or {VARIABLE}=0 for the full one, or "
            "leave it unset to choose from the platform"
        )
    if value is not None:
        chosen = "light" if value.strip() == "1" else "full"
        return Setting(chosen, f"{VARIABLE}={value.strip()}")
    if sys.platform == "emscripten":
        return Setting("light", "in the browser, WebAssembly")
    return Setting("full", "the default outside the browser")


def is_light() -> bool:
    return setting().name == "light"


def pick(full: T, light: T) -> T:
    """`full` in the full setting, `light` in the light one (an epoch count, a floor,
    ...)."""
    return light if is_light() else full


def describe(chosen: Setting) -> str:
    """The line a chapter prints about its setting."""
    if chosen.name == "light":
        # (Not `%env NPGRAD_LIGHT=0` in the browser: chapter 5 would train for
        # 18 minutes.)
        return (
            f"Light setting ({chosen.reason}): fewer epochs and smaller training sets, "
            "so that it finishes here; the numbers differ from the text's. For the "
            "full run, run the notebook on your own computer."
        )
    # within the book's 80 columns: the stored outputs show this line
    return f"Full setting ({chosen.reason}): the text's runs and numbers."


def announce() -> None:
    """Print which setting runs and why (one line)."""
    print(describe(setting()))


def note(text: str) -> None:
    """Print `text` in the light setting only: where a cell's point does not survive
    it."""
    if is_light():
        print(f"(light setting: {text})")


def quiet_progress_bars() -> None:
    """In WebAssembly, keep tqdm from starting its monitor thread (there are no threads
    there: the first training cell printed a TqdmMonitorWarning "can't start new
    thread")."""
    if sys.platform != "emscripten":
        return
    try:
        from tqdm import tqdm
    except ImportError:  # npgrad's progress bar is optional
        return
    tqdm.monitor_interval = 0


quiet_progress_bars()  # a chapter imports this module before it trains

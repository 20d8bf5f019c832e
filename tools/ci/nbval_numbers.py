"""nbval, with numbers compared within a tolerance where the numeric pin cannot hold.

Loaded with `pytest -p tools.ci.nbval_numbers --nbval ...` (the Makefile's nbval target does).

On a machine where tools/ci/pinned_env.py reproduces the kernels that made the stored outputs
(`NPGRAD_OUTPUT_CHECK=strict`), this plugin changes nothing: nbval compares text exactly. Elsewhere
(`tolerant`: an ARM laptop, a CPU without AVX2, another NumPy) each text output is split into
numbers and the text between them. The text must match exactly (but for the spaces that pad
a number, since a number can gain a digit or a sign), and each number must agree with the stored
one within `RTOL` relative or `ATOL_DIGITS` units of its last printed decimal, whichever is larger.
A cell that fails that test is reported by nbval as usual, with both outputs.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

import pytest

# Measured off the pin (OpenBLAS Sandybridge, NumPy's SSE4.2 loops) over every chapter: the worst
# numbers were chapter 5's train-test gaps after 10 MNIST epochs (+0.0049 against +0.0084, 35 units
# of the last decimal) and its count of mistakes (180 against 171, 5 %); chapters 1 to 3 and the
# assignments printed the same text, chapter 4 differed by at most 2 units.
RTOL = 0.05  # 5 % of the stored value...
ATOL_DIGITS = 50  # ...or 50 units of its last printed decimal (0.0050 for "0.8436")
NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|[-+]?\b(?:nan|inf)\b")
SPACES = re.compile(r"[ \t]+")
ROOT = Path(__file__).resolve().parents[2]


def output_check_mode() -> tuple[str, str]:
    """(mode, reason): as set by tools/ci/pinned_env.py, or worked out here for this environment."""
    mode = os.environ.get("NPGRAD_OUTPUT_CHECK")
    if mode in ("strict", "tolerant"):
        return mode, f"NPGRAD_OUTPUT_CHECK={mode}"
    from tools.ci import pinned_env

    return pinned_env.check(pinned_env.probe(dict(os.environ)))


def _decimals(token: str) -> int:
    mantissa, _, exponent = token.lower().partition("e")
    places = len(mantissa.partition(".")[2])
    return places - int(exponent or 0)


def close(stored: str, fresh: str) -> bool:
    """Do two printed numbers agree within the stated tolerance?"""
    a, b = float(stored), float(fresh)
    if math.isnan(a) or math.isnan(b) or math.isinf(a) or math.isinf(b):
        return (math.isnan(a) and math.isnan(b)) or a == b
    places = max(_decimals(stored), _decimals(fresh))
    return abs(a - b) <= max(RTOL * abs(a), ATOL_DIGITS * 10.0 ** -places)


def same_within_tolerance(stored: str, fresh: str) -> bool:
    """The same text with the same count of numbers, each number close to the stored one."""
    stored_numbers, fresh_numbers = NUMBER.findall(stored), NUMBER.findall(fresh)
    if len(stored_numbers) != len(fresh_numbers):
        return False
    return (_text(stored) == _text(fresh)
            and all(map(close, stored_numbers, fresh_numbers)))


def _text(s: str) -> list[str]:
    """The text between the numbers, without the padding next to them."""
    return [SPACES.sub(" ", part).strip(" \t") for part in NUMBER.split(s)]


def reconcile(item, test: list, ref: list) -> list:
    """`test` with each text that matches its stored counterpart within tolerance replaced by it."""
    if len(test) != len(ref):
        return test
    out = []
    for fresh, stored in zip(test, ref, strict=True):
        fresh = type(fresh)(fresh)
        if isinstance(fresh.get("text"), str) and isinstance(stored.get("text"), str):
            fresh["text"] = _pick(item, stored["text"], fresh["text"])
        if "data" in fresh and "data" in stored:
            fresh["data"] = type(fresh["data"])(
                {key: _pick(item, stored["data"].get(key), value)
                 for key, value in fresh["data"].items()})
        out.append(fresh)
    return out


def _pick(item, stored, fresh):
    if not (isinstance(stored, str) and isinstance(fresh, str)) or stored == fresh:
        return fresh
    return stored if same_within_tolerance(item.sanitize(stored), item.sanitize(fresh)) else fresh


def pytest_configure(config):
    config._npgrad_output_check = output_check_mode()
    if config._npgrad_output_check[0] != "tolerant":
        return
    from nbval.plugin import IPyNbCell

    exact = IPyNbCell.compare_outputs

    def compare_outputs(self, test, ref, skip_compare=None):
        return exact(self, reconcile(self, test, ref), ref, skip_compare)

    IPyNbCell.compare_outputs = compare_outputs


def _summary(config) -> str:
    mode, reason = config._npgrad_output_check
    how = ("exact comparison of outputs" if mode == "strict" else
           f"numbers within {RTOL:.0%} or {ATOL_DIGITS} units of the last printed decimal, "
           "text exactly")
    return f"notebook outputs: {mode} ({how}); {reason}"


def pytest_report_header(config):
    return _summary(config)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    terminalreporter.write_line(_summary(config))


@pytest.fixture(scope="session")
def output_check_mode_fixture(pytestconfig):
    return pytestconfig._npgrad_output_check[0]

"""The numeric pin (tools/ci/pinned_env.py) and the tolerant comparison (tools/ci/nbval_numbers.py).

The last test is the proof the README promises: a short training notebook run under another
SIMD kernel fails strict comparison and passes the tolerant one, and with the pin restored the
strict comparison passes again.
"""

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from tools.ci import pinned_env
from tools.ci.nbval_numbers import close, same_within_tolerance

ROOT = Path(__file__).resolve().parents[2]

NOTEBOOK = "tests/book/notebooks/kernel_sensitive.ipynb"
V3 = {"AVX": True, "AVX2": True, "FMA3": True, "F16C": True}
HOST = pinned_env.probe({k: v for k, v in os.environ.items()
                         if k not in pinned_env.HOST_OVERRIDES})
PIN_POSSIBLE = HOST["machine"] in ("x86_64", "amd64") and pinned_env.has_v3(HOST["features"])
needs_v3 = pytest.mark.skipif(not PIN_POSSIBLE, reason=f"the x86-64-v3 pin cannot hold on this "
                              f"{platform.machine()} CPU; nbval runs in tolerant mode here")


def report(**changes) -> dict:
    """A probe's report for a machine where the pin holds, with `changes`."""
    seen = {"machine": "x86_64", "numpy": pinned_env.pinned_numpy(),
            "dispatch": ["X86_V3", "X86_V4", "AVX512_ICL", "AVX512_SPR"],
            "features": {**V3, "X86_V4": False}, "blas": "openblas", "blas_core": "Haswell"}
    return {**seen, **changes}


def test_check_is_strict_only_where_every_part_of_the_pin_holds():
    assert pinned_env.check(report())[0] == "strict"
    failing = {
        "aarch64": report(machine="aarch64", dispatch=["ASIMDHP"], features={"ASIMD": True},
                          blas_core="NEOVERSEN1"),
        "AVX-512 loops on": report(features={**V3, "X86_V4": True}),
        "no AVX2": report(features={**V3, "AVX2": False, "FMA3": False}),
        "another NumPy": report(numpy="1.26.4"),
        "another kernel": report(blas_core="SkylakeX"),
        "Accelerate": report(blas=None, blas_core=None),
    }
    for what, seen in failing.items():
        mode, reason = pinned_env.check(seen)
        assert mode == "tolerant", what
        assert reason.startswith("the x86-64-v3 pin cannot hold"), reason


def test_dispatch_targets_above_v3_are_the_avx512_ones_of_any_numpy():
    assert pinned_env.above_v3(["X86_V3", "X86_V4", "AVX512_ICL", "AVX512_SPR"]) == [
        "X86_V4", "AVX512_ICL", "AVX512_SPR"]
    old = ["SSE41", "AVX2", "FMA3", "AVX512F", "AVX512_SKX", "AVX512_ICL"]  # NumPy 1.26's names
    assert pinned_env.above_v3(old) == ["AVX512F", "AVX512_SKX", "AVX512_ICL"]


@needs_v3
def test_the_pin_overrides_what_the_host_set_and_holds_here():
    host = {**os.environ, "OPENBLAS_CORETYPE": "Sandybridge", "NPY_ENABLE_CPU_FEATURES": "X86_V2",
            "NPY_DISABLE_CPU_FEATURES": "X86_V3", "OPENBLAS_NUM_THREADS": "2"}
    env, mode, reason = pinned_env.pinned_environment(host)
    assert mode == "strict", reason
    assert env["OPENBLAS_CORETYPE"] == "Haswell" and "NPY_ENABLE_CPU_FEATURES" not in env
    assert env["NPY_DISABLE_CPU_FEATURES"].split() == pinned_env.above_v3(HOST["dispatch"])
    assert env["OPENBLAS_NUM_THREADS"] == "1" and env["PYTHONHASHSEED"] == "0"
    seen = pinned_env.probe(env)
    assert seen["blas_core"] == "Haswell" and seen["features"]["AVX2"]
    assert not any(seen["features"].get(t) for t in pinned_env.above_v3(seen["dispatch"]))


def test_a_mode_set_by_hand_wins_and_is_said():
    env, mode, reason = pinned_env.pinned_environment({**os.environ,
                                                        "NPGRAD_OUTPUT_CHECK": "tolerant"})
    assert mode == env["NPGRAD_OUTPUT_CHECK"] == "tolerant"
    assert "by hand" in reason or reason.startswith("the x86-64-v3 pin cannot hold")


@pytest.mark.parametrize("stored, fresh, same", [
    ("test accuracy 0.8436\n", "test accuracy 0.8435\n", True),  # the example
    ("gap +0.0049", "gap +0.0084", True),  # chapter 5 off the pin: 35 units of the last decimal
    ("gap +0.0049", "gap +0.0100", False),  # 51 units, and 104 %
    ("loss 0.242032", "loss 0.254000", True),  # 4.9 %
    ("loss 0.242032", "loss 0.255000", False),  # 5.4 %, and far more than 50 units
    ("epoch 10  loss 2.30", "epoch 10  loss 2.80", True),  # 50 units of the second decimal
    ("epoch 10  loss 2.30", "epoch 10  loss 2.81", False),
    ("mistakes: 180 of 10000", "mistakes: 171 of 10000", True),  # chapter 5 off the pin
    ("accuracy 0.9820", "accuracy 0.5000", False),  # what a real bug looks like
    ("wrong: 157 of 10000", "wrong: 157 of 10001", True),
    ("accuracy 0.8436", "precision 0.8436", False),  # the text must match exactly
    ("a 0.5 b 0.25", "a 0.5 b", False),  # so must the count of numbers
    ("[ 0.1234 -0.5678]", "[-0.1234 -0.5678]", False),  # a sign is part of the number
    ("[ 0.0001 -0.5678]", "[-0.0001 -0.5678]", True),  # ... and spaces can change width
    ("nan inf", "nan inf", True),
    ("loss nan", "loss 0.5", False),
])
def test_tolerant_comparison(stored, fresh, same):
    assert same_within_tolerance(stored, fresh) is same


def test_tolerance_is_relative_or_in_units_of_the_last_digit():
    assert close("1000.0", "1049.9") and not close("1000.0", "1050.1")
    assert close("0.0000", "0.0050") and not close("0.0000", "0.0051")
    assert close("1.2e-10", "1.7e-10") and not close("1.2e-10", "1e-03")


def nbval(env: dict[str, str]) -> subprocess.Popen:
    command = [sys.executable, "-m", "pytest", "-p", "tools.ci.nbval_numbers", "--nbval", NOTEBOOK,
               "--nbval-current-env", "--nbval-sanitize-with", "tools/ci/nbval_sanitize.cfg",
               "-p", "no:cacheprovider", "-q"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


@needs_v3
def test_another_kernel_fails_strict_passes_tolerant_and_the_pin_restores_strict():
    pinned, mode, reason = pinned_env.pinned_environment(dict(os.environ))
    assert mode == "strict", reason
    # OpenBLAS's AVX kernels without FMA, and NumPy's SSE4.2 loops instead of its AVX2 ones.
    other = {**pinned, "OPENBLAS_CORETYPE": "Sandybridge",
             "NPY_DISABLE_CPU_FEATURES": " ".join(["X86_V3", *pinned_env.above_v3(HOST["dispatch"])])}
    runs = {"other strict": nbval({**other, "NPGRAD_OUTPUT_CHECK": "strict"}),
            "other tolerant": nbval({**other, "NPGRAD_OUTPUT_CHECK": "tolerant"}),
            "pinned strict": nbval(pinned)}
    out = {name: (run.communicate(timeout=300)[0], run.returncode) for name, run in runs.items()}
    text, code = out["other strict"]
    assert code == 1 and "Cell outputs differ" in text and "loss" in text, text
    assert "notebook outputs: strict" in text
    for name in ("other tolerant", "pinned strict"):
        text, code = out[name]
        assert code == 0 and "3 passed" in text, (name, text)
        assert f"notebook outputs: {name.split()[1]}" in text

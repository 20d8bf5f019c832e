"""Run a command in the fixed numeric environment the stored notebook outputs were made in.

    python tools/ci/pinned_env.py COMMAND [ARG ...]     # run COMMAND pinned (the Makefile does)
    python tools/ci/pinned_env.py --show                # print the pinned variables and the mode

Float32 training is chaotic: a different rounding in one matmul kernel or one `exp` loop shows up
in the fourth printed decimal a few epochs later. NumPy and OpenBLAS pick their SIMD kernels at
run time from the CPU, so the same wheel computes different bits on an AVX-512 machine and on an
AVX2 one. This module pins both to x86-64-v3 (AVX2 and FMA, which every current x86-64 CPU has),
whatever the host supports beyond it:

- NumPy 2.x reads `NPY_DISABLE_CPU_FEATURES` at import: every dispatch target above x86-64-v3 that
  this NumPy was built with (`X86_V4`, `AVX512_ICL`, `AVX512_SPR` in NumPy 2.4; the `AVX512*`
  names in older releases) is disabled, so its universal functions run their AVX2 loops.
  (`NPY_ENABLE_CPU_FEATURES`, which NumPy refuses beside it, is removed.)
- OpenBLAS, built with DYNAMIC_ARCH as in NumPy's wheels, reads `OPENBLAS_CORETYPE` when it is
  loaded: `Haswell` selects its AVX2/FMA kernels, whatever core it would have detected; a value
  the host set for its own reasons is replaced (and `OPENBLAS_L2_SIZE`, which only older cores'
  blocking reads, is left alone).
- One thread everywhere (a threaded reduction adds in a different order) and a fixed hash seed.

The pin is then checked, not assumed: a child Python imports NumPy in the pinned environment and
reports which dispatch targets are on and which kernel OpenBLAS runs. Where the pin holds (an
x86-64 CPU with AVX2 and FMA, the NumPy pinned in requirements.txt, OpenBLAS on Haswell) the
stored outputs are reproduced bit for bit and compared strictly. Where it cannot hold (an ARM
laptop, a CPU without AVX2, another NumPy or BLAS), numbers are compared within a tolerance and
the rest of the text exactly (tools/ci/nbval_numbers.py). `NPGRAD_OUTPUT_CHECK=strict|tolerant`
tells the tests which; set it yourself to force a mode.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODE_VARIABLE = "NPGRAD_OUTPUT_CHECK"
MODES = ("strict", "tolerant")
OPENBLAS_CORE = "Haswell"
FIXED = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
         "PYTHONHASHSEED": "0"}
# Variables through which a host could change NumPy's or OpenBLAS's choice of kernel.
HOST_OVERRIDES = ("NPY_DISABLE_CPU_FEATURES", "NPY_ENABLE_CPU_FEATURES", "OPENBLAS_CORETYPE")

PROBE = """
import json, platform
import numpy
from numpy._core import _multiarray_umath as umath
try:
    from threadpoolctl import threadpool_info
    blas = [i for i in threadpool_info() if i["user_api"] == "blas"]
except ImportError:  # a grader's light install: the kernel cannot be checked
    blas = [{"internal_api": "unknown (no threadpoolctl)", "architecture": None}]
print(json.dumps({
    "machine": platform.machine().lower(),
    "numpy": numpy.__version__,
    "dispatch": list(umath.__cpu_dispatch__),
    "features": {k: bool(v) for k, v in umath.__cpu_features__.items()},
    "blas": blas[0]["internal_api"] if blas else None,
    "blas_core": blas[0].get("architecture") if blas else None,
}))
"""


def probe(env: dict[str, str], python: str = sys.executable) -> dict:
    """What NumPy and its BLAS do under `env`, as reported by a fresh interpreter."""
    out = subprocess.run([python, "-c", PROBE], env=env, capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout)


def above_v3(dispatch: list[str]) -> list[str]:
    """NumPy's dispatch targets beyond x86-64-v3: the AVX-512 families."""
    return [t for t in dispatch if t == "X86_V4" or t.startswith("AVX512")]


def has_v3(features: dict[str, bool]) -> bool:
    return all(features.get(f, False) for f in ("AVX", "AVX2", "FMA3", "F16C"))


def pinned_numpy() -> str | None:
    """The NumPy version requirements.txt pins (the one that made the stored outputs)."""
    text = (ROOT / "requirements.txt").read_text()
    found = re.search(r"^numpy==(\S+)", text, re.MULTILINE)
    return found.group(1) if found else None


def pinned_environment(base: dict[str, str], python: str = sys.executable):
    """(env, mode, reason): `base` with the pin applied where the host allows it."""
    env = {k: v for k, v in base.items() if k not in HOST_OVERRIDES}
    env.update(FIXED)
    host = probe(env, python)
    if host["machine"] in ("x86_64", "amd64") and has_v3(host["features"]):
        extra = above_v3(host["dispatch"])
        if extra:
            env["NPY_DISABLE_CPU_FEATURES"] = " ".join(extra)
        if host["blas"] == "openblas":
            env["OPENBLAS_CORETYPE"] = OPENBLAS_CORE
    mode, reason = check(probe(env, python))
    forced = base.get(MODE_VARIABLE)
    if forced in MODES and forced != mode:
        mode, reason = forced, f"{reason}; {MODE_VARIABLE}={forced} set by hand"
    env[MODE_VARIABLE] = mode
    return env, mode, reason


def check(seen: dict) -> tuple[str, str]:
    """Does the environment `seen` (a probe's report) reproduce the stored outputs bit for bit?"""
    on = [t for t in above_v3(seen["dispatch"]) if seen["features"].get(t)]
    problems = []
    if seen["machine"] not in ("x86_64", "amd64"):
        problems.append(f"{seen['machine']} CPU, not x86-64")
    elif not has_v3(seen["features"]):
        problems.append("the CPU lacks AVX2/FMA (x86-64-v3)")
    if on:
        problems.append(f"NumPy dispatches {' '.join(on)}")
    if seen["numpy"] != pinned_numpy():
        problems.append(f"NumPy {seen['numpy']}, not {pinned_numpy()}")
    if (seen["blas"], seen["blas_core"]) != ("openblas", OPENBLAS_CORE):
        problems.append(f"BLAS {seen['blas']} on {seen['blas_core']}, not OpenBLAS on {OPENBLAS_CORE}")
    if problems:
        return "tolerant", "the x86-64-v3 pin cannot hold: " + "; ".join(problems)
    return "strict", (f"x86-64-v3 pin holds: NumPy {seen['numpy']} up to AVX2, "
                      f"OpenBLAS {OPENBLAS_CORE} kernel, one thread")


def describe(mode: str, reason: str) -> str:
    how = ("stored outputs compared exactly" if mode == "strict" else
           "numbers compared within a tolerance, the rest of the text exactly")
    return f"numeric environment: {reason} -> {mode}: {how}"


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    env, mode, reason = pinned_environment(dict(os.environ))
    if argv[0] == "--show":
        for key in sorted(set(env) - set(os.environ) | {k for k in env if env[k] != os.environ.get(k)}):
            print(f"{key}={env[key]}")
        print(describe(mode, reason))
        return 0
    print(describe(mode, reason), file=sys.stderr, flush=True)
    os.execvpe(argv[0], argv, env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The matrix product the ops call: NumPy's `@`, or SciPy's BLAS in the browser.

In Pyodide (WebAssembly) NumPy's `@` has no BLAS behind it and runs at about
1 GFLOP/s; SciPy's OpenBLAS is 2x to 2.5x faster on the book's shapes. So under
WebAssembly (SciPy loaded at the first product big enough to gain: browser.py), a
float32 or float64 product of 2-D matrices, or a stack of them, goes to BLAS's
gemm; everything else, and everything on a laptop, is plain `a @ b`.

BLAS is Fortran: column-major. A C-ordered (m, k) array is, read column-major, its
own (k, m) transpose, so C = A B is computed as C^T = B^T A^T from the arrays as
they are, without copying them; a transposed view (F-ordered) is passed with
gemm's transpose flag instead.
"""

from __future__ import annotations

import importlib
import sys

import numpy as np

from npgrad.browser import load_package

# Below this many multiply-adds (m * k * n) a gemm call costs more than it saves:
# measured in Pyodide 0.27.7 (Node, float32), gemm ran at 0.6x to 0.7x `@`'s speed at
# 32 * 32 * 32 and 64 * 32 * 32, 1.6x at 128 * 64 * 16, 2x to 2.5x at the MLP's.
MIN_FLOPS = 100_000


def matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """a @ b, through BLAS's gemm where that is the faster path (see above); written
    into out if given (a 2-D product then writes there directly in both paths)."""
    if not _use_blas:  # natively: nothing else runs
        return np.matmul(a, b, out=out)
    gemm = _gemm_for(a, b)
    if gemm is None:
        return np.matmul(a, b, out=out)
    if a.ndim == 2 and b.ndim == 2:
        return _gemm_2d(gemm, a, b, out)
    if out is not None:
        out[...] = matmul(a, b)
        return out
    if b.ndim == 2 and a.flags.c_contiguous:  # a stack of rows times one matrix
        rows = _gemm_2d(gemm, a.reshape(-1, a.shape[-1]), b)
        return rows.reshape(*a.shape[:-1], b.shape[-1])
    out = np.empty((*a.shape[:-1], b.shape[-1]), dtype=a.dtype)
    for i in np.ndindex(*a.shape[:-2]):
        out[i] = _gemm_2d(gemm, a[i], b if b.ndim == 2 else b[i])
    return out


def _gemm_for(a: np.ndarray, b: np.ndarray):
    """SciPy's sgemm/dgemm for this product, or None where `@` is the path."""
    if a.dtype != b.dtype or a.dtype not in (np.float32, np.float64):
        return None
    if a.ndim < 2 or b.ndim < 2 or (b.ndim > 2 and a.shape[:-2] != b.shape[:-2]):
        return None  # vectors and broadcast batches stay with `@`
    k, n = a.shape[-1], b.shape[-1]
    rows = a.size // max(k, 1) if b.ndim == 2 and a.flags.c_contiguous else a.shape[-2]
    if rows * k * n < MIN_FLOPS or (blas := _scipy_blas()) is None:
        return None  # rows: of one gemm call (a stack of rows is one call)
    return blas.sgemm if a.dtype == np.float32 else blas.dgemm


def _gemm_2d(gemm, a: np.ndarray, b: np.ndarray, out=None) -> np.ndarray:
    """C = A B as C^T = B^T A^T in column-major terms; returns C C-ordered, or
    written into out (gemm writes into a C-ordered out directly: its transpose is
    column-major; SciPy copies any other, and the result is copied back)."""
    bt, trans_b = _fortran(b)
    at, trans_a = _fortran(a)
    if out is None:
        return gemm(1.0, bt, at, trans_a=trans_b, trans_b=trans_a).T
    ct = gemm(1.0, bt, at, 0.0, out.T, trans_a=trans_b, trans_b=trans_a, overwrite_c=1)
    if not np.shares_memory(ct, out):
        out[...] = ct.T
    return out


def _fortran(x: np.ndarray) -> tuple[np.ndarray, int]:
    """x^T as gemm wants it: a column-major array and whether to transpose it."""
    if x.flags.c_contiguous:
        return x.T, 0  # x^T, column-major, no copy
    if x.flags.f_contiguous:
        return x, 1  # x itself is column-major: gemm transposes it
    return np.ascontiguousarray(x).T, 0


_blas = None  # scipy.linalg.blas once chosen, False where `@` is the path
_use_blas = sys.platform == "emscripten"


def _scipy_blas():
    """scipy.linalg.blas under WebAssembly, SciPy loaded at the first product that
    wants it (browser.py); None natively or where SciPy cannot be loaded."""
    global _blas
    if _blas is None and _use_blas:
        _blas = load_package("scipy", "scipy") and importlib.import_module(
            "scipy.linalg.blas"
        )
    return _blas or None

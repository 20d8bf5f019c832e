"""npgrad.blas: the WebAssembly path (SciPy's gemm) forced natively, against `@`.

Natively the ops must run plain `a @ b` (the stored notebook outputs depend on it, bit
for bit); under WebAssembly a float product goes through sgemm/dgemm with no layout
copy. Both are checked here: the forced path gives `@`'s result within the dtype's
rounding for every layout, and calls gemm exactly where it should.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg.blas

import npgrad
from npgrad import blas, gradcheck

TOLERANCE = {np.float32: 2e-5, np.float64: 1e-12}


@pytest.fixture
def wasm_path(monkeypatch):
    """The WebAssembly path, with gemm calls counted: returns the list of calls."""
    calls = []

    def counted(gemm):
        def wrapper(*args, **kwargs):
            calls.append(gemm.__name__.split()[-1])
            return gemm(*args, **kwargs)

        return wrapper

    class CountedBlas:
        sgemm = staticmethod(counted(scipy.linalg.blas.sgemm))
        dgemm = staticmethod(counted(scipy.linalg.blas.dgemm))

    monkeypatch.setattr(blas, "_use_blas", True)
    monkeypatch.setattr(blas, "_blas", CountedBlas)
    return calls


def layouts(rng, shape, dtype):
    """The same matrix (or stack) C-ordered, F-ordered, as a transposed view and
    strided (a slice with a step): each one's name and array."""
    x = rng.standard_normal(shape).astype(dtype)
    swapped = np.ascontiguousarray(np.swapaxes(x, -1, -2))
    wide = np.zeros((*shape[:-1], 2 * shape[-1]), dtype=dtype)
    wide[..., ::2] = x
    return {
        "C": x,
        "F": np.asfortranarray(x),
        "transposed view": np.swapaxes(swapped, -1, -2),
        "strided": wide[..., ::2],
    }


def check(result, expected, dtype):
    assert result.dtype == expected.dtype == dtype
    assert result.shape == expected.shape
    assert result.flags.c_contiguous
    scale = np.abs(expected).max()
    np.testing.assert_allclose(result, expected, rtol=0, atol=TOLERANCE[dtype] * scale)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "shape_a, shape_b",
    [((64, 784), (784, 256)), ((256, 64), (64, 10)), ((5, 64, 48), (48, 40)),
     ((4, 64, 48), (4, 48, 40))],
)
def test_gemm_equals_matmul_for_every_layout(wasm_path, dtype, shape_a, shape_b):
    rng = np.random.default_rng(0)
    for name_a, a in layouts(rng, shape_a, dtype).items():
        for name_b, b in layouts(rng, shape_b, dtype).items():
            wasm_path.clear()
            check(blas.matmul(a, b), a @ b, dtype)
            assert wasm_path, f"{name_a} @ {name_b} did not go through gemm"
            assert set(wasm_path) == {"sgemm" if dtype == np.float32 else "dgemm"}


@pytest.mark.parametrize(
    "a, b",
    [
        (np.ones((3, 4), np.float32), np.ones((4, 2), np.float32)),  # tiny
        (np.ones((32, 32), np.float32), np.ones((32, 32), np.float32)),  # small
        (np.ones((2, 500, 0), np.float32), np.ones((0, 500), np.float32)),  # empty
        (np.ones((64, 64), np.float32), np.ones((64, 64), np.float64)),  # mixed
        (np.ones((64, 64), np.int64), np.ones((64, 64), np.int64)),  # integers
        (np.ones(64, np.float32), np.ones((64, 64), np.float32)),  # a vector
        (np.ones((2, 64, 64), np.float32), np.ones((3, 1, 64, 64), np.float32)),
        (np.ones((64, 64), np.float32), np.ones((2, 64, 64), np.float32)),
    ],
)
def test_what_gemm_does_not_cover_stays_with_matmul(wasm_path, a, b):
    assert np.array_equal(blas.matmul(a, b), a @ b)
    assert wasm_path == []


def test_natively_the_ops_run_plain_matmul(monkeypatch):
    monkeypatch.setattr(blas, "_blas", None)
    assert blas._use_blas is False and blas._scipy_blas() is None
    rng = np.random.default_rng(1)
    a = rng.standard_normal((64, 100)).astype(np.float32)
    b = rng.standard_normal((100, 30)).astype(np.float32)
    assert np.array_equal(blas.matmul(a, b), a @ b)


def test_the_wasm_path_chooses_once_whether_scipy_loads(monkeypatch):
    monkeypatch.setattr(blas, "_use_blas", True)
    monkeypatch.setattr(blas, "_blas", None)
    assert blas._scipy_blas() is scipy.linalg.blas  # natively: installed, imported
    monkeypatch.setattr(blas, "_blas", None)
    monkeypatch.setattr(blas, "load_package", lambda name, module: False)
    a = np.ones((64, 64), np.float32)
    assert np.array_equal(blas.matmul(a, a), a @ a)
    assert blas._blas is False  # chosen: `@` from now on
    monkeypatch.setattr(blas, "load_package", lambda name, module: 1 / 0)
    assert np.array_equal(blas.matmul(a, a), a @ a)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linear_and_matmul_forward_backward_on_the_wasm_path(monkeypatch, dtype):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 32, 48)).astype(dtype)
    w = rng.standard_normal((20, 48)).astype(dtype)
    m = rng.standard_normal((4, 48, 20)).astype(dtype)

    def run():
        tx, tw, tm = (npgrad.tensor(v, requires_grad=True) for v in (x, w, m))
        y = npgrad.functional.linear(tx, tw) * 2 + (tx @ tm)
        (y * y).sum().backward()
        return [v.numpy() for v in (y, tx.grad, tw.grad, tm.grad)]

    native = run()
    monkeypatch.setattr(blas, "_use_blas", True)
    monkeypatch.setattr(blas, "_blas", scipy.linalg.blas)
    for result, expected in zip(run(), native, strict=True):
        check(result, expected, dtype)


def test_gradients_on_the_wasm_path_pass_central_differences(monkeypatch):
    monkeypatch.setattr(blas, "_use_blas", True)
    monkeypatch.setattr(blas, "_blas", scipy.linalg.blas)
    monkeypatch.setattr(blas, "MIN_FLOPS", 1)
    rng = np.random.default_rng(3)
    x = npgrad.tensor(rng.standard_normal((3, 5, 4)), requires_grad=True)
    w = npgrad.tensor(rng.standard_normal((6, 4)), requires_grad=True)
    m = npgrad.tensor(rng.standard_normal((3, 4, 2)), requires_grad=True)
    assert gradcheck(npgrad.functional.linear, x, w)
    assert gradcheck(lambda x, m: x @ m, x, m)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("order", ["C", "F"])
def test_out_is_written_in_place_on_both_paths(monkeypatch, wasm_path, dtype, order):
    """matmul(a, b, out=) fills out (C-ordered: gemm writes there; F-ordered: SciPy
    works on a copy, copied back) and returns it; natively it is np.matmul's out."""
    rng = np.random.default_rng(3)
    a = rng.standard_normal((64, 128)).astype(dtype)
    b = rng.standard_normal((128, 96)).astype(dtype)
    for use_blas in (True, False):
        monkeypatch.setattr(blas, "_use_blas", use_blas)
        out = np.full((64, 96), np.nan, dtype, order=order)  # beta = 0: NaN ignored
        wasm_path.clear()
        assert blas.matmul(a, b, out=out) is out
        np.testing.assert_allclose(out, a @ b, rtol=0,
                                   atol=TOLERANCE[dtype] * np.abs(a @ b).max())
        assert bool(wasm_path) == use_blas

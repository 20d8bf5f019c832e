"""gradcheck: passes a correct backward, catches a wrong one and says where, works in float64."""

import numpy as np
import pytest

from npgrad import Function, Tensor, gradcheck
from npgrad.gradcheck import GradcheckError


class ScaledSin(Function):
    """f(a, b) = a sin(b): df/da = sin(b), df/db = a cos(b)."""

    seen_dtypes = []  # what forward was given, to check that gradcheck works in float64

    def forward(self, a, b):
        ScaledSin.seen_dtypes.append((a.dtype, b.dtype))
        self.a, self.b = a, b
        return a * np.sin(b)

    def backward(self, grad):
        return grad * np.sin(self.b), grad * self.a * np.cos(self.b)


class WrongAtOneElement(ScaledSin):
    """df/db off by 0.5 at element (1, 2) only: a bug a spot check of one element would miss."""

    def backward(self, grad):
        ga, gb = super().backward(grad)
        gb = gb.copy()
        gb[1, 2] += 0.5
        return ga, gb


class CubeWithSquareBackward(Function):
    """x^3, with the derivative 3x^2 mistaken for 2x^2."""

    def forward(self, x):
        self.x = x
        return x**3

    def backward(self, grad):
        return grad * 2 * self.x**2


def inputs(dtype=np.float64):
    rng = np.random.default_rng(0)
    return rng.standard_normal((2, 3)).astype(dtype), rng.standard_normal((2, 3)).astype(dtype)


def test_a_correct_backward_passes():
    result = gradcheck(ScaledSin.apply, *inputs())
    assert result.ok and bool(result)
    assert result.abs_error < 1e-6
    assert "passed" in str(result)


def test_a_wrong_backward_raises_and_says_where():
    x = np.array([0.5, -1.0, 2.0])
    with pytest.raises(GradcheckError, match=r"FAILED.*input 0, element \(2,\)"):
        gradcheck(CubeWithSquareBackward.apply, x)  # the error, x^2 |v|, is largest at x = 2


def test_a_wrong_backward_returns_a_failed_result_naming_the_input_and_element():
    result = gradcheck(WrongAtOneElement.apply, *inputs(), raise_exception=False)
    assert not result.ok and not bool(result)
    assert result.worst == "input 1, element (1, 2)"
    assert result.abs_error == pytest.approx(0.5, abs=1e-6)  # the error we planted, and no other
    assert "FAILED" in str(result) and "input 1, element (1, 2)" in str(result)


def test_a_gradient_that_never_arrives_fails():
    # b is used but detached, so autograd gives it no gradient while its numeric one is a
    a, b = inputs()
    result = gradcheck(lambda a, b: a * b.detach(), a, b, raise_exception=False)
    assert not result.ok
    assert result.worst.startswith("input 1,")


def test_an_input_the_output_does_not_depend_on_passes():
    a, b = inputs()
    assert gradcheck(lambda a, b: a * 2.0, a, b).ok


def test_an_exact_zero_gradient_reports_a_zero_relative_error_not_nan():
    # a mask zeroes some entries: there both gradients are 0 and the relative error is 0
    x = np.arange(1.0, 7.0).reshape(2, 3)
    mask = np.array([[1.0, 0.0, 2.0], [0.0, 3.0, 0.0]])
    result = gradcheck(lambda x: x * mask, x)
    assert result.ok and not np.isnan(result.rel_error)
    assert "nan" not in str(result)


@pytest.mark.parametrize("as_tensor", [False, True])
def test_float32_inputs_are_checked_in_float64(as_tensor):
    a, b = inputs(np.float32)
    if as_tensor:
        a, b = Tensor(a, requires_grad=True), Tensor(b)
    ScaledSin.seen_dtypes.clear()
    # in float32, central differences with eps = 1e-6 would be pure rounding noise and fail
    assert gradcheck(ScaledSin.apply, a, b).ok
    assert ScaledSin.seen_dtypes and set(ScaledSin.seen_dtypes) == {(np.dtype(np.float64),) * 2}


def test_the_callers_inputs_are_left_untouched():
    a = Tensor(np.array([0.3, -0.7]), requires_grad=True)
    b = np.array([1.0, 2.0])
    gradcheck(ScaledSin.apply, a, b)
    np.testing.assert_array_equal(a.data, [0.3, -0.7])
    np.testing.assert_array_equal(b, [1.0, 2.0])
    assert a.grad is None  # gradcheck works on its own copies

"""Compare autograd's gradients with central differences, in float64."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from npgrad.tensor import Tensor


class GradcheckError(AssertionError):
    """Autograd and central differences disagree."""


@dataclass
class GradcheckResult:
    ok: bool
    abs_error: float
    rel_error: float
    # the input and element furthest outside the tolerance; the errors are its own
    worst: str

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        verdict = "passed" if self.ok else "FAILED"
        return (
            f"gradcheck {verdict}: abs error {self.abs_error:.1e}, "
            f"rel error {self.rel_error:.1e} at {self.worst}"
        )


def gradcheck(
    fn: Callable[..., Tensor],
    *inputs,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
    raise_exception: bool = True,
) -> GradcheckResult:
    """Check d<fn(inputs), v>/d input against (f(x + eps) - f(x - eps)) / (2 eps), v
    random.

    Inputs are copied to float64 tensors that require grad; fn may return any shape.
    """
    xs = [
        Tensor(np.array(getattr(x, "data", x), dtype=np.float64), requires_grad=True)
        for x in inputs
    ]
    out = fn(*xs)
    v = np.random.default_rng(seed).standard_normal(
        out.shape
    )  # a random direction in output space
    (out * v).sum().backward()
    result = GradcheckResult(True, 0.0, 0.0, "nowhere")
    worst_excess = -np.inf
    for i, x in enumerate(xs):
        numeric = _central_differences(
            lambda: float((fn(*xs).data * v).sum()), x.data, eps
        )
        analytic = np.zeros_like(x.data) if x.grad is None else x.grad.data
        error = np.abs(analytic - numeric)
        excess = error - (
            atol + rtol * np.abs(numeric)
        )  # > 0 where the tolerance is exceeded
        if x.data.size and excess.max() > worst_excess:
            j = np.unravel_index(np.argmax(excess), excess.shape)
            worst_excess = excess[j]
            rel = (
                error[j] / np.abs(numeric[j])
                if numeric[j]
                else (np.inf if error[j] else 0.0)
            )
            where = f"input {i}, element {tuple(int(k) for k in j)}"
            result = GradcheckResult(
                bool(worst_excess <= 0), float(error[j]), float(rel), where
            )
    if raise_exception and not result.ok:
        raise GradcheckError(str(result))
    return result


def _central_differences(
    f: Callable[[], float], x: np.ndarray, eps: float
) -> np.ndarray:
    """df/dx_i ~ (f(x + eps e_i) - f(x - eps e_i)) / (2 eps), for every i.

    x is changed in place, and restored after each entry."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        original = x[i]
        x[i] = original + eps
        up = f()
        x[i] = original - eps
        down = f()
        x[i] = original
        grad[i] = (up - down) / (2 * eps)
    return grad

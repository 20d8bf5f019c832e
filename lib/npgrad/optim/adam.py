"""Adam: running means of the gradient and its square, bias-corrected."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from npgrad.optim.optimizer import Optimizer, hyperparameters


class Adam(Optimizer):
    """m, s <- running means of g and g^2;  w <- w - lr m_hat / (sqrt(s_hat) + eps).

    m_hat and s_hat are bias-corrected. weight_decay adds wd w to the gradient (L2 in
    the loss), unless decoupled_weight_decay=True: then w shrinks by the factor
    1 - lr wd before the step, as in AdamW. amsgrad=True divides by the largest s seen
    so far, so the step for a parameter never grows from a fall in s.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False, *,
                 maximize: bool = False, decoupled_weight_decay: bool = False) -> None:
        super().__init__(params, hyperparameters(locals()))

    def _check_group(self, group):
        super()._check_group(group)
        betas, eps, weight_decay = group["betas"], group["eps"], group["weight_decay"]
        if len(betas) != 2:
            raise ValueError(f"{type(self).__name__}: betas must be a pair "
                             f"(beta1, beta2), got {betas}")
        usual = "the decay of a running mean; (0.9, 0.999) is usual"
        self._check(**{f"betas[{i}]": (0 <= b < 1, f"in [0, 1) ({usual}), got {b}")
                       for i, b in enumerate(betas)},
                    eps=(eps >= 0, f">= 0, got {eps}"),
                    weight_decay=(weight_decay >= 0, f">= 0, got {weight_decay}"))

    def update(self, param, grad, state, group):
        lr, wd = group["lr"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        if wd and group["decoupled_weight_decay"]:
            param *= 1 - lr * wd
        elif wd:
            grad = grad + wd * param
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(param),
                         exp_avg_sq=np.zeros_like(param))
        state["step"] += 1
        m, s = state["exp_avg"], state["exp_avg_sq"]
        # The docstring's formulas, each operation in place in one of two
        # scratch arrays a and b. A new array per operation, as in
        # m += (1 - beta1) * (grad - m), made this update slower than the
        # forward and backward passes of an MNIST MLP. The same operations in
        # the same order: the same bits.
        a, b = np.subtract(grad, m), np.multiply(grad, grad)
        a *= 1 - beta1
        m += a  # m += (1 - beta1) (g - m)
        b -= s
        b *= 1 - beta2
        s += b  # s += (1 - beta2) (g^2 - s)
        if group["amsgrad"]:
            s = state.setdefault("max_exp_avg_sq", np.zeros_like(param))
            np.maximum(s, state["exp_avg_sq"], out=s)
        np.divide(s, 1 - beta2 ** state["step"], out=b)  # s_hat
        np.sqrt(b, out=b)
        b += group["eps"]
        np.divide(m, 1 - beta1 ** state["step"], out=a)  # m_hat
        a *= lr
        a /= b
        param -= a  # w -= lr m_hat / (sqrt(s_hat) + eps)

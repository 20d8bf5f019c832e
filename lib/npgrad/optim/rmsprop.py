"""RMSprop: each coordinate's step divided by its running root mean square."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from npgrad.optim.optimizer import Optimizer, hyperparameters


class RMSprop(Optimizer):
    """s <- alpha s + (1 - alpha) g^2;  w <- w - lr g / (sqrt(s) + eps).

    centered=True divides by the standard deviation sqrt(s - m^2) instead, m the running
    mean of g; momentum > 0 accumulates the divided gradient in a buffer, as SGD does.
    Where npgrad differs from PyTorch: alpha = 1 is refused (s would stay 0, and every
    step divide by eps); PyTorch accepts it.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False, *, maximize: bool = False) -> None:
        super().__init__(params, hyperparameters(locals()))

    def _check_group(self, group):
        super()._check_group(group)
        alpha, eps = group["alpha"], group["eps"]
        momentum, weight_decay = group["momentum"], group["weight_decay"]
        self._check(alpha=(0 <= alpha < 1, f"in [0, 1) (0.99 is usual), got {alpha}"),
                    eps=(eps >= 0, f">= 0, got {eps}"),
                    momentum=(momentum >= 0, f">= 0, got {momentum}"),
                    weight_decay=(weight_decay >= 0, f">= 0, got {weight_decay}"))

    def update(self, param, grad, state, group):
        alpha, momentum = group["alpha"], group["momentum"]
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param
        if not state:
            state.update(step=0, square_avg=np.zeros_like(param))
        state["step"] += 1
        s = state["square_avg"]
        s += (1 - alpha) * (grad * grad - s)
        if group["centered"]:
            m = state.setdefault("grad_avg", np.zeros_like(param))
            m += (1 - alpha) * (grad - m)
            scale = np.sqrt(s - m * m) + group["eps"]
        else:
            scale = np.sqrt(s) + group["eps"]
        step = grad / scale
        if momentum:
            buf = state.setdefault("momentum_buffer", np.zeros_like(param))
            buf *= momentum
            buf += step
            step = buf
        param -= group["lr"] * step

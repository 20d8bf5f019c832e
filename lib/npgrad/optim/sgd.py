"""SGD, with momentum, Nesterov's look-ahead and weight decay (torch.optim.SGD)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from npgrad.optim.optimizer import Optimizer, hyperparameters


class SGD(Optimizer):
    """v <- momentum v + (1 - dampening) (g + wd w);  w <- w - lr v.

    Plain SGD when momentum = 0. With nesterov=True the step uses g + momentum v, the
    gradient after a look-ahead.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0,
                 nesterov: bool = False, *, maximize: bool = False) -> None:
        super().__init__(params, hyperparameters(locals()))

    def _check_group(self, group):
        super()._check_group(group)
        momentum, dampening = group["momentum"], group["dampening"]
        self._check(momentum=(momentum >= 0, f">= 0 (0.9 is usual), got {momentum}"),
                    weight_decay=(group["weight_decay"] >= 0,
                                  f">= 0, got {group['weight_decay']}"))
        if group["nesterov"] and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum needs momentum > 0 and dampening "
                             f"= 0, got momentum={momentum}, dampening={dampening}")

    def update(self, param, grad, state, group):
        momentum, weight_decay = group["momentum"], group["weight_decay"]
        if weight_decay:
            grad = grad + weight_decay * param
        if momentum:
            if "momentum_buffer" in state:
                buf = state["momentum_buffer"]
                buf *= momentum
                buf += (1 - group["dampening"]) * grad
            else:  # order="K": laid out as the gradient, so as the parameter
                buf = state["momentum_buffer"] = grad.copy(order="K")
            grad = grad + momentum * buf if group["nesterov"] else buf
        param -= group["lr"] * grad

"""Optimizers: update parameters in place from their .grad, as torch.optim does.

`npgrad.optim.lr_scheduler` (the module `npgrad/lr_scheduler.py`) changes their learning rate
over training, as `torch.optim.lr_scheduler` does.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

import numpy as np

from npgrad import lr_scheduler
from npgrad.tensor import Tensor

# PyTorch's import path: `from npgrad.optim.lr_scheduler import StepLR` finds this module
sys.modules[f"{__name__}.lr_scheduler"] = lr_scheduler


class Optimizer:
    """The parameters, one state dict per parameter, and one parameter group holding the lr.

    PyTorch keeps hyperparameters in `param_groups`, a list of dicts, so that a scheduler can
    set `group["lr"]`. npgrad has one group (all parameters share the hyperparameters); its
    "lr" is also `optimizer.lr`.
    """

    def __init__(self, params: Iterable[Tensor], lr: float) -> None:
        self.params = list(params)
        name = type(self).__name__
        if not self.params:
            raise ValueError(f"{name}: got an empty parameter list; pass model.parameters()")
        if any(isinstance(p, dict) for p in self.params):
            raise TypeError(f"{name}: npgrad has a single parameter group; pass the parameters "
                            "(model.parameters()), not dicts of per-group options")
        if lr <= 0:
            raise ValueError(f"{name}: the learning rate must be positive, got {lr}")
        self.param_groups = [{"params": self.params, "lr": lr}]
        self.state: list[dict[str, np.ndarray]] = [{} for _ in self.params]  # one per parameter

    @property
    def lr(self) -> float:
        return self.param_groups[0]["lr"]

    @lr.setter
    def lr(self, value: float) -> None:
        self.param_groups[0]["lr"] = value

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        for p, state in zip(self.params, self.state, strict=True):
            if p.grad is not None:
                self.update(p.data, p.grad.data, state)

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, np.ndarray]) -> None:
        raise NotImplementedError

    def _check(self, **conditions: tuple[bool, str]) -> None:
        """Raise ValueError naming the first hyperparameter whose condition is false."""
        for option, (ok, allowed) in conditions.items():
            if not ok:
                raise ValueError(f"{type(self).__name__}: {option} must be {allowed}")


class SGD(Optimizer):
    """v <- momentum v + (1 - dampening) (g + wd w);  w <- w - lr v  (plain SGD when momentum = 0).

    With nesterov=True the step uses g + momentum v, the gradient after a look-ahead.
    """

    def __init__(self, params: Iterable[Tensor], lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False) -> None:
        super().__init__(params, lr)
        self._check(momentum=(momentum >= 0, f">= 0 (0.9 is usual), got {momentum}"),
                    weight_decay=(weight_decay >= 0, f">= 0, got {weight_decay}"))
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum needs momentum > 0 and dampening = 0, got "
                             f"momentum={momentum}, dampening={dampening}")
        self.momentum, self.dampening, self.weight_decay = momentum, dampening, weight_decay
        self.nesterov = nesterov

    def update(self, param, grad, state):
        if self.weight_decay:
            grad = grad + self.weight_decay * param
        if self.momentum:
            if "velocity" in state:
                state["velocity"] *= self.momentum
                state["velocity"] += (1 - self.dampening) * grad
            else:
                state["velocity"] = grad.copy()
            if self.nesterov:
                grad = grad + self.momentum * state["velocity"]
            else:
                grad = state["velocity"]
        param -= self.lr * grad


class RMSprop(Optimizer):
    """v <- alpha v + (1 - alpha) g^2;  w <- w - lr g / (sqrt(v) + eps).

    centered=True divides by the standard deviation sqrt(v - m^2) instead, m the running mean
    of g; momentum > 0 accumulates the divided gradient in a velocity, as SGD does.
    """

    def __init__(self, params: Iterable[Tensor], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False) -> None:
        super().__init__(params, lr)
        self._check(alpha=(0 <= alpha < 1, f"in [0, 1) (0.99 is usual), got {alpha}"),
                    eps=(eps >= 0, f">= 0, got {eps}"),
                    momentum=(momentum >= 0, f">= 0, got {momentum}"),
                    weight_decay=(weight_decay >= 0, f">= 0, got {weight_decay}"))
        self.alpha, self.eps, self.weight_decay = alpha, eps, weight_decay
        self.momentum, self.centered = momentum, centered

    def update(self, param, grad, state):
        if self.weight_decay:
            grad = grad + self.weight_decay * param
        if not state:
            state.update(v=np.zeros_like(param), m=np.zeros_like(param), velocity=np.zeros_like(param))
        state["v"] += (1 - self.alpha) * (grad * grad - state["v"])
        if self.centered:
            state["m"] += (1 - self.alpha) * (grad - state["m"])
            scale = np.sqrt(state["v"] - state["m"] * state["m"]) + self.eps
        else:
            scale = np.sqrt(state["v"]) + self.eps
        step = grad / scale
        if self.momentum:
            state["velocity"] *= self.momentum
            state["velocity"] += step
            step = state["velocity"]
        param -= self.lr * step


class Adam(Optimizer):
    """m, v <- running means of g and g^2;  w <- w - lr m_hat / (sqrt(v_hat) + eps), bias-corrected.

    weight_decay adds wd w to the gradient (L2 in the loss), unless decoupled_weight_decay=True:
    then w shrinks by the factor 1 - lr wd before the step, as in AdamW. amsgrad=True divides
    by the largest v seen so far, so the step for a parameter never grows from a fall in v.
    """

    def __init__(self, params: Iterable[Tensor], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False, *,
                 decoupled_weight_decay: bool = False) -> None:
        super().__init__(params, lr)
        if len(betas) != 2:
            raise ValueError(f"{type(self).__name__}: betas must be a pair (beta1, beta2), "
                             f"got {betas}")
        self._check(**{f"betas[{i}]": (0 <= b < 1, f"in [0, 1) (the decay of a running mean; "
                                                   f"(0.9, 0.999) is usual), got {b}")
                       for i, b in enumerate(betas)},
                    eps=(eps >= 0, f">= 0, got {eps}"),
                    weight_decay=(weight_decay >= 0, f">= 0, got {weight_decay}"))
        self.betas, self.eps, self.weight_decay = betas, eps, weight_decay
        self.amsgrad, self.decoupled_weight_decay = amsgrad, decoupled_weight_decay

    def update(self, param, grad, state):
        beta1, beta2 = self.betas
        if self.weight_decay and self.decoupled_weight_decay:
            param *= 1 - self.lr * self.weight_decay
        elif self.weight_decay:
            grad = grad + self.weight_decay * param
        if not state:
            state.update(step=0, m=np.zeros_like(param), v=np.zeros_like(param))
        state["step"] += 1
        state["m"] += (1 - beta1) * (grad - state["m"])
        state["v"] += (1 - beta2) * (grad * grad - state["v"])
        v = state["v"]
        if self.amsgrad:
            v = state["v_max"] = np.maximum(state.get("v_max", v), v)
        m_hat = state["m"] / (1 - beta1 ** state["step"])
        v_hat = v / (1 - beta2 ** state["step"])
        param -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class AdamW(Adam):
    """Adam with decoupled weight decay: w <- (1 - lr wd) w, then the Adam step on g alone."""

    def __init__(self, params: Iterable[Tensor], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, decoupled_weight_decay=True)

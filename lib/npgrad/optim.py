"""Optimizers: update parameters in place from their .grad, as torch.optim does."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from npgrad.tensor import Tensor


class Optimizer:
    def __init__(self, params: Iterable[Tensor], lr: float) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list; pass model.parameters()")
        if lr <= 0:
            raise ValueError(f"{type(self).__name__}: the learning rate must be positive, got {lr}")
        self.lr = lr
        self.state: list[dict[str, np.ndarray]] = [{} for _ in self.params]  # one per parameter

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        for p, state in zip(self.params, self.state, strict=True):
            if p.grad is not None:
                self.update(p.data, p.grad.data, state)

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, np.ndarray]) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """v <- momentum v + (g + wd w);  w <- w - lr v  (plain SGD when momentum = 0)."""

    def __init__(self, params: Iterable[Tensor], lr: float, momentum: float = 0.0,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        self.momentum, self.weight_decay = momentum, weight_decay

    def update(self, param, grad, state):
        if self.weight_decay:
            grad = grad + self.weight_decay * param
        if self.momentum:
            if "velocity" in state:
                state["velocity"] *= self.momentum
                state["velocity"] += grad
            else:
                state["velocity"] = grad.copy()
            grad = state["velocity"]
        param -= self.lr * grad


class Adam(Optimizer):
    """m, v <- running means of g and g^2;  w <- w - lr m_hat / (sqrt(v_hat) + eps), bias-corrected."""

    def __init__(self, params: Iterable[Tensor], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        self.betas, self.eps, self.weight_decay = betas, eps, weight_decay

    def update(self, param, grad, state):
        beta1, beta2 = self.betas
        if self.weight_decay:
            grad = grad + self.weight_decay * param
        if not state:
            state.update(step=0, m=np.zeros_like(param), v=np.zeros_like(param))
        state["step"] += 1
        state["m"] += (1 - beta1) * (grad - state["m"])
        state["v"] += (1 - beta2) * (grad * grad - state["v"])
        m_hat = state["m"] / (1 - beta1 ** state["step"])
        v_hat = state["v"] / (1 - beta2 ** state["step"])
        param -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)

"""Learning-rate schedules, imported as `npgrad.optim.lr_scheduler` like torch.optim.lr_scheduler.

Build a scheduler on an optimizer, then call `scheduler.step()` once per epoch (or per batch),
after `optimizer.step()`. Creating it sets the learning rate of epoch 0; each step sets the next
one in `optimizer.param_groups[0]["lr"]`.

Every npgrad scheduler computes the closed form, lr_t = f(base_lr, t), from the lr the optimizer
started with (`group["initial_lr"]`). PyTorch's update the current lr by a ratio (their "chainable
form"): the same numbers, up to rounding, when one scheduler drives the optimizer. Two PyTorch
schedulers stepped side by side on one optimizer multiply their effects; two npgrad schedulers
would overwrite each other, so compose them with `SequentialLR` or write a `LambdaLR`.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Sequence
from typing import Any


class LRScheduler:
    """Holds the optimizer, its base learning rates and the epoch count; subclasses give lr_at."""

    def __init__(self, optimizer: Any) -> None:
        name = type(self).__name__
        if not hasattr(optimizer, "param_groups"):
            raise TypeError(f"{name}: expected an optimizer such as optim.SGD(model.parameters()), "
                            f"got {type(optimizer).__name__}")
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = -1
        self.step()  # sets the learning rate of epoch 0

    def lr_at(self, base_lr: float, epoch: int) -> float:
        """The learning rate at `epoch` of a group that started at `base_lr`."""
        raise NotImplementedError

    def get_lr(self) -> list[float]:
        return [self.lr_at(base_lr, self.last_epoch) for base_lr in self.base_lrs]

    def step(self) -> None:
        self.last_epoch += 1
        self._set(self.get_lr())

    def get_last_lr(self) -> list[float]:
        """The learning rates the last step set, one per parameter group."""
        return list(self._last_lr)

    def _set(self, lrs: list[float]) -> None:
        for group, lr in zip(self.optimizer.param_groups, lrs, strict=True):
            group["lr"] = lr
        self._last_lr = lrs


class LambdaLR(LRScheduler):
    """lr_t = base_lr * lr_lambda(t), for any function of the epoch t."""

    def __init__(self, optimizer: Any, lr_lambda: Callable[[int], float]) -> None:
        if not callable(lr_lambda):
            raise TypeError(f"LambdaLR: lr_lambda must be a function of the epoch, "
                            f"got {type(lr_lambda).__name__}")
        self.lr_lambda = lr_lambda
        super().__init__(optimizer)

    def lr_at(self, base_lr, epoch):
        return base_lr * self.lr_lambda(epoch)


class StepLR(LRScheduler):
    """lr_t = base_lr * gamma ** (t // step_size): divided by 1 / gamma every step_size epochs."""

    def __init__(self, optimizer: Any, step_size: int, gamma: float = 0.1) -> None:
        if not (isinstance(step_size, int) and step_size >= 1):
            raise ValueError(f"StepLR: step_size must be a whole number of epochs >= 1, "
                             f"got {step_size!r}")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer)

    def lr_at(self, base_lr, epoch):
        return base_lr * self.gamma ** (epoch // self.step_size)


class LinearLR(LRScheduler):
    """lr_t = base_lr * factor, the factor going linearly from start_factor at t = 0 to end_factor
    at t = total_iters and staying there: a warm-up when start_factor < end_factor."""

    def __init__(self, optimizer: Any, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
                 total_iters: int = 5) -> None:
        if not 0 < start_factor <= 1:
            raise ValueError(f"LinearLR: start_factor must be in (0, 1], got {start_factor} "
                             "(it multiplies the optimizer's lr at epoch 0)")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"LinearLR: end_factor must be in [0, 1], got {end_factor}")
        if not (isinstance(total_iters, int) and total_iters >= 1):
            raise ValueError(f"LinearLR: total_iters must be a whole number >= 1, got {total_iters!r}")
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer)

    def lr_at(self, base_lr, epoch):
        progress = min(self.total_iters, epoch) / self.total_iters
        return base_lr * (self.start_factor + (self.end_factor - self.start_factor) * progress)


class CosineAnnealingLR(LRScheduler):
    """lr_t = eta_min + (base_lr - eta_min) (1 + cos(pi t / T_max)) / 2: from base_lr down to
    eta_min at t = T_max along half a cosine (and back up after it, as PyTorch's does)."""

    def __init__(self, optimizer: Any, T_max: int, eta_min: float = 0.0) -> None:  # noqa: N803
        if not (isinstance(T_max, int) and T_max >= 1):
            raise ValueError(f"CosineAnnealingLR: T_max must be a whole number of epochs >= 1, "
                             f"got {T_max!r}")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer)

    def lr_at(self, base_lr, epoch):
        cosine = (1 + math.cos(math.pi * epoch / self.T_max)) / 2
        return self.eta_min + (base_lr - self.eta_min) * cosine


class SequentialLR(LRScheduler):
    """schedulers[0] until milestones[0], then schedulers[1], restarted at its epoch 0, and so on.

    `SequentialLR(opt, [LinearLR(opt, 0.1, total_iters=5), CosineAnnealingLR(opt, 95)], [5])`
    warms up for 5 epochs, then anneals for 95.
    """

    def __init__(self, optimizer: Any, schedulers: Sequence[LRScheduler],
                 milestones: Sequence[int]) -> None:
        if not schedulers:
            raise ValueError("SequentialLR: got no scheduler; pass a list of at least one")
        for i, scheduler in enumerate(schedulers):
            if getattr(scheduler, "optimizer", None) is not optimizer:
                raise ValueError(f"SequentialLR: schedulers[{i}] ({type(scheduler).__name__}) "
                                 "drives another optimizer; build every scheduler on this one")
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"SequentialLR: {len(schedulers)} schedulers need "
                             f"{len(schedulers) - 1} milestones (the epochs where the next one "
                             f"takes over), got {len(milestones)}")
        if any(b <= a for a, b in zip([0, *milestones], milestones, strict=False)):
            raise ValueError(f"SequentialLR: milestones must be increasing epochs > 0, "
                             f"got {list(milestones)}")
        self.schedulers, self.milestones = list(schedulers), list(milestones)
        for group in optimizer.param_groups:  # undo what the schedulers' creation did
            group["lr"] = group.get("initial_lr", group["lr"])
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        stage = bisect_right(self.milestones, self.last_epoch)
        scheduler = self.schedulers[stage]
        scheduler.last_epoch = self.last_epoch - ([0, *self.milestones][stage])
        return scheduler.get_lr()

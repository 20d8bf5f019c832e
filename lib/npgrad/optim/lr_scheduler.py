"""Learning-rate schedules, as torch.optim.lr_scheduler (imported from npgrad.optim).

Build a scheduler on an optimizer, then call `scheduler.step()` once per epoch (or
per batch), after `optimizer.step()`. Creating it sets the learning rate of epoch 0;
each step sets the next one in every `optimizer.param_groups[i]["lr"]`.

Every npgrad scheduler computes the closed form, lr_t = f(base_lr, t), from the lr the
optimizer started with (`group["initial_lr"]`). PyTorch's update the current lr by a
ratio (their "chainable form"): the same numbers, up to rounding, when one scheduler
drives the optimizer. Two PyTorch schedulers stepped side by side on one optimizer
multiply their effects; an npgrad scheduler would overwrite the other's, so its step()
refuses a learning rate it did not set: compose schedules with `SequentialLR` or one
`LambdaLR`.
"""

from __future__ import annotations

import copy
import math
import numbers
from bisect import bisect_right
from collections.abc import Callable, Sequence
from typing import Any

# PyTorch's bookkeeping in a scheduler's state_dict, which npgrad has no use for
_TORCH_ONLY = {"_step_count", "_is_initial", "_get_lr_called_within_step"}


def _whole(value: Any) -> bool:
    """A whole number: a Python or NumPy integer (not a bool)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _count(scheduler: str, name: str, value: Any, unit: str = "") -> int:
    """value as an int if it is a whole number >= 1, else a ValueError that says so."""
    if not (_whole(value) and value >= 1):
        raise ValueError(f"{scheduler}: {name} must be a whole number {unit}>= 1, "
                         f"got {value!r}")
    return int(value)


class LRScheduler:
    """The optimizer, its base learning rates and the epoch; subclasses give lr_at."""

    def __init__(self, optimizer: Any) -> None:
        name = type(self).__name__
        if not hasattr(optimizer, "param_groups"):
            raise TypeError(f"{name}: expected an optimizer such as "
                            "optim.SGD(model.parameters()), got "
                            f"{type(optimizer).__name__}")
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = 0
        self._set(self.get_lr())  # the learning rate of epoch 0

    def lr_at(self, base_lr: float, epoch: int) -> float:
        """The learning rate at `epoch` of a group that started at `base_lr`."""
        raise NotImplementedError

    def get_lr(self) -> list[float]:
        return [self.lr_at(base_lr, self.last_epoch) for base_lr in self.base_lrs]

    def step(self) -> None:
        self._refuse_an_lr_set_elsewhere()
        self.last_epoch += 1
        self._set(self.get_lr())

    def get_last_lr(self) -> list[float]:
        """The learning rates the last step set, one per parameter group."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """All but the optimizer, under PyTorch's names (base_lrs, last_epoch, ...)."""
        return {k: copy.deepcopy(v) for k, v in self.__dict__.items()
                if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Take the epoch, base learning rates and options of a saved state_dict."""
        own = self.state_dict()
        unknown = sorted(set(state_dict) - set(own) - _TORCH_ONLY)
        missing = sorted(set(own) - set(state_dict))
        if unknown or missing:
            name = type(self).__name__
            raise ValueError(f"{name}.load_state_dict: the state_dict does not fit "
                             f"this scheduler (unexpected keys {unknown}, missing keys "
                             f"{missing}); was it saved from a {name}?")
        self.__dict__.update({k: copy.deepcopy(v) for k, v in state_dict.items()
                              if k in own})

    def _set(self, lrs: list[float]) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(lrs):
            raise ValueError(f"{type(self).__name__}: the optimizer has {len(groups)} "
                             f"param groups, the scheduler was built for {len(lrs)}; "
                             "build the scheduler after add_param_group")
        for group, lr in zip(groups, lrs, strict=True):
            group["lr"] = lr
        self._last_lr = lrs

    def _refuse_an_lr_set_elsewhere(self) -> None:
        groups = self.optimizer.param_groups
        for i, (group, lr) in enumerate(zip(groups, self._last_lr, strict=False)):
            if group["lr"] != lr:
                raise RuntimeError(
                    f"{type(self).__name__}.step: param group {i} has lr "
                    f"{group['lr']}, not the {lr} this scheduler set: another "
                    "scheduler (or your code) changed it. npgrad's schedulers set lr "
                    "from a closed form and would overwrite that change, where "
                    "PyTorch's multiply the two. Chain schedules with SequentialLR, or "
                    "write their product as one LambdaLR. (Resuming? Load the "
                    "scheduler's state_dict as well as the optimizer's.)")


class LambdaLR(LRScheduler):
    """lr_t = base_lr * lr_lambda(t), any function of the epoch t (one per group)."""

    def __init__(self, optimizer: Any,
                 lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]]
                 ) -> None:
        n = len(getattr(optimizer, "param_groups", []))
        several = isinstance(lr_lambda, list | tuple)
        lambdas = list(lr_lambda) if several else [lr_lambda] * n
        for fn in lambdas:
            if not callable(fn):
                raise TypeError(f"LambdaLR: lr_lambda must be a function of the epoch, "
                                f"got {type(fn).__name__}")
        if len(lambdas) != n:
            raise ValueError(f"LambdaLR: expected {n} lr_lambdas (one per param "
                             f"group), got {len(lambdas)}")
        self.lr_lambdas = lambdas
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        return [base_lr * fn(self.last_epoch)
                for base_lr, fn in zip(self.base_lrs, self.lr_lambdas, strict=True)]

    def state_dict(self) -> dict[str, Any]:
        """As PyTorch: the functions are not saved (None in their place)."""
        state = {k: copy.deepcopy(v) for k, v in self.__dict__.items()
                 if k not in ("optimizer", "lr_lambdas")}
        return {**state, "lr_lambdas": [None] * len(self.lr_lambdas)}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        lambdas = self.lr_lambdas
        super().load_state_dict(state_dict)
        self.lr_lambdas = lambdas  # the functions this scheduler was built with


class StepLR(LRScheduler):
    """lr_t = base_lr * gamma ** (t // step_size): times gamma every step_size."""

    def __init__(self, optimizer: Any, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = _count("StepLR", "step_size", step_size, "of epochs ")
        self.gamma = gamma
        super().__init__(optimizer)

    def lr_at(self, base_lr, epoch):
        return base_lr * self.gamma ** (epoch // self.step_size)


class LinearLR(LRScheduler):
    """lr_t = base_lr * factor, the factor going linearly from start_factor at t = 0 to
    end_factor at t = total_iters and staying there: a warm-up when start < end."""

    def __init__(self, optimizer: Any, start_factor: float = 1.0 / 3,
                 end_factor: float = 1.0, total_iters: int = 5) -> None:
        if not 0 < start_factor <= 1:
            raise ValueError(f"LinearLR: start_factor must be in (0, 1], got "
                             f"{start_factor} (it multiplies the optimizer's lr at "
                             "epoch 0)")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"LinearLR: end_factor must be in [0, 1], got "
                             f"{end_factor}")
        self.start_factor, self.end_factor = start_factor, end_factor
        self.total_iters = _count("LinearLR", "total_iters", total_iters)
        super().__init__(optimizer)

    def lr_at(self, base_lr, epoch):
        progress = min(self.total_iters, epoch) / self.total_iters
        factor = self.start_factor + (self.end_factor - self.start_factor) * progress
        return base_lr * factor


class CosineAnnealingLR(LRScheduler):
    """lr_t = eta_min + (base_lr - eta_min) (1 + cos(pi t / T_max)) / 2: from base_lr
    down to eta_min at t = T_max along half a cosine (then back up, as PyTorch's)."""

    def __init__(self, optimizer: Any, T_max: int,  # noqa: N803
                 eta_min: float = 0.0) -> None:
        self.T_max = _count("CosineAnnealingLR", "T_max", T_max, "of epochs ")
        self.eta_min = eta_min
        super().__init__(optimizer)

    def lr_at(self, base_lr, epoch):
        cosine = (1 + math.cos(math.pi * epoch / self.T_max)) / 2
        return self.eta_min + (base_lr - self.eta_min) * cosine


class SequentialLR(LRScheduler):
    """schedulers[0] until milestones[0], then schedulers[1] from its epoch 0, etc.

    `SequentialLR(opt, [LinearLR(opt, 0.1, total_iters=5), CosineAnnealingLR(opt, 95)],
    [5])` warms up for 5 epochs, then anneals for 95.
    """

    def __init__(self, optimizer: Any, schedulers: Sequence[LRScheduler],
                 milestones: Sequence[int]) -> None:
        _check_sequence(optimizer, schedulers, milestones)
        self._schedulers = list(schedulers)
        self._milestones = [int(m) for m in milestones]
        for group in optimizer.param_groups:  # undo what the schedulers' creation did
            group["lr"] = group.get("initial_lr", group["lr"])
        for scheduler in self._schedulers:  # none has started, as in PyTorch
            scheduler.last_epoch -= 1
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        stage = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[stage]
        scheduler.last_epoch = self.last_epoch - ([0, *self._milestones][stage])
        scheduler._last_lr = scheduler.get_lr()  # what its own step() would have set
        return scheduler._last_lr

    def state_dict(self) -> dict[str, Any]:
        """As PyTorch: each scheduler's own state_dict under "_schedulers"."""
        state = {k: copy.deepcopy(v) for k, v in self.__dict__.items()
                 if k not in ("optimizer", "_schedulers", "base_lrs")}
        return {**state, "_schedulers": [s.state_dict() for s in self._schedulers]}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        schedulers = self._schedulers
        saved = state_dict.get("_schedulers", [])
        if len(saved) != len(schedulers):
            raise ValueError(f"SequentialLR.load_state_dict: the state_dict holds "
                             f"{len(saved)} schedulers, this SequentialLR has "
                             f"{len(schedulers)}")
        super().load_state_dict(state_dict)
        self._schedulers = schedulers
        for scheduler, state in zip(schedulers, saved, strict=True):
            scheduler.load_state_dict(state)


def _check_sequence(optimizer: Any, schedulers: Sequence[LRScheduler],
                    milestones: Sequence[int]) -> None:
    if not schedulers:
        raise ValueError("SequentialLR: got no scheduler; pass a list of at least one")
    for i, scheduler in enumerate(schedulers):
        if getattr(scheduler, "optimizer", None) is not optimizer:
            raise ValueError(f"SequentialLR: schedulers[{i}] "
                             f"({type(scheduler).__name__}) drives another optimizer; "
                             "build every scheduler on this one")
    if len(milestones) != len(schedulers) - 1:
        raise ValueError(f"SequentialLR: {len(schedulers)} schedulers need "
                         f"{len(schedulers) - 1} milestones (the epochs where the next "
                         f"one takes over), got {len(milestones)}")
    if not all(_whole(m) for m in milestones) or any(
            b <= a for a, b in zip([0, *milestones], milestones, strict=False)):
        raise ValueError(f"SequentialLR: milestones must be increasing whole epochs "
                         f"> 0, got {list(milestones)}")

"""Optimizer: the parameter groups, their hyperparameters and per-parameter state.

As in torch.optim: `param_groups` is a list of dicts, each holding its "params" and
every hyperparameter (the constructor's values unless the group sets its own); `step()`
reads them from the group each time, so code that writes `group["lr"]` or
`group["momentum"]` changes the next step. `state[p]` holds what a parameter carries
between steps (Adam's "exp_avg", ...), and `state_dict()` refers to parameters by their
index.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from npgrad.tensor import Tensor


def hyperparameters(arguments: dict[str, Any]) -> dict[str, Any]:
    """A constructor's arguments but self and params: the defaults of every group.

    A subclass passes ``hyperparameters(locals())`` before it sets any local name.
    """
    skip = ("self", "params", "__class__")
    return {name: value for name, value in arguments.items() if name not in skip}


class Optimizer:
    """The parameter groups and per-parameter state; subclasses give update()."""

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.param_groups: list[dict[str, Any]] = []
        # keyed by the parameter; {} for one that has not been stepped, as in PyTorch
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        for group in _as_groups(params, type(self).__name__):
            self.add_param_group(group)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Append a group; options it does not set take the constructor's values."""
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}.add_param_group: expected a dict such as "
                            f"{{'params': [...], 'lr': 0.1}}, got "
                            f"{type(param_group).__name__}")
        if "params" not in param_group:
            raise KeyError(f"{name}: a param group needs a 'params' entry, got the "
                           f"keys {list(param_group)}")
        group = dict(param_group)
        group.update(_checked_params(group["params"], name))
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self._check_group(group)
        taken = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in taken for p in group["params"]):
            raise ValueError(f"{name}: some parameters appear in more than one "
                             "parameter group; give each parameter to one group only")
        self.param_groups.append(group)

    @property
    def lr(self) -> float:
        """The learning rate, when every group has the same one."""
        lrs = {group["lr"] for group in self.param_groups}
        if len(lrs) != 1:
            raise AttributeError(f"{type(self).__name__}.lr: the param groups have "
                                 f"different learning rates {sorted(lrs)}; read "
                                 "optimizer.param_groups[i]['lr']")
        return lrs.pop()

    @lr.setter
    def lr(self, value: float) -> None:
        for group in self.param_groups:
            group["lr"] = value

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Set each .grad to None, or with set_to_none=False to zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad.data[...] = 0  # in place, as PyTorch does

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter with a .grad; returns closure() if given."""
        loss = None if closure is None else closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = -p.grad.data if group["maximize"] else p.grad.data
                self.update(p.data, grad, self.state[p], group)
        return loss

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
               group: dict[str, Any]) -> None:
        """Change param in place from grad, its state and its group's options."""
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        """{"state": {i: {name: value}}, "param_groups": [{..., "params": [i, ...]}]}.

        Parameters are numbered across the groups in order, as in PyTorch; arrays are
        copies, so later steps do not change a saved state_dict.
        """
        index = {id(p): i for i, p in enumerate(self._all_params())}
        groups = [{**copy.deepcopy({k: v for k, v in g.items() if k != "params"}),
                   "params": [index[id(p)] for p in g["params"]]}
                  for g in self.param_groups]
        state = {index[id(p)]: copy.deepcopy(s) for p, s in self.state.items()
                 if id(p) in index and s}
        return {"state": dict(sorted(state.items())), "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Take the groups' options and the state from state_dict()'s output."""
        groups = _matching_groups(self, state_dict)
        params = self._all_params()
        self.state = defaultdict(dict)
        for key, saved in state_dict["state"].items():
            i = int(key)  # int keys (PyTorch's), or their str form from JSON
            if not 0 <= i < len(params):
                raise ValueError(f"{type(self).__name__}.load_state_dict: the state "
                                 f"refers to parameter {i}, but the optimizer has "
                                 f"{len(params)}")
            self.state[params[i]] = _state_like(params[i], saved, i)
        for group, saved in zip(self.param_groups, groups, strict=True):
            params_of_group = group["params"]
            group.clear()
            options = {k: v for k, v in saved.items() if k != "params"}
            group.update(copy.deepcopy(options))
            group["params"] = params_of_group

    def _all_params(self) -> list[Tensor]:
        return [p for group in self.param_groups for p in group["params"]]

    def _check_group(self, group: dict[str, Any]) -> None:
        """Raise ValueError naming an option of the group that is out of range."""
        lr = group["lr"]
        self._check(lr=(lr >= 0, f">= 0 (the learning rate), got {lr}"))

    def _check(self, **conditions: tuple[bool, str]) -> None:
        """Raise ValueError naming the first hyperparameter whose condition is false."""
        for option, (ok, allowed) in conditions.items():
            if not ok:
                raise ValueError(f"{type(self).__name__}: {option} must be {allowed}")


def _as_groups(params: Any, name: str) -> list[dict[str, Any]]:
    """The constructor's params as a list of group dicts; refuses what PyTorch does."""
    hint = "pass model.parameters(), a list of tensors or a list of group dicts"
    what = {Tensor: "a single Tensor (wrap it in a list: [w])",
            np.ndarray: "a NumPy array (make it a parameter: nn.Parameter(array))",
            dict: "a dict (a state_dict? pass model.parameters())",
            str: "a str"}
    for kind, described in what.items():
        if isinstance(params, kind):
            raise TypeError(f"{name}: params must be an iterable of Tensors or dicts, "
                            f"got {described}; {hint}")
    if not isinstance(params, Iterable):
        raise TypeError(f"{name}: params must be an iterable of Tensors or dicts, got "
                        f"{type(params).__name__}; {hint}")
    params = _ordered(params, name)
    if not params:
        raise ValueError(f"{name}: got an empty parameter list; pass "
                         "model.parameters() of a model that has parameters")
    if all(isinstance(p, dict) for p in params):
        return params
    if any(isinstance(p, dict) for p in params):
        raise TypeError(f"{name}: params mixes group dicts and tensors; put the "
                        "tensors in a group of their own: {'params': [...]}")
    return [{"params": params}]


def _ordered(params: Iterable[Any], name: str) -> list[Any]:
    if isinstance(params, set | frozenset):
        raise TypeError(f"{name}: parameters must be in an ordered collection (a "
                        "list), not a set, whose order changes between runs")
    return list(params)


def _checked_params(params: Any, name: str) -> dict[str, list[Any]]:
    """A group's "params" as a list of leaf tensors (and "param_names" if named)."""
    params = [params] if isinstance(params, Tensor) else _ordered(params, name)
    named = [isinstance(p, tuple) for p in params]
    if any(named) and not all(named):
        raise ValueError(f"{name}: all parameters of a group must be named or none; "
                         "pass model.named_parameters() or model.parameters()")
    names = None
    if params and all(named):
        names, params = [n for n, _ in params], [p for _, p in params]
    for p in params:
        if not isinstance(p, Tensor):
            kind = type(p).__module__.replace("builtins", "") + "." + type(p).__name__
            raise TypeError(f"{name}: optimizer can only optimize Tensors, but one of "
                            f"the params is {kind.lstrip('.')}; pass "
                            "model.parameters()")
        if not (p.is_leaf or p._retains_grad):
            raise ValueError(f"{name}: can't optimize a non-leaf Tensor (a result of "
                             "operations, whose .grad is never set); optimize the leaf "
                             "tensors it was computed from")
    return {"params": params} if names is None else {"param_names": names,
                                                     "params": params}


def _matching_groups(optimizer: Optimizer, state_dict: dict[str, Any]) -> list[dict]:
    """The saved groups, if their number and sizes match the optimizer's."""
    name = f"{type(optimizer).__name__}.load_state_dict"
    if set(state_dict) != {"state", "param_groups"}:
        raise ValueError(f"{name}: expected the keys 'state' and 'param_groups' of "
                         f"optimizer.state_dict(), got {sorted(state_dict)}")
    saved = state_dict["param_groups"]
    if len(saved) != len(optimizer.param_groups):
        raise ValueError(f"{name}: loaded state dict has a different number of "
                         f"parameter groups ({len(saved)}, the optimizer has "
                         f"{len(optimizer.param_groups)})")
    for i, (own, theirs) in enumerate(zip(optimizer.param_groups, saved, strict=True)):
        if len(own["params"]) != len(theirs["params"]):
            raise ValueError(f"{name}: loaded state dict contains a parameter group "
                             "that doesn't match the size of optimizer's group: group "
                             f"{i} has {len(theirs['params'])} parameters, the "
                             f"optimizer's {len(own['params'])}")
    return saved


def _state_like(param: Tensor, saved: dict[str, Any], i: int) -> dict[str, Any]:
    """A copy of one parameter's saved state, its arrays in the parameter's dtype and
    memory layout (nn.Linear keeps wide weights column-major)."""
    state = {}
    for key, value in saved.items():
        if isinstance(value, np.ndarray | Tensor):
            value = np.asarray(getattr(value, "data", value))
            if value.shape != param.shape:
                raise ValueError(f"load_state_dict: state[{i}][{key!r}] has shape "
                                 f"{value.shape} but parameter {i} has {param.shape}; "
                                 "was the checkpoint saved from the same model?")
            value = _copy_like(param.data, value)
        state[key] = value
    return state


def _copy_like(param: np.ndarray, value: np.ndarray) -> np.ndarray:
    copy = np.empty_like(param)
    copy[...] = value
    return copy

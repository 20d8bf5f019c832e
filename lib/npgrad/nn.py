"""Modules: objects that hold parameters and define forward(); layers and losses."""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from collections.abc import Iterator
from typing import Any

import numpy as np

from npgrad import functional as F
from npgrad.tensor import DEFAULT_DTYPE, Tensor


class Parameter(Tensor):
    """A tensor that a Module registers as learnable: requires_grad is on."""

    def __init__(self, data: Any, requires_grad: bool = True) -> None:
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class Module:
    """Base class: assign Parameters and Modules as attributes, write forward(), call
    the module.

    Registration follows assignment order (dicts keep it), so parameters() is stable
    across runs.
    """

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"{type(self).__name__}: call super().__init__() before assigning "
                f"{name}"
            )
        # Replacing a registered name keeps its place (Sequential's order is its
        # forward order)
        if not isinstance(value, Parameter):
            self._parameters.pop(name, None)
        if not isinstance(value, Module):
            self._modules.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def forward(self, *args: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """Each parameter once (a shared one under its first name), own first."""
        seen = set()
        for name, p in self._all_parameters(prefix):
            if id(p) not in seen:
                seen.add(id(p))
                yield name, p

    def _all_parameters(self, prefix: str) -> Iterator[tuple[str, Parameter]]:
        for name, p in self._parameters.items():
            yield prefix + name, p
        for name, m in self._modules.items():
            yield from m._all_parameters(f"{prefix}{name}.")

    def parameters(self) -> Iterator[Parameter]:
        for _, p in self.named_parameters():
            yield p

    def children(self) -> Iterator[Module]:
        yield from self._modules.values()

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = None

    def train(self, mode: bool = True) -> Module:
        object.__setattr__(self, "training", mode)
        for m in self.children():
            m.train(mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def state_dict(self) -> OrderedDict[str, np.ndarray]:
        """Copies of every parameter's array, by dotted name."""
        named = self.named_parameters()
        return OrderedDict((name, p.data.copy()) for name, p in named)

    def load_state_dict(
        self, state_dict: dict[str, Any], strict: bool = True
    ) -> _IncompatibleKeys:
        """Copy arrays into the parameters; every key (unless strict=False) and shape
        must match (one error lists all). Returns the missing and unexpected keys."""
        own = dict(self.named_parameters())
        problems = _state_dict_problems(own, state_dict, strict)
        if problems:
            raise RuntimeError(
                f"load_state_dict into {type(self).__name__}: " + "; ".join(problems)
            )
        for name, value in state_dict.items():
            if name in own:
                own[name].data[...] = np.asarray(getattr(value, "data", value))
        return _IncompatibleKeys(
            [k for k in own if k not in state_dict],
            [k for k in state_dict if k not in own],
        )

    def __repr__(self) -> str:
        inner = "".join(
            f"\n  ({n}): " + repr(m).replace("\n", "\n  ")
            for n, m in self._modules.items()
        )
        end = "\n" if inner else ""
        return f"{type(self).__name__}({self.extra_repr()}{inner}{end})"

    def extra_repr(self) -> str:
        return ""


class _IncompatibleKeys(namedtuple("IncompatibleKeys", "missing_keys unexpected_keys")):
    """What load_state_dict returns: the keys it did not find, and those it left."""

    def __repr__(self) -> str:
        return super().__repr__() if any(self) else "<All keys matched successfully>"


def _state_dict_problems(own: dict, given: dict, strict: bool) -> list[str]:
    problems = []
    missing = [k for k in own if k not in given]
    extra = [k for k in given if k not in own]
    if strict and missing:
        problems.append(f"missing keys {missing}")
    if strict and extra:
        problems.append(f"unexpected keys {extra}")
    for k in own.keys() & given.keys():
        shape = np.shape(getattr(given[k], "data", given[k]))
        if shape != own[k].shape:
            problems.append(
                f"{k} has shape {shape} in the state_dict but {own[k].shape} in the "
                "model"
            )
    if problems:
        problems.append(
            "was the checkpoint saved from a model built with the same sizes?"
        )
    return problems


# Linear's weight is (out, in) as in PyTorch. From WIDE outputs on it is stored
# column-major: weight.T, the (in, out) matrix x @ weight.T multiplies by, is then
# contiguous, as in a hand-written x @ W, and BLAS runs that product 5 to 10% faster
# (functional._weight_grad keeps the gradient in the same layout). Below, the
# gradient's product into a tall, narrow (in, out) array is the slower one: at
# 784 -> 10 row-major storage is faster (benchmarks, chapter "How fast is npgrad?").
WIDE = 32


class Linear(Module):
    """y = x W^T + b; W and b ~ U(-1/sqrt(in), 1/sqrt(in)), as in PyTorch."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        rng: np.random.Generator | int | None = None,
    ) -> None:
        super().__init__()
        rng = np.random.default_rng(rng)
        bound = 1 / np.sqrt(in_features)
        self.in_features, self.out_features = in_features, out_features
        weight = _uniform(rng, bound, (out_features, in_features))
        if out_features >= WIDE:
            weight = np.asfortranarray(weight)
        self.weight = Parameter(weight)
        self.bias = None
        if bias:
            self.bias = Parameter(_uniform(rng, bound, (out_features,)))

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        bias = self.bias is not None
        return (
            f"in_features={self.in_features}, "
            f"out_features={self.out_features}, bias={bias}"
        )


def _uniform(
    rng: np.random.Generator, bound: float, shape: tuple[int, ...]
) -> np.ndarray:
    return rng.uniform(-bound, bound, shape).astype(DEFAULT_DTYPE)


class Sequential(Module):
    """Modules applied one after another; registered as '0', '1', ..."""

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for i, m in enumerate(modules):
            setattr(self, str(i), m)

    def forward(self, x: Any) -> Any:
        for m in self._modules.values():
            x = m(x)
        return x

    def __getitem__(self, i: int | slice) -> Module:
        modules = list(self._modules.values())
        return Sequential(*modules[i]) if isinstance(i, slice) else modules[i]

    def __len__(self) -> int:
        return len(self._modules)


class ReLU(Module):
    def forward(self, x: Tensor) -> Tensor:
        return F.relu(x)


class Sigmoid(Module):
    def forward(self, x: Tensor) -> Tensor:
        return F.sigmoid(x)


class Tanh(Module):
    def forward(self, x: Tensor) -> Tensor:
        return F.tanh(x)


class Identity(Module):
    def forward(self, x: Tensor) -> Tensor:
        return x


class Flatten(Module):
    """Flatten all but the batch dimension: (n, 28, 28) -> (n, 784)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: Tensor) -> Tensor:
        return F.flatten(x, self.start_dim, self.end_dim)


class Dropout(Module):
    """In training, zero each element with probability p and scale the rest
    by 1/(1-p); in evaluation, pass x through."""

    def __init__(
        self, p: float = 0.5, rng: np.random.Generator | int | None = None
    ) -> None:
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"Dropout: p must be in [0, 1], got {p}")
        self.p, self.rng = p, np.random.default_rng(rng)

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.p == 0:
            return x
        if self.p == 1:  # every element dropped: zeros, and zero gradients
            return x * np.zeros((), x.dtype)
        keep = self.rng.random(x.shape) >= self.p
        return x * (keep / (1 - self.p)).astype(x.dtype)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        return F.mse_loss(input, target, self.reduction)


class CrossEntropyLoss(_Loss):
    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        return F.cross_entropy(input, target, self.reduction)


class BCEWithLogitsLoss(_Loss):
    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        return F.binary_cross_entropy_with_logits(input, target, self.reduction)


# ------------------------------------------------------------ convolutional layers


class Conv2d(Module):
    """y = conv2d(x, W) + b, W (out, in, kh, kw);
    W, b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = in * kh * kw, as PyTorch
    initialises them."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] | str = 0,
        dilation: int | tuple[int, int] = 1,
        groups: int = 1,
        bias: bool = True,
        rng: np.random.Generator | int | None = None,
    ) -> None:
        super().__init__()
        if groups != 1:
            raise NotImplementedError(
                f"Conv2d: groups={groups} is not implemented in npgrad (only groups=1)"
            )
        self.in_channels, self.out_channels, self.groups = (
            in_channels,
            out_channels,
            groups,
        )
        self.kernel_size, self.stride = _as_pair(kernel_size), _as_pair(stride)
        self.padding = padding if isinstance(padding, str) else _as_pair(padding)
        self.dilation = _as_pair(dilation)
        rng = np.random.default_rng(rng)
        bound = 1 / np.sqrt(in_channels * self.kernel_size[0] * self.kernel_size[1])
        self.weight = Parameter(
            _uniform(rng, bound, (out_channels, in_channels, *self.kernel_size))
        )
        self.bias = Parameter(_uniform(rng, bound, (out_channels,))) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(
            x, self.weight, self.bias, self.stride, self.padding, self.dilation
        )

    def extra_repr(self) -> str:
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        return s + (", bias=False" if self.bias is None else "")


def _as_pair(value: int | tuple[int, int]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else tuple(value)


class _Pool2d(Module):
    """What both poolings keep: the window, its stride (kernel_size unless given) and
    the padding; ceil_mode is refused by the functional ops."""

    def __init__(self, kernel_size, stride, padding, ceil_mode: bool) -> None:
        super().__init__()
        self.kernel_size, self.padding = kernel_size, padding
        self.stride = kernel_size if stride is None else stride
        self.ceil_mode = ceil_mode

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, "
            f"padding={self.padding}"
        )


class MaxPool2d(_Pool2d):
    """The largest element of each kernel_size window; the stride defaults to
    kernel_size."""

    def __init__(
        self,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        padding: int | tuple[int, int] = 0,
        dilation: int | tuple[int, int] = 1,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__(kernel_size, stride, padding, ceil_mode)
        self.dilation = dilation

    def forward(self, x: Tensor) -> Tensor:
        window = (self.kernel_size, self.stride, self.padding, self.dilation)
        return F.max_pool2d(x, *window, self.ceil_mode)

    def extra_repr(self) -> str:
        return (
            f"{super().extra_repr()}, dilation={self.dilation}, "
            f"ceil_mode={self.ceil_mode}"
        )


class AvgPool2d(_Pool2d):
    """The mean of each kernel_size window; the stride defaults to kernel_size."""

    def __init__(
        self,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        padding: int | tuple[int, int] = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        super().__init__(kernel_size, stride, padding, ceil_mode)
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, x: Tensor) -> Tensor:
        args = (self.ceil_mode, self.count_include_pad, self.divisor_override)
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, *args)

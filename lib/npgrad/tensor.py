"""Tensor, Function and the reverse-mode engine that walks the graph backwards."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np

DEFAULT_DTYPE = np.float32  # the one place that sets npgrad's default float type

_grad_enabled = True


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Record no graph inside the block (evaluation, optimizer updates)."""
    global _grad_enabled
    previous, _grad_enabled = _grad_enabled, False
    try:
        yield
    finally:
        _grad_enabled = previous


def is_grad_enabled() -> bool:
    return _grad_enabled


def as_array(data: Any, dtype: Any = None) -> np.ndarray:
    """An ndarray for data; Python floats and lists of them become DEFAULT_DTYPE."""
    if isinstance(data, Tensor):
        data = data.data
    array = np.asarray(data, dtype=dtype)
    if (
        dtype is None
        and not isinstance(data, np.ndarray | np.generic)
        and array.dtype == np.float64
    ):
        array = array.astype(DEFAULT_DTYPE)
    return array


def as_shape(args: tuple) -> tuple[int, ...]:
    """A shape given as f(2, 3) or as f((2, 3)), PyTorch accepts both."""
    if len(args) == 1 and isinstance(args[0], tuple | list):
        return tuple(args[0])
    return tuple(args)


def _operand(other: Any) -> Any:
    """other for a NumPy operation on a tensor's data: a Python number is passed as it
    is, which NumPy treats as weak (as PyTorch does) and converts exactly."""
    if isinstance(other, Tensor):
        return other.data
    return other if isinstance(other, bool | int | float) else as_array(other)


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum grad over the axes broadcasting added or stretched: back to shape."""
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    pairs = enumerate(zip(shape, grad.shape[lead:], strict=True))
    stretched = [lead + i for i, (n, g) in pairs if n == 1 and g != 1]
    summed = grad.sum(axis=(*range(lead), *stretched), keepdims=True)
    return summed.reshape(shape)


class Function:
    """One differentiable operation: `forward` on arrays, `backward` from the output's
    gradient.

    Subclasses take their non-tensor arguments (axis, exponent, ...) in `__init__`, save
    what backward needs on `self`, and return one gradient per input from `backward`
    (None for an input that needs none). `self.needs_grad[i]` says whether input i does.
    Backward may return the incoming grad itself, but never an array it keeps on `self`.
    """

    def forward(self, *arrays: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad: np.ndarray) -> np.ndarray | tuple[np.ndarray | None, ...]:
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs: Any, **params: Any) -> Tensor:
        """Run forward on the inputs' data; record the node if one needs it."""
        fn = cls(**params)
        tensors = _as_tensors(inputs)
        fn.needs_grad = tuple([t.requires_grad for t in tensors])
        out = Tensor(fn.forward(*[t.data for t in tensors]))
        if _grad_enabled and True in fn.needs_grad:
            fn.inputs = tensors
            out.requires_grad, out._ctx = True, fn
        return out

    def release(self) -> None:
        """Forget inputs and saved arrays once backward has used them (frees memory)."""
        self.__dict__.clear()
        self.inputs = None

    @property
    def name(self) -> str:
        return type(self).__name__.lower()


def _as_tensors(inputs: tuple[Any, ...]) -> tuple[Tensor, ...]:
    """Wrap constant inputs in tensors of the dtype PyTorch's rule gives the op.

    A constant never raises a floating tensor's precision: `float32_tensor *
    np.float64(2)` stays float32, and `float64_tensor * 0.1` is exact. See
    `result_type` for the whole rule.
    """
    if all([isinstance(x, Tensor) for x in inputs]):
        return inputs  # the common case: nothing to convert
    return _promote(inputs)


def _promote(inputs: tuple[Any, ...]) -> tuple[Tensor, ...]:
    """Every input as a tensor of result_type(*inputs); a tensor that requires grad is
    cast by a differentiable Cast, so its gradient comes back in its own dtype."""
    dtype = result_type(*inputs)
    return tuple(
        (x if x.dtype == dtype else F.Cast.apply(x, dtype=dtype))
        if isinstance(x, Tensor)
        else Tensor(_constant(x, dtype))
        for x in inputs
    )


def _constant(value: Any, dtype: np.dtype) -> np.ndarray:
    """value as an array of dtype; a Python number goes there directly (0.1 stays exact
    in float64)."""
    if isinstance(value, bool | int | float):
        return np.asarray(value, dtype=dtype)
    array = np.asarray(value)  # a list of floats as float64 first, so no digit is lost
    if array.dtype.kind in "biuf" and dtype.kind in "biuf":
        return array.astype(dtype, copy=False)
    return array


def _topological_order(root: Tensor) -> list[Tensor]:
    """Nodes that lead to root and require grad, each after all its inputs."""
    order, visited, stack = [], set(), [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
        elif id(node) not in visited:
            visited.add(id(node))
            stack.append((node, True))
            if node._ctx is not None:
                _check_not_released(node._ctx)
                inputs = node._ctx.inputs
                stack.extend([(t, False) for t in inputs if t.requires_grad])
    return order


def _check_not_released(fn: Function) -> None:
    if fn.inputs is None:
        raise RuntimeError(
            "backward: this part of the graph was already freed by an earlier "
            "backward(). Recompute the forward pass, or call "
            "backward(retain_graph=True) the first time."
        )


class Tensor:
    """An n-dimensional array that can record the operations applied to it.

    `Tensor([1.0, 2.0])` is float32; an ndarray keeps its dtype (as torch.from_numpy
    does).
    """

    __array_ufunc__ = None  # make `ndarray + Tensor` call Tensor.__radd__

    def __init__(
        self, data: Any, requires_grad: bool = False, dtype: Any = None
    ) -> None:
        # an ndarray is taken as it is (the common case inside the engine);
        # anything else is converted
        self.data = (
            data
            if type(data) is np.ndarray and dtype is None
            else as_array(data, dtype)
        )
        self.grad: Tensor | None = None
        self._ctx: Function | None = None
        self._retains_grad = False
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # -- what it is --------------------------------------------------------------------
    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    dtype = property(lambda self: self.data.dtype)
    is_leaf = property(lambda self: self._ctx is None)
    grad_fn = property(lambda self: self._ctx)

    def size(self, dim: int | None = None) -> tuple[int, ...] | int:
        return self.data.shape if dim is None else self.data.shape[dim]

    def numel(self) -> int:
        return self.data.size

    def dim(self) -> int:
        return self.data.ndim

    def is_floating_point(self) -> bool:
        return self.data.dtype.kind == "f"

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        body = np.array2string(self.data, precision=4, separator=", ", prefix="tensor(")
        extra = ", requires_grad=True" if self.requires_grad else ""
        if self.dtype != DEFAULT_DTYPE:
            extra = f", dtype={self.dtype}" + extra
        return f"tensor({body}{extra})"

    # -- leaving the graph -------------------------------------------------------------
    def item(self) -> float | int | bool:
        if self.data.size != 1:
            raise ValueError(
                f"item: only a one-element tensor has an item; shape is {self.shape}"
            )
        return self.data.item()

    def numpy(self) -> np.ndarray:
        return self.data

    def tolist(self) -> Any:
        return self.data.tolist()

    def detach(self) -> Tensor:
        """The same data, cut from the graph."""
        return Tensor(self.data)

    def requires_grad_(self, flag: bool = True) -> Tensor:
        if flag and not self.is_floating_point():
            raise TypeError(
                "requires_grad: only floating-point tensors can require gradients, "
                f"this one is {self.dtype}; convert it first, e.g. Tensor(x, "
                "dtype=np.float32)"
            )
        self.requires_grad = flag
        return self

    def retain_grad(self) -> None:
        """Keep .grad on this non-leaf tensor after backward (leaves always keep it)."""
        self._retains_grad = True

    # -- the engine --------------------------------------------------------------------
    def backward(self, grad: Any = None, retain_graph: bool = False) -> None:
        """Add d(self)/d(leaf), weighted by grad, to the .grad of every leaf
        that requires grad."""
        if not self.requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require grad, so no graph "
                "leads to it; create the inputs with requires_grad=True "
                "(and not inside no_grad())"
            )
        grads = {id(self): self._seed_grad(grad)}
        # the arrays this pass has stored as some tensor's .grad
        stored_as_grad: set[int] = set()
        for node in reversed(_topological_order(self)):
            g = grads.pop(id(node), None)
            if g is None:
                continue
            fn = node._ctx
            if fn is None or node._retains_grad:
                node._accumulate(g, stored_as_grad)
            if fn is not None:
                self._send_to_inputs(fn, g, grads)
                if not retain_graph:
                    fn.release()

    def _seed_grad(self, grad: Any) -> np.ndarray:
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    "backward: grad can be implied only for a scalar output, but this "
                    f"tensor has shape {self.shape}; reduce it first (e.g. "
                    f"loss.mean()) or pass backward(grad=...) with shape {self.shape}"
                )
            return np.ones_like(self.data)
        grad = np.array(
            as_array(grad), dtype=self.dtype
        )  # a copy: the caller's array stays theirs
        if grad.shape != self.shape:
            raise ValueError(
                f"backward: grad has shape {grad.shape}, the tensor {self.shape}"
            )
        return grad

    @staticmethod
    def _send_to_inputs(
        fn: Function, grad: np.ndarray, grads: dict[int, np.ndarray]
    ) -> None:
        """Ask fn for its inputs' gradients, undo broadcasting, add them up."""
        in_grads = fn.backward(grad)
        if not isinstance(in_grads, tuple):
            in_grads = (in_grads,)
        for t, g in zip(fn.inputs, in_grads, strict=True):
            if g is None or not t.requires_grad:
                continue
            data = t.data
            if type(g) is not np.ndarray or g.dtype != data.dtype:
                g = np.asarray(g, dtype=data.dtype)
            if g.shape != data.shape:
                g = unbroadcast(g, data.shape)
                assert g.shape == data.shape, (
                    f"{fn.name}: gradient {g.shape} for input {data.shape}"
                )
            earlier = grads.get(id(t))
            grads[id(t)] = g if earlier is None else earlier + g

    def _accumulate(self, g: np.ndarray, stored_as_grad: set[int]) -> None:
        """Leaf gradients add up across backward() calls until zeroed (PyTorch).

        The first gradient is kept as it is (no copy) unless another .grad
        already holds it or it is a view into another array: later calls add
        to it in place.
        """
        if self.grad is None:
            if id(g) in stored_as_grad or not g.flags.owndata:
                g = g.copy()
            stored_as_grad.add(id(g))
            self.grad = Tensor(g)
        else:
            self.grad.data += g

    # -- operators (the ops themselves live in functional.py) --------------------------
    def __add__(self, other):
        return F.add(self, other)

    def __radd__(self, other):
        return F.add(other, self)

    def __sub__(self, other):
        return F.sub(self, other)

    def __rsub__(self, other):
        return F.sub(other, self)

    def __mul__(self, other):
        return F.mul(self, other)

    def __rmul__(self, other):
        return F.mul(other, self)

    def __truediv__(self, other):
        return F.div(self, other)

    def __rtruediv__(self, other):
        return F.div(other, self)

    def __neg__(self):
        return F.neg(self)

    def __pow__(self, exponent):
        return F.pow(self, exponent)

    def __matmul__(self, other):
        return F.matmul(self, other)

    def __rmatmul__(self, other):
        return F.matmul(other, self)

    def __getitem__(self, index):
        return F.getitem(self, index)

    # in-place updates (`w -= lr * w.grad` under no_grad()) change .data itself
    def __iadd__(self, other):
        return self._in_place(np.add, other)

    def __isub__(self, other):
        return self._in_place(np.subtract, other)

    def __imul__(self, other):
        return self._in_place(np.multiply, other)

    def __itruediv__(self, other):
        return self._in_place(np.divide, other)

    def _in_place(self, ufunc, other) -> Tensor:
        """Update self.data in place, unless that would silently break the graph."""
        if _grad_enabled and self.requires_grad:
            raise RuntimeError(
                "in-place update of a tensor that requires grad while the graph is "
                "being recorded; update parameters inside `with no_grad():`, or write "
                "x = x + y to make a new tensor"
            )
        ufunc(self.data, _operand(other), out=self.data, casting="same_kind")
        return self

    def zero_(self) -> Tensor:
        self.data[...] = 0
        return self

    # comparisons give boolean tensors outside the graph
    def __lt__(self, other):
        return Tensor(self.data < _operand(other))

    def __le__(self, other):
        return Tensor(self.data <= _operand(other))

    def __gt__(self, other):
        return Tensor(self.data > _operand(other))

    def __ge__(self, other):
        return Tensor(self.data >= _operand(other))

    def __eq__(self, other):
        return Tensor(self.data == _operand(other))

    def __ne__(self, other):
        return Tensor(self.data != _operand(other))

    __hash__ = object.__hash__  # tensors are graph nodes: hashed by identity

    def __bool__(self) -> bool:
        return bool(self.data)

    # -- methods, PyTorch's names ------------------------------------------------------
    def sum(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return F.sum(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def mean(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return F.mean(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return F.max(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def amax(self, dim=None, keepdim=False):
        return F.amax(self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        return Tensor(np.argmax(self.data, axis=dim, keepdims=keepdim))

    def exp(self):
        return F.exp(self)

    def log(self):
        return F.log(self)

    def sqrt(self):
        return F.sqrt(self)

    def abs(self):
        return F.abs(self)

    def clamp(self, min=None, max=None):  # noqa: A002 - PyTorch's argument names
        return F.clamp(self, min, max)

    clip = clamp

    def relu(self):
        return F.relu(self)

    def sigmoid(self):
        return F.sigmoid(self)

    def tanh(self):
        return F.tanh(self)

    def softmax(self, dim=-1):
        return F.softmax(self, dim)

    def log_softmax(self, dim=-1):
        return F.log_softmax(self, dim)

    def logsumexp(self, dim=None, keepdim=False):
        return F.logsumexp(self, dim, keepdim)

    def reshape(self, *shape):
        return F.reshape(self, *shape)

    view = reshape

    def flatten(self, start_dim=0, end_dim=-1):
        return F.flatten(self, start_dim, end_dim)

    def permute(self, *dims):
        return F.permute(self, *dims)

    def transpose(self, dim0=0, dim1=1):
        return F.transpose(self, dim0, dim1)

    @property
    def T(self):  # noqa: N802 - PyTorch's name
        return F.permute(self, *reversed(range(self.ndim)))


from npgrad import functional as F  # noqa: E402 - the ops need Tensor defined first
from npgrad.promotion import result_type  # noqa: E402 - it needs Tensor too

"""What the hidden tests call, so that their verdicts are decided outside the student's
reach.

A hidden test (the ``### BEGIN HIDDEN TESTS`` region of a test cell) reaches the
student's code only through ``submitted(label, lambda: ...)``, which returns plain data
(arrays, numbers, tuples of them: see ``classroom.plain_data``), and makes its
assertions under ``if verdicts():``. The same text runs in three places:

- in a notebook kernel (nbgrader, or the instructor running the source): ``submitted``
  calls the function with npgrad's own implementation of the same thing blocked and
  returns its value, ``verdicts()`` is true, so the test is an ordinary test;
- in the sandbox (``classroom.runner``): ``submitted`` calls the function and records
  what it returned, ``verdicts()`` is false, so nothing is asserted where the student's
  code runs;
- in the grader's own process (``classroom.grade``): ``submitted`` does not call
  anything, it returns what the sandbox recorded, and ``verdicts()`` is true: the
  expected values and the assertions are computed by code the student's code never ran
  beside.

``model_state`` and ``rebuild`` carry an ``nn.Sequential`` of npgrad layers across as
its weights, so that the grader evaluates a trained model with its own copy of npgrad.
"""

from __future__ import annotations

import builtins
import contextlib
from collections.abc import Callable, Iterator
from types import FunctionType, MethodType, ModuleType
from typing import Any

from classroom import plain_data

_state: dict[str, Any] = {"mode": "kernel", "records": {}}
# Exception names the feedback may quote: Python's own and the grader's (a class the
# student defines could carry any text in its name).
SHOWN_ERRORS = frozenset(
    n
    for n, v in vars(builtins).items()
    if isinstance(v, type) and issubclass(v, BaseException)
) | {"ReferenceUsedError"}


class ReferenceUsedError(RuntimeError):
    """A graded function called the npgrad implementation it was meant to replace."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"{name} is npgrad's own implementation, which this test blocks: "
            "write the code yourself instead of calling it"
        )


class SubmissionFailed(AssertionError):
    """The student's code raised, returned what cannot be compared, or never ran."""


def verdicts() -> bool:
    """True where assertions decide (a kernel, the grader); False in the sandbox."""
    return _state["mode"] != "collect"


def submitted(label: str, call: Callable[[], Any], blocked: tuple = ()) -> Any:
    """What call() returns, as plain data: run here, recorded in the sandbox, replayed
    in the grader.

    ``blocked``: npgrad functions, classes or modules that raise ReferenceUsedError
    during the call (see ``reference_blocked``).
    """
    mode = _state["mode"]
    if mode == "replay":
        return _replay(label)
    if mode == "collect":
        if label in _state["records"]:  # the grader would replay one record for both
            raise ValueError(
                f"submitted: the label {label!r} is used twice in this hidden test; "
                "give each call a label of its own"
            )
        _state["records"][label], value = _record(call, blocked)
        return value
    with reference_blocked(*blocked):
        value = call()
    try:
        return plain_data.decode(plain_data.encode(value))
    except plain_data.NotPlainData as error:
        raise SubmissionFailed(f"{label}: returned {error}") from None


def _record(call: Callable[[], Any], blocked: tuple) -> tuple[dict, Any]:
    """The record of one call, and its value (None if it failed)."""
    try:
        with reference_blocked(*blocked):
            value = call()
        return {"value": plain_data.encode(value)}, value
    except plain_data.NotPlainData as error:
        return {"error": "NotPlainData", "message": str(error)[:300]}, None
    except BaseException as error:  # noqa: B036 - recorded, whatever it is
        return {"error": type(error).__name__, "message": str(error)[:300]}, None


def _replay(label: str) -> Any:
    record = _state["records"].get(label)
    if not isinstance(record, dict):
        raise SubmissionFailed(
            f"{label}: not run (the notebook stopped before this test)"
        )
    if "value" in record:
        try:
            return plain_data.decode(record["value"])
        except Exception:
            raise SubmissionFailed(
                f"{label}: the value handed back could not be read"
            ) from None
    error = record.get("error")
    if error == "NotPlainData":
        raise SubmissionFailed(
            f"{label}: your code returned something that is not NumPy "
            "arrays or numbers (a Tensor? return .data)"
        )
    name = error if error in SHOWN_ERRORS else "an exception"
    raise SubmissionFailed(f"{label}: your code raised {name}")


@contextlib.contextmanager
def collecting() -> Iterator[dict]:
    """In the sandbox, for one hidden test: submitted() records; yields the records."""
    with _mode("collect", {}) as records:
        yield records


@contextlib.contextmanager
def replaying(records: dict) -> Iterator[dict]:
    """In the grader, for one hidden test: submitted() returns the sandbox's records."""
    with _mode("replay", records) as replayed:
        yield replayed


@contextlib.contextmanager
def _mode(mode: str, records: dict) -> Iterator[dict]:
    saved = dict(_state)
    _state.update(mode=mode, records=records)
    try:
        yield _state["records"]
    finally:
        _state.clear()
        _state.update(saved)


# ---------------------------------------------------------------- models as data


def model_state(module: Any) -> dict:
    """An nn.Sequential (or one layer) of npgrad's nn as plain data: types, weights."""
    import npgrad.nn as nn

    kind = type(module).__name__
    if type(module) is not getattr(nn, kind, None):
        raise plain_data.NotPlainData(
            f"a {kind}: the grader rebuilds a model made of npgrad's own "
            "nn.Sequential, nn.Linear, nn.ReLU, nn.Sigmoid, nn.Tanh, nn.Dropout, "
            "nn.Flatten, nn.Identity"
        )
    if kind == "Sequential":
        return {
            "layer": kind,
            "layers": [model_state(m) for m in module._modules.values()],
        }
    if kind == "Linear":
        bias = None if module.bias is None else module.bias.data
        return {"layer": kind, "weight": module.weight.data, "bias": bias}
    if kind == "Dropout":
        return {"layer": kind, "p": float(module.p)}
    if kind == "Flatten":
        return {
            "layer": kind,
            "start_dim": int(module.start_dim),
            "end_dim": int(module.end_dim),
        }
    if kind in SIMPLE_LAYERS:
        return {"layer": kind}
    raise plain_data.NotPlainData(
        f"an nn.{kind} layer, which the grader does not rebuild"
    )


MAX_PARAMETERS = 10_000_000  # a model the grader rebuilds and runs in its own process
MAX_WIDTH = 8192
MAX_LAYERS = 1000  # in all, nested Sequentials included
MAX_DEPTH = 10
SIMPLE_LAYERS = ("ReLU", "Sigmoid", "Tanh", "Identity")


def rebuild(state: Any) -> Any:
    """The npgrad module that model_state described, built by the caller's own npgrad.

    At most MAX_LAYERS layers, MAX_PARAMETERS weights, no layer wider than MAX_WIDTH:
    the grader runs the model itself, and a model handed back must not exhaust it. The
    error never quotes the description (a student could put any text in it).
    """
    layers = _layers(state)
    sizes = [
        s["weight"].shape
        for s in layers
        if s.get("layer") == "Linear" and getattr(s.get("weight"), "ndim", 0) == 2
    ]
    too_big = any(max(s) > MAX_WIDTH for s in sizes)
    if too_big or sum(a * b + a for a, b in sizes) > MAX_PARAMETERS:
        raise SubmissionFailed(
            f"the model is larger than the grader evaluates "
            f"({MAX_PARAMETERS:,} parameters, layers of at most "
            f"{MAX_WIDTH} units)"
        )
    return _rebuild(state)


def _layers(state: Any) -> list[dict]:
    """Every layer description in state, walked without recursion, within the bounds."""
    found, stack = [], [(state, 0)]
    while stack:
        item, depth = stack.pop()
        if not isinstance(item, dict) or depth > MAX_DEPTH:
            raise SubmissionFailed(
                "the model handed back is not a model description "
                f"(nested at most {MAX_DEPTH} deep)"
            )
        found.append(item)
        if len(found) > MAX_LAYERS:
            raise SubmissionFailed(f"the model has more than {MAX_LAYERS} layers")
        if item.get("layer") == "Sequential":
            inner = item.get("layers")
            if not isinstance(inner, list):
                raise SubmissionFailed("a Sequential without a list of layers")
            stack += [(layer, depth + 1) for layer in inner[: MAX_LAYERS + 1]]
    return found


def _rebuild(state: dict) -> Any:
    import npgrad.nn as nn

    kind = state.get("layer")
    if kind == "Sequential":
        return nn.Sequential(*[_rebuild(s) for s in state["layers"]])
    if kind == "Linear":
        return _linear(state.get("weight"), state.get("bias"))
    if kind == "Dropout":
        p = state.get("p", 0.0)
        if type(p) not in (int, float) or not 0 <= p < 1:
            raise SubmissionFailed("a Dropout layer whose p is not a number in [0, 1)")
        return nn.Dropout(float(p))
    if kind == "Flatten":
        dims = (state.get("start_dim", 1), state.get("end_dim", -1))
        if not all(type(d) is int and -8 <= d < 8 for d in dims):
            raise SubmissionFailed("a Flatten layer whose dims are not small integers")
        return nn.Flatten(*dims)
    if kind in SIMPLE_LAYERS:
        return getattr(nn, kind)()
    raise SubmissionFailed(
        "a layer the grader does not rebuild (npgrad's Sequential, "
        f"Linear, Dropout, Flatten, {', '.join(SIMPLE_LAYERS)} only)"
    )


def _linear(weight: Any, bias: Any) -> Any:
    import numpy as np

    import npgrad.nn as nn

    if not (
        isinstance(weight, np.ndarray) and weight.ndim == 2 and weight.dtype.kind == "f"
    ):
        raise SubmissionFailed("a Linear layer without a 2-D float weight")
    if bias is not None and not (
        isinstance(bias, np.ndarray) and bias.shape == weight.shape[:1]
    ):
        raise SubmissionFailed("a Linear layer whose bias does not match its weight")
    layer = nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None)
    layer.weight.data = weight
    if bias is not None:
        layer.bias.data = bias
    return layer


def apply_and_backward(
    function: type, inputs: tuple, cotangent: Any, **params: Any
) -> tuple:
    """(output, gradients): function.apply on the inputs, then backward(cotangent)."""
    from npgrad import Tensor

    tensors = [Tensor(x, requires_grad=True) for x in inputs]
    out = function.apply(*tensors, **params)
    out.backward(cotangent)
    return out.data, tuple(None if t.grad is None else t.grad.data for t in tensors)


# ---------------------------------------------------------------- blocking npgrad's
# reference


def _refuse(*args: Any, **kwargs: Any) -> None:
    # This code object replaces a blocked function's, and so runs with that function's
    # globals: it reaches everything it needs through builtins.
    name = __import__("sys")._getframe().f_code.co_qualname
    raise __import__(
        "classroom.judge", fromlist=["ReferenceUsedError"]
    ).ReferenceUsedError(name)


@contextlib.contextmanager
def reference_blocked(*targets: Any) -> Iterator[None]:
    """Inside the block, calling any target raises ReferenceUsedError.

    A target is a function, a class (the methods in its body, except those that call
    super(): block the parent class too) or a module (every function defined in it). The
    function objects themselves change (their ``__code__``), so names bound before the
    block (``from npgrad.tensor import unbroadcast``), subclasses and saved references
    (``ref = F.Mul.backward``) are blocked too. Copies of the code
    (``types.FunctionType``, a reloaded module, ``exec`` of the source) are not: in the
    grader's sandbox, npgrad's implementation of what an assignment asks for is withheld
    from disk instead (``classroom.withhold``).
    """
    functions = list(
        {id(f): f for target in targets for f in _functions(target)}.values()
    )
    for f in functions:
        if f.__closure__:
            raise TypeError(
                f"reference_blocked: cannot block {f.__qualname__}, it has a closure "
                "(super() or an enclosing function); block what it calls instead"
            )
    saved = [(f, f.__code__) for f in functions]
    try:
        for f, code in saved:
            qualname = f"{f.__module__}.{code.co_qualname}"
            f.__code__ = _refuse.__code__.replace(
                co_name=code.co_name, co_qualname=qualname
            )
        yield
    finally:
        for f, code in reversed(saved):
            f.__code__ = code


def _functions(target: Any) -> list[FunctionType]:
    """The functions a target stands for (a class's methods with closures left out)."""
    if isinstance(target, FunctionType):
        return [target]
    if isinstance(target, MethodType):
        return [target.__func__]
    if isinstance(target, type):
        members = [getattr(v, "__func__", v) for v in vars(target).values()]
        return [f for f in members if isinstance(f, FunctionType) and not f.__closure__]
    if isinstance(target, ModuleType):
        return [
            f
            for f in vars(target).values()
            if isinstance(f, FunctionType) and f.__module__ == target.__name__
        ]
    raise TypeError(
        f"reference_blocked: cannot block {target!r}; "
        "pass functions, classes or modules"
    )

"""npgrad: a small PyTorch-like deep-learning framework in NumPy, built in a course."""

from npgrad import data, functional, graph, nn, optim, train
from npgrad.creation import ones, ones_like, randn, tensor, zeros, zeros_like
from npgrad.functional import (
    cat,
    concatenate,
    exp,
    log,
    log_softmax,
    logsumexp,
    matmul,
    maximum,
    relu,
    sigmoid,
    softmax,
    sqrt,
    stack,
    tanh,
)
from npgrad.gradcheck import gradcheck
from npgrad.serialization import load, save
from npgrad.tensor import DEFAULT_DTYPE, Function, Tensor, is_grad_enabled, no_grad

# fmt: off
__all__ = [
    "DEFAULT_DTYPE", "Function", "Tensor", "cat", "data", "concatenate", "exp",
    "functional", "gradcheck", "graph", "is_grad_enabled", "load", "log", "log_softmax",
    "logsumexp", "matmul", "maximum", "nn", "no_grad", "ones", "ones_like", "optim",
    "randn", "relu", "save", "sigmoid", "softmax", "sqrt", "stack", "tanh", "tensor",
    "train", "zeros", "zeros_like",
]
# fmt: on

"""Max and average pooling on (N, C, H, W) arrays, each a Function with backward beside
forward, with PyTorch's semantics. They slide their windows as convolution does: the
window geometry, padding and im2col view are conv.py's, and no Python loop runs over
examples, channels or output pixels (only over the kernel offsets).
"""

from __future__ import annotations

import numpy as np

from npgrad.conv import (
    Geometry,
    _check_4d,
    _check_floating,
    _geometry,
    _offset_slice,
    _pad,
    _unpad,
    _windows,
)
from npgrad.tensor import Function, Tensor, as_array


class MaxPool2d(Function):
    """y = the largest element of each window (padding counts as -inf). As PyTorch's
    CPU kernel, the gradient goes to one element: the first largest in row-major order,
    or the last NaN if the window holds one; a window of -inf picks its first real
    element."""

    def __init__(self, geometry: Geometry):
        self.g = geometry

    def forward(self, x):
        self.shape, out = x.shape, self.g.out_size(*x.shape[2:])
        windows = _windows(_pad(x, self.g.pads, -np.inf), self.g, out)
        real = self._real_windows(x.shape, out)
        best = windows[:, :, 0, 0].copy()
        self.index = np.zeros(best.shape, dtype=np.int16)  # which kernel offset won
        on_pad = None if real is None else ~real[0, 0]  # the winner so far is padding
        nan = bool(np.isnan(x).any())
        for k, (i, j, _) in enumerate(self.g.offsets()):
            v = windows[:, :, i, j]
            better = v > best
            if nan:
                better |= np.isnan(v)
            if on_pad is not None:
                better |= on_pad & real[i, j] & (v == best)
                on_pad = on_pad & ~better
            np.maximum(v, best, out=best)  # ties keep best (-0.0 before 0.0)
            # k grows, so the latest winner has the largest index
            np.maximum(self.index, np.int16(k) * better, out=self.index)
        return best

    def _real_windows(self, shape, out):
        """Per kernel offset, which output pixels read a real element (None: no
        padding)."""
        if not any(sum(self.g.pads, ())):
            return None
        mask = _pad(np.ones((1, 1) + shape[2:], dtype=bool), self.g.pads, False)
        return _windows(mask, self.g, out)[0, 0]

    def backward(self, grad):
        dxp = np.zeros(
            self.shape[:2] + self.g.padded(*self.shape[2:]), dtype=grad.dtype
        )
        finite = np.isfinite(grad).all()  # then grad * won is exact and fast
        for k, (_, _, start) in enumerate(self.g.offsets()):
            won = self.index == k
            dxp[_offset_slice(self.g, start, grad.shape[2:])] += (
                grad * won if finite else np.where(won, grad, 0)
            )
        return _unpad(dxp, self.g.pads, self.shape)


class AvgPool2d(Function):
    """y = (sum of each window, padding as zeros) / divisor; the divisor is kh kw, the
    real elements counted (count_include_pad=False), or divisor_override.
    Backward: each window element gets grad / divisor."""

    def __init__(self, geometry: Geometry, count_include_pad: bool, divisor_override):
        self.g, self.include_pad, self.override = (
            geometry,
            count_include_pad,
            divisor_override,
        )

    def forward(self, x):
        self.shape, out = x.shape, self.g.out_size(*x.shape[2:])
        windows = _windows(_pad(x, self.g.pads), self.g, out)
        total = np.zeros(x.shape[:2] + out, dtype=x.dtype)
        for i, j, _ in self.g.offsets():
            total += windows[:, :, i, j]
        self.divisor = self._divisor(x.shape, out).astype(x.dtype)
        return total / self.divisor

    def _divisor(self, shape, out) -> np.ndarray:
        if self.override is not None:
            return np.asarray(self.override)
        if self.include_pad or not any(sum(self.g.pads, ())):
            return np.asarray(self.g.kernel[0] * self.g.kernel[1])
        ones = _pad(np.ones((1, 1) + shape[2:]), self.g.pads)
        return _windows(ones, self.g, out)[0, 0].sum(axis=(0, 1))

    def backward(self, grad):
        share = grad / self.divisor
        dxp = np.zeros(
            self.shape[:2] + self.g.padded(*self.shape[2:]), dtype=grad.dtype
        )
        for _, _, start in self.g.offsets():
            dxp[_offset_slice(self.g, start, grad.shape[2:])] += share
        return _unpad(dxp, self.g.pads, self.shape)


def _pool_geometry(op: str, shape, kernel_size, stride, padding, dilation, ceil_mode):
    if ceil_mode:
        raise NotImplementedError(
            f"{op}: ceil_mode=True is not implemented in npgrad; pad "
            "the input so that the windows fit, or crop it"
        )
    g = _geometry(
        op, kernel_size, kernel_size if stride is None else stride, padding, dilation
    )
    _check_4d(op, shape)
    half = tuple(k // 2 for k in g.kernel)
    if g.pads[0][0] > half[0] or g.pads[1][0] > half[1]:
        raise ValueError(
            f"{op}: padding {(g.pads[0][0], g.pads[1][0])} is more than half the "
            f"kernel {g.kernel}; a window could then hold padding only. Use "
            f"padding <= {half}"
        )
    g.check(op, shape)
    return g


def max_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,  # noqa: A002
    ceil_mode=False,
) -> Tensor:
    """Largest element of each kh x kw window (torch.nn.functional.max_pool2d); the
    stride defaults to the kernel size, so windows do not overlap."""
    shape = as_array(input).shape
    g = _pool_geometry(
        "max_pool2d", shape, kernel_size, stride, padding, dilation, ceil_mode
    )
    _check_floating("max_pool2d", input)
    return MaxPool2d.apply(input, geometry=g)


def avg_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,  # noqa: A002
    count_include_pad=True,
    divisor_override=None,
) -> Tensor:
    """Mean of each kh x kw window (torch.nn.functional.avg_pool2d), zero padding
    counted unless count_include_pad=False; the stride defaults to the kernel size."""
    shape = as_array(input).shape
    g = _pool_geometry("avg_pool2d", shape, kernel_size, stride, padding, 1, ceil_mode)
    _check_floating("avg_pool2d", input)
    return AvgPool2d.apply(
        input,
        geometry=g,
        count_include_pad=count_include_pad,
        divisor_override=divisor_override,
    )

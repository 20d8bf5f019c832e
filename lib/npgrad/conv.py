"""Convolution on (N, C, H, W) arrays, each a Function with backward beside forward:
unfold (im2col), fold (col2im) and conv2d, with PyTorch's semantics (pooling, built on
the same window geometry, is in pooling.py).

No Python loop runs over examples, channels or output pixels. im2col is one strided
view of the padded input, copied once; col2im, pooling and their backwards loop over
the kernel offsets only (kh * kw slices of the whole batch each).

Where npgrad differs from PyTorch: an unbatched (C, H, W) input is refused (add the
batch axis), conv2d's groups must be 1, padding_mode is "zeros" and ceil_mode is False.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from npgrad.tensor import Function, Tensor, as_array

Pair = tuple[int, int]


# ---------------------------------------------------------------------------- geometry


def _pair(op: str, arg: str, value: Any, least: int) -> Pair:
    """An int or a pair of ints (kernel_size, stride, padding, dilation),
    each >= least."""
    pair = (value, value) if isinstance(value, int | np.integer) else value
    if not (
        isinstance(pair, tuple | list)
        and len(pair) == 2
        and all(isinstance(v, int | np.integer) for v in pair)
    ):
        raise TypeError(f"{op}: {arg} must be an int or a pair of ints, got {value!r}")
    if min(pair) < least:
        raise ValueError(f"{op}: {arg} must be at least {least}, got {value!r}")
    return int(pair[0]), int(pair[1])


@dataclass(frozen=True)
class Geometry:
    """Where the windows sit:
    out = (in + pad_lo + pad_hi - dilation (k - 1) - 1) // stride + 1."""

    kernel: Pair
    stride: Pair
    dilation: Pair
    pads: tuple[Pair, Pair]  # ((top, bottom), (left, right))

    def span(self) -> Pair:
        """The height and width a dilated kernel covers."""
        return tuple(
            d * (k - 1) + 1 for k, d in zip(self.kernel, self.dilation, strict=True)
        )

    def padded(self, h: int, w: int) -> Pair:
        return h + sum(self.pads[0]), w + sum(self.pads[1])

    def out_size(self, h: int, w: int) -> Pair:
        return tuple(
            (p - s) // st + 1
            for p, s, st in zip(
                self.padded(h, w), self.span(), self.stride, strict=True
            )
        )

    def check(self, op: str, shape: tuple[int, ...]) -> None:
        """Refuse a window larger than the padded input (it would give no output)."""
        ph, pw = self.padded(*shape[2:])
        sh, sw = self.span()
        if sh > ph or sw > pw:
            raise ValueError(
                f"{op}: the kernel {self.kernel} (spanning {sh} x {sw} with dilation "
                f"{self.dilation}) is larger than the padded input {ph} x {pw} (input "
                f"{shape}, padding {self.pads}); pad the input more or use a smaller "
                "kernel"
            )

    def offsets(self):
        """Each kernel offset (i, j) with the slices of the padded input its elements
        read."""
        (kh, kw), (dh, dw) = self.kernel, self.dilation
        for i in range(kh):
            for j in range(kw):
                yield i, j, (dh * i, dw * j)


def _pad(x: np.ndarray, pads: tuple[Pair, Pair], value: float = 0.0) -> np.ndarray:
    (top, bottom), (left, right) = pads
    if not (top or bottom or left or right):
        return x
    h, w = x.shape[2:]
    out = np.full(
        x.shape[:2] + (h + top + bottom, w + left + right), value, dtype=x.dtype
    )
    out[:, :, top : top + h, left : left + w] = x
    return out


def _windows(xp: np.ndarray, g: Geometry, out: Pair) -> np.ndarray:
    """A read-only view (N, C, kh, kw, Ho, Wo) of padded xp:
    view[n, c, i, j, y, x] = xp[n, c, y sh + i dh, x sw + j dw]. No copy."""
    sn, sc, sy, sx = xp.strides
    (dh, dw), (sh, sw) = g.dilation, g.stride
    shape = xp.shape[:2] + g.kernel + out
    strides = (sn, sc, sy * dh, sx * dw, sy * sh, sx * sw)
    return as_strided(xp, shape, strides, writeable=False)


def _offset_slice(g: Geometry, start: Pair, out: Pair) -> tuple[slice, ...]:
    """The padded input's elements that kernel offset `start` reads for every output
    pixel."""
    (y, x), (sh, sw) = start, g.stride
    return (
        slice(None),
        slice(None),
        slice(y, y + sh * (out[0] - 1) + 1, sh),
        slice(x, x + sw * (out[1] - 1) + 1, sw),
    )


def _col2im(cols: np.ndarray, g: Geometry, shape: tuple) -> np.ndarray:
    """The adjoint of _windows: add cols (N, C, kh, kw, Ho, Wo) back where each
    element was read from, then drop the padding. The sums are laid out batch
    last in memory (cols should be too, for speed); the result is C-ordered."""
    out = cols.shape[4:]
    xp = _batch_last(shape[:2] + g.padded(*shape[2:]), cols.dtype)
    for i, j, start in g.offsets():
        xp[_offset_slice(g, start, out)] += cols[:, :, i, j]
    return np.ascontiguousarray(_unpad(xp, g.pads, shape))


def _batch_last(shape: tuple[int, ...], dtype) -> np.ndarray:
    """Zeros of shape (N, C, H, W) laid out (C, H, W, N) in memory: a slice of the
    whole batch is then runs of W N numbers in a row, not rows of W."""
    return np.moveaxis(np.zeros(shape[1:] + shape[:1], dtype), -1, 0)


def _unpad(
    xp: np.ndarray, pads: tuple[Pair, Pair], shape: tuple[int, ...]
) -> np.ndarray:
    (top, _), (left, _) = pads
    return xp[:, :, top : top + shape[2], left : left + shape[3]]


def _check_4d(
    op: str, shape: tuple[int, ...], what: str = "input (N, C, H, W)"
) -> None:
    if len(shape) != 4:
        fix = (
            f"; add the batch axis with x.reshape(1, {', '.join(map(str, shape))})"
            if len(shape) == 3
            else ""
        )
        raise ValueError(f"{op}: expected a 4-D {what}, got shape {shape}{fix}")


def _check_floating(op: str, *arrays: Any) -> None:
    """Float inputs of one dtype: PyTorch refuses float32 mixed with float64 here
    too."""
    tensors = [a for a in arrays if isinstance(a, Tensor)]
    dtypes = [t.dtype for t in tensors]
    if any(d.kind != "f" for d in dtypes):
        raise TypeError(
            f"{op}: expected floating-point tensors, got dtypes "
            f"{[str(d) for d in dtypes]}; convert with Tensor(x, dtype=np.float32)"
        )
    if len(set(dtypes)) > 1:
        raise TypeError(
            f"{op}: the tensors have different dtypes {[str(d) for d in dtypes]}; "
            "cast them to one, e.g. Tensor(x.numpy().astype(np.float32))"
        )


# ----------------------------------------------------------------- unfold and fold


class Unfold(Function):
    """im2col: (N, C, H, W) -> (N, C kh kw, L), column l holding the window of output
    pixel l."""

    def __init__(self, geometry: Geometry):
        self.g = geometry

    def forward(self, x):
        self.shape = x.shape
        out = self.g.out_size(*x.shape[2:])
        cols = _windows(_pad(x, self.g.pads), self.g, out)
        cols = cols.reshape(x.shape[0], -1, out[0] * out[1])
        return (
            cols.copy() if np.may_share_memory(cols, x) else cols
        )  # never a view of x

    def backward(self, grad):
        out = self.g.out_size(*self.shape[2:])
        return _col2im(
            grad.reshape(self.shape[:2] + self.g.kernel + out), self.g, self.shape
        )


class Fold(Function):
    """col2im: (N, C kh kw, L) -> (N, C, H, W), overlapping window elements added up."""

    def __init__(self, geometry: Geometry, shape: tuple[int, ...]):
        self.g, self.shape = geometry, shape

    def forward(self, cols):
        out = self.g.out_size(*self.shape[2:])
        return _col2im(
            cols.reshape(self.shape[:2] + self.g.kernel + out), self.g, self.shape
        )

    def backward(self, grad):
        out = self.g.out_size(*self.shape[2:])
        cols = _windows(_pad(grad, self.g.pads), self.g, out)
        return cols.reshape(self.shape[0], -1, out[0] * out[1])


def _geometry(op: str, kernel_size, stride, padding, dilation) -> Geometry:
    pad = _pair(op, "padding", padding, 0)
    return Geometry(
        _pair(op, "kernel_size", kernel_size, 1),
        _pair(op, "stride", stride, 1),
        _pair(op, "dilation", dilation, 1),
        ((pad[0], pad[0]), (pad[1], pad[1])),
    )


def unfold(input, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:  # noqa: A002
    """Sliding windows as columns (torch.nn.functional.unfold):
    (N, C, H, W) -> (N, C kh kw, L)."""
    g = _geometry("unfold", kernel_size, stride, padding, dilation)
    shape = as_array(input).shape
    _check_4d("unfold", shape)
    g.check("unfold", shape)
    return Unfold.apply(input, geometry=g)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:  # noqa: A002
    """Columns back into an image, overlaps summed (torch.nn.functional.fold): the
    adjoint of unfold, (N, C kh kw, L) -> (N, C, H, W) with (H, W) = output_size."""
    g = _geometry("fold", kernel_size, stride, padding, dilation)
    size = _pair("fold", "output_size", output_size, 1)
    shape = as_array(input).shape
    if len(shape) != 3:
        raise ValueError(
            f"fold: expected a 3-D input (N, C * kh * kw, L), got shape {shape}"
        )
    k = g.kernel[0] * g.kernel[1]
    g.check("fold", (1, 1) + size)
    out = g.out_size(*size)
    if shape[1] % k or shape[2] != out[0] * out[1]:
        raise ValueError(
            f"fold: input {shape} does not fit output_size {size} with kernel "
            f"{g.kernel}: "
            f"dim 1 must be a multiple of {k} (C * kh * kw) and dim 2 must be "
            f"{out[0] * out[1]} (the {out[0]} x {out[1]} windows)"
        )
    return Fold.apply(input, geometry=g, shape=(shape[0], shape[1] // k) + size)


# ---------------------------------------------------------------------------- conv2d


class Conv2d(Function):
    """y[n, o] = b[o] + sum_{c,i,j} w[o, c, i, j] x_pad[n, c, y sh + i dh, x sw + j dw]:
    cross-correlation as a matrix product per example, Y_n = W cols_n with
    cols = unfold(x) (C kh kw, L) and W reshaped (O, C kh kw). Backward:
    dW = sum_n dY_n cols_n^T, db = dY summed over examples and pixels,
    dx = fold(W^T dY_n)."""

    def __init__(self, geometry: Geometry):
        self.g = geometry

    def forward(self, x, weight, bias=None):
        n, out = x.shape[0], self.g.out_size(*x.shape[2:])
        # (N, C, kh, kw, Ho, Wo)
        windows = _windows(_pad(x, self.g.pads), self.g, out)
        self.cols = windows.reshape(n, -1, out[0] * out[1])  # im2col: one copy
        self.shape, self.weight = x.shape, weight
        y = np.matmul(weight.reshape(len(weight), -1), self.cols)  # (N, O, L)
        if bias is not None:
            y += bias[:, None]
        return y.reshape(n, len(weight), *out)

    def backward(self, grad):
        rows = grad.reshape(grad.shape[0], grad.shape[1], -1)  # (N, O, L)
        gx = self._input_grad(rows, grad.shape) if self.needs_grad[0] else None
        gw = self._weight_grad(rows) if self.needs_grad[1] else None
        if len(self.needs_grad) == 2:
            return gx, gw
        return gx, gw, rows.sum(axis=(0, 2)) if self.needs_grad[2] else None

    def _weight_grad(self, rows: np.ndarray) -> np.ndarray:
        per_example = np.matmul(self.cols, rows.transpose(0, 2, 1))  # (N, C kh kw, O)
        return per_example.sum(axis=0).T.reshape(self.weight.shape)

    def _input_grad(self, rows: np.ndarray, out_shape: tuple[int, ...]) -> np.ndarray:
        """W^T dY for the whole batch in one product, batch last: (C kh kw, Ho Wo N)."""
        o, n = len(self.weight), out_shape[0]
        dcols = self.weight.reshape(o, -1).T @ np.moveaxis(rows, 0, -1).reshape(o, -1)
        dcols = dcols.reshape(self.shape[1:2] + self.g.kernel + out_shape[2:] + (n,))
        return _col2im(np.moveaxis(dcols, -1, 0), self.g, self.shape)


def _conv_pads(
    padding, kernel: Pair, dilation: Pair, stride: Pair
) -> tuple[Pair, Pair]:
    """PyTorch's padding: ints, a pair, "valid" (none) or "same" (output size = input
    size, any odd total split with the extra row and column at the bottom and right)."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding != "same":
            raise ValueError(
                f"conv2d: padding must be 'same', 'valid', an int or a pair, "
                f"got {padding!r}"
            )
        if stride != (1, 1):
            raise ValueError(
                f"conv2d: padding='same' needs stride 1, got stride {stride}; "
                "give the padding as numbers instead"
            )
        totals = [d * (k - 1) for k, d in zip(kernel, dilation, strict=True)]
        return tuple((t // 2, t - t // 2) for t in totals)
    pad = _pair("conv2d", "padding", padding, 0)
    return (pad[0], pad[0]), (pad[1], pad[1])


def conv2d(
    input,
    weight,
    bias=None,
    stride=1,
    padding=0,
    dilation=1,  # noqa: A002
    groups=1,
) -> Tensor:
    """2-D cross-correlation, as torch.nn.functional.conv2d: input (N, C, H, W),
    weight (O, C, kh, kw), bias (O,) -> (N, O, Ho, Wo),
    Ho = (H + 2p - d (kh - 1) - 1) // s + 1."""
    stride = _pair("conv2d", "stride", stride, 1)
    dilation = _pair("conv2d", "dilation", dilation, 1)
    xs, ws = as_array(input).shape, as_array(weight).shape
    _check_conv(xs, ws, None if bias is None else as_array(bias).shape, groups)
    _check_floating("conv2d", input, weight, bias)
    pads = _conv_pads(padding, ws[2:], dilation, stride)
    g = Geometry(ws[2:], stride, dilation, pads)
    g.check("conv2d", xs)
    args = (input, weight) if bias is None else (input, weight, bias)
    return Conv2d.apply(*args, geometry=g)


def _check_conv(xs: tuple, ws: tuple, bs: tuple | None, groups: int) -> None:
    if groups != 1:
        raise NotImplementedError(
            f"conv2d: groups={groups} is not implemented in npgrad (only groups=1); "
            "for a depthwise convolution, apply one conv2d per group and concatenate "
            "with cat"
        )
    _check_4d("conv2d", xs)
    _check_4d("conv2d", ws, "weight (out_channels, in_channels, kH, kW)")
    if xs[1] != ws[1]:
        raise ValueError(
            f"conv2d: input {xs} has {xs[1]} channels but weight {ws} expects {ws[1]} "
            f"(its dim 1); give the layer in_channels={xs[1]}, or check the previous "
            "layer's out_channels"
        )
    if bs is not None and bs != ws[:1]:
        raise ValueError(
            f"conv2d: bias of shape {bs} does not match weight {ws}; it needs "
            f"shape ({ws[0]},), one value per output channel"
        )

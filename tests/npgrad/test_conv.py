"""Convolution (npgrad/conv.py), pooling (npgrad/pooling.py) and their layers: PyTorch
parity to rtol 1e-10 in float64 on generated geometries, a worked example, max pooling's ties, and the errors.

The op table (test_functional.py) checks the same ops by central differences; the fuzz
(test_fuzz.py) inside random graphs.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import npgrad.functional as F
from npgrad import Tensor, gradcheck, nn

torch = pytest.importorskip("torch", reason="PyTorch is not installed: pip install torch==2.13.0")
TF = torch.nn.functional
SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


# --------------------------------------------------------------------------- parity, generated


@st.composite
def geometries(draw, pool=False, dilation=True):
    """A batch of images with a kernel, stride, padding and dilation that fit it."""
    def two(lo, hi):
        return draw(st.integers(lo, hi)), draw(st.integers(lo, hi))
    k, s = two(1, 4), two(1, 3)
    d = two(1, 3) if dilation else (1, 1)
    p = tuple(draw(st.integers(0, kk // 2 if pool else 3)) for kk in k)
    size = tuple(max(1, dd * (kk - 1) + 1 - 2 * pp) + draw(st.integers(0, 6))
                 for kk, dd, pp in zip(k, d, p, strict=True))
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 4))) + size
    return shape, {"kernel_size": k, "stride": s, "padding": p, "dilation": d}


def assert_parity(ours_fn, theirs_fn, *arrays, seed=0):
    """Values and every input's gradient equal PyTorch's to rtol 1e-10 (float64)."""
    ours = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, ref = ours_fn(*ours), theirs_fn(*theirs)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    direction = np.random.default_rng(seed).standard_normal(out.shape)
    (out * direction).sum().backward()
    (ref * torch.tensor(direction)).sum().backward()
    for i, (o, t) in enumerate(zip(ours, theirs, strict=True)):
        np.testing.assert_allclose(o.grad.data, t.grad.numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=f"input {i}")


def _random(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


@SETTINGS
@given(geometries(), st.integers(1, 4), st.booleans())
def test_conv2d_matches_pytorch_on_generated_geometries(case, out_channels, with_bias):
    shape, kw = case
    k = kw.pop("kernel_size")
    x, w = _random(shape), _random((out_channels, shape[1]) + k, 1)
    args = (x, w, _random(out_channels, 2)) if with_bias else (x, w)
    assert_parity(lambda *t: F.conv2d(*t, **kw), lambda *t: TF.conv2d(*t, **kw), *args)


@SETTINGS
@given(geometries(), st.sampled_from(["same", "valid"]))
def test_conv2d_same_and_valid_padding_match_pytorch(case, padding):
    shape, kw = case
    k, d = kw["kernel_size"], kw["dilation"]
    if padding == "valid":  # the generated size fits the generated padding, not none
        spans = [dd * (kk - 1) + 1 for kk, dd in zip(k, d, strict=True)]
        shape = shape[:2] + tuple(max(n, s) for n, s in zip(shape[2:], spans, strict=True))
    x, w, b = _random(shape), _random((2, shape[1]) + k, 1), _random(2, 2)
    out = F.conv2d(Tensor(x), Tensor(w), Tensor(b), padding=padding, dilation=d)
    if padding == "same":
        assert out.shape[2:] == shape[2:]
    with warnings.catch_warnings():  # PyTorch warns that an even "same" padding copies x
        warnings.simplefilter("ignore", UserWarning)
        assert_parity(lambda *t: F.conv2d(*t, padding=padding, dilation=d),
                      lambda *t: TF.conv2d(*t, padding=padding, dilation=d), x, w, b)


@SETTINGS
@given(geometries())
def test_unfold_and_fold_match_pytorch_on_generated_geometries(case):
    shape, kw = case
    x = _random(shape)
    assert_parity(lambda t: F.unfold(t, **kw), lambda t: TF.unfold(t, **kw), x)
    cols = _random(F.unfold(Tensor(x), **kw).shape, 1)
    assert_parity(lambda t: F.fold(t, shape[2:], **kw), lambda t: TF.fold(t, shape[2:], **kw),
                  cols)


@SETTINGS
@given(geometries(pool=True))
def test_max_pool2d_matches_pytorch_on_generated_geometries(case):
    shape, kw = case
    assert_parity(lambda t: F.max_pool2d(t, **kw), lambda t: TF.max_pool2d(t, **kw),
                  _random(shape))


@SETTINGS
@given(geometries(pool=True, dilation=False), st.booleans(), st.sampled_from([None, 3]))
def test_avg_pool2d_matches_pytorch_on_generated_geometries(case, include_pad, divisor):
    shape, kw = case
    kw.pop("dilation")
    kw.update(count_include_pad=include_pad, divisor_override=divisor)
    assert_parity(lambda t: F.avg_pool2d(t, **kw), lambda t: TF.avg_pool2d(t, **kw),
                  _random(shape))


# --------------------------------------------------------------------------- by hand


def test_conv2d_of_a_small_example_worked_by_hand():
    x = Tensor(np.arange(9.0).reshape(1, 1, 3, 3), requires_grad=True)  # 0 1 2 / 3 4 5 / 6 7 8
    w = Tensor(np.array([[[[1.0, 0.0], [0.0, -1.0]]]]), requires_grad=True)
    b = Tensor(np.array([0.5]), requires_grad=True)
    y = F.conv2d(x, w, b)  # each output: top-left minus bottom-right of its window, plus 0.5
    np.testing.assert_array_equal(y.data, [[[[0 - 4 + 0.5, 1 - 5 + 0.5], [3 - 7 + 0.5, 4 - 8 + 0.5]]]])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[[[1, 1, 0], [1, 0, -1], [0, -1, -1]]]])
    np.testing.assert_array_equal(w.grad.data, [[[[0 + 1 + 3 + 4, 1 + 2 + 4 + 5],
                                                  [3 + 4 + 6 + 7, 4 + 5 + 7 + 8]]]])
    assert b.grad.data.tolist() == [4.0]


def test_conv2d_output_size_follows_the_formula():
    x = Tensor(np.zeros((2, 3, 28, 28), dtype=np.float32))
    for k, s, p, d in [(5, 1, 0, 1), (5, 1, 2, 1), (3, 2, 1, 1), (3, 1, 0, 2), (4, 3, 1, 1)]:
        out = F.conv2d(x, Tensor(np.zeros((4, 3, k, k), dtype=np.float32)), stride=s,
                       padding=p, dilation=d)
        side = (28 + 2 * p - d * (k - 1) - 1) // s + 1
        assert out.shape == (2, 4, side, side)
        assert out.dtype == np.float32  # a float32 graph stays float32


def test_conv2d_is_unfold_then_a_matrix_product():
    x, w = _random((2, 3, 6, 5)), _random((4, 3, 3, 2), 1)
    cols = F.unfold(Tensor(x), (3, 2), padding=1, stride=(1, 2)).data  # (N, C kh kw, L)
    y = F.conv2d(Tensor(x), Tensor(w), padding=1, stride=(1, 2)).data
    np.testing.assert_allclose(y.reshape(2, 4, -1), w.reshape(4, -1) @ cols, rtol=1e-13)


def test_fold_is_the_adjoint_of_unfold():
    """<unfold(x), c> = <x, fold(c)> for any x and c: col2im is im2col transposed."""
    x, kw = _random((2, 3, 7, 6)), {"kernel_size": (3, 2), "stride": (2, 1), "padding": 1}
    cols = F.unfold(Tensor(x), **kw).data
    c = _random(cols.shape, 1)
    back = F.fold(Tensor(c), (7, 6), **kw).data
    assert (cols * c).sum() == pytest.approx((x * back).sum(), rel=1e-12)


def test_unfold_never_returns_a_view_of_its_input():
    x = Tensor(np.ones((1, 1, 3, 3)))
    cols = F.unfold(x, 1)
    cols.data[...] = 5
    assert x.data.max() == 1


@pytest.mark.parametrize("op", [F.conv2d, F.unfold, F.fold, F.max_pool2d, F.avg_pool2d],
                         ids=lambda f: f.__name__)
def test_gradient_with_stride_and_padding_matches_central_differences(op):
    x = _random((2, 2, 7, 6))
    if op is F.conv2d:
        gradcheck(lambda a, w: op(a, w, stride=2, padding=(1, 2), dilation=(2, 1)), x,
                  _random((3, 2, 3, 2), 1), atol=1e-6, rtol=1e-5)
    elif op is F.fold:
        gradcheck(lambda c: op(c, (7, 6), 3, stride=2, padding=1), _random((2, 18, 12)),
                  atol=1e-6, rtol=1e-5)
    else:
        gradcheck(lambda a: op(a, 3, stride=2, padding=1), x, atol=1e-6, rtol=1e-5)


# --------------------------------------------------------------------------- max pooling's ties


def _pool_grad(x, **kw):
    t = Tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    F.max_pool2d(t, **kw).sum().backward()
    ref = torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    TF.max_pool2d(ref, **kw).sum().backward()
    return t.grad.data, ref.grad.numpy()


def test_max_pool2d_sends_the_gradient_to_the_first_largest_at_ties():
    x = [[[[3.0, 3.0, 1.0, 2.0], [3.0, 3.0, 2.0, 2.0]]]]
    ours, theirs = _pool_grad(x, kernel_size=2)
    np.testing.assert_array_equal(ours, [[[[1, 0, 0, 1], [0, 0, 0, 0]]]])
    np.testing.assert_array_equal(ours, theirs)


def test_max_pool2d_overlapping_windows_add_up_their_gradients():
    x = [[[[0.0, 0.0, 0.0], [0.0, 9.0, 0.0], [0.0, 0.0, 0.0]]]]
    ours, theirs = _pool_grad(x, kernel_size=2, stride=1)
    assert ours[0, 0, 1, 1] == 4  # the centre wins all four windows
    np.testing.assert_array_equal(ours, theirs)


def test_max_pool2d_of_nan_and_minus_infinity_picks_as_pytorch():
    nan, inf = np.nan, np.inf
    x = [[[[nan, 1.0, nan, -inf], [2.0, nan, -inf, -inf]]]]  # the last NaN; a real -inf
    ours, theirs = _pool_grad(x, kernel_size=2)
    np.testing.assert_array_equal(ours, [[[[0, 0, 1, 0], [0, 1, 0, 0]]]])
    np.testing.assert_array_equal(ours, theirs)
    ours, theirs = _pool_grad([[[[-inf, -inf], [-inf, -inf]]]], kernel_size=2, padding=1)
    np.testing.assert_array_equal(ours, [[[[1, 1], [1, 1]]]])  # never a padding cell
    np.testing.assert_array_equal(ours, theirs)


def test_max_pool2d_sends_a_non_finite_gradient_to_the_winner_only():
    """Backward multiplies grad by the winner mask when grad is finite; inf or NaN in
    grad takes np.where, so the losers still get exactly 0 (inf * 0 would be NaN)."""
    x = np.array([[[[1.0, 2.0, 5.0, 3.0], [0.0, 4.0, 1.0, 1.0]]]])
    for g in ([[[[np.inf, np.nan]]]], [[[[-2.0, 0.5]]]]):
        t = Tensor(x, requires_grad=True)
        F.max_pool2d(t, 2).backward(np.array(g))
        ref = torch.tensor(x, requires_grad=True)
        TF.max_pool2d(ref, 2).backward(torch.tensor(g))
        np.testing.assert_array_equal(t.grad.data, ref.grad.numpy())
        assert np.count_nonzero(t.grad.data) == 2  # one winner per window


def test_max_pool2d_keeps_the_first_of_minus_and_plus_zero_as_pytorch():
    for first, second in ((-0.0, 0.0), (0.0, -0.0)):
        x = np.array([[[[first, second, 0.0, 0.0]]]])
        ours = F.max_pool2d(Tensor(x), (1, 2)).data
        theirs = TF.max_pool2d(torch.tensor(x), (1, 2)).numpy()
        np.testing.assert_array_equal(np.signbit(ours), np.signbit(theirs))
        assert np.signbit(ours[0, 0, 0, 0]) == np.signbit(first)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: F.conv2d(Tensor(np.ones((3, 28, 28))), Tensor(np.ones((6, 3, 5, 5)))), ValueError,
     r"^conv2d: expected a 4-D input \(N, C, H, W\), got shape \(3, 28, 28\); add the batch "
     r"axis with x.reshape\(1, 3, 28, 28\)$"),
    (lambda: F.conv2d(Tensor(np.ones((8, 3, 28, 28))), Tensor(np.ones((6, 1, 5, 5)))),
     ValueError, r"^conv2d: input \(8, 3, 28, 28\) has 3 channels but weight \(6, 1, 5, 5\) "
     r"expects 1 \(its dim 1\); give the layer in_channels=3"),
    (lambda: F.conv2d(Tensor(np.ones((1, 1, 3, 3))), Tensor(np.ones((1, 1, 5, 5)))),
     ValueError, r"^conv2d: the kernel \(5, 5\) \(spanning 5 x 5 with dilation \(1, 1\)\) is "
     r"larger than the padded input 3 x 3 .*pad the input more or use a smaller kernel$"),
    (lambda: F.conv2d(Tensor(np.ones((1, 1, 4, 4))), Tensor(np.ones((1, 1, 3, 3))),
                      dilation=2), ValueError, r"spanning 5 x 5 with dilation \(2, 2\)"),
    (lambda: F.conv2d(Tensor(np.ones((1, 1, 4, 4))), Tensor(np.ones((2, 1, 3, 3))),
                      Tensor(np.ones(3))), ValueError,
     r"^conv2d: bias of shape \(3,\) does not match weight \(2, 1, 3, 3\); it needs shape \(2,\)"),
    (lambda: F.conv2d(Tensor(np.ones((1, 2, 4, 4))), Tensor(np.ones((2, 1, 3, 3))), groups=2),
     NotImplementedError, r"^conv2d: groups=2 is not implemented in npgrad \(only groups=1\)"),
    (lambda: F.conv2d(Tensor(np.ones((1, 1, 4, 4))), Tensor(np.ones((1, 1, 3, 3))),
                      stride=2, padding="same"), ValueError,
     r"^conv2d: padding='same' needs stride 1, got stride \(2, 2\)"),
    (lambda: F.conv2d(Tensor(np.ones((1, 1, 4, 4))), Tensor(np.ones((1, 1, 3, 3))),
                      padding="full"), ValueError, r"^conv2d: padding must be 'same', 'valid'"),
    (lambda: F.conv2d(Tensor(np.ones((1, 1, 4, 4), np.float32)), Tensor(np.ones((1, 1, 3, 3)))),
     TypeError, r"^conv2d: the tensors have different dtypes \['float32', 'float64'\]"),
    (lambda: F.conv2d(Tensor(np.ones((1, 1, 4, 4))), Tensor(np.ones((1, 1, 3, 3))), stride=0),
     ValueError, r"^conv2d: stride must be at least 1, got 0"),
    (lambda: F.max_pool2d(Tensor(np.ones((1, 1, 4, 4))), 2.5), TypeError,
     r"^max_pool2d: kernel_size must be an int or a pair of ints, got 2.5"),
    (lambda: F.max_pool2d(Tensor(np.ones((1, 4, 4))), 2), ValueError,
     r"^max_pool2d: expected a 4-D input \(N, C, H, W\), got shape \(1, 4, 4\); add the batch"),
    (lambda: F.max_pool2d(Tensor(np.ones((1, 1, 4, 4))), 2, padding=2), ValueError,
     r"^max_pool2d: padding \(2, 2\) is more than half the kernel \(2, 2\)"),
    (lambda: F.avg_pool2d(Tensor(np.ones((1, 1, 2, 2))), 3), ValueError,
     r"^avg_pool2d: the kernel \(3, 3\) .* is larger than the padded input 2 x 2"),
    (lambda: F.avg_pool2d(Tensor(np.ones((1, 1, 4, 4))), 2, ceil_mode=True),
     NotImplementedError, r"^avg_pool2d: ceil_mode=True is not implemented"),
    (lambda: F.max_pool2d(Tensor(np.ones((1, 1, 4, 4), dtype=np.int64)), 2), TypeError,
     r"^max_pool2d: expected floating-point tensors, got dtypes \['int64'\]"),
    (lambda: F.fold(Tensor(np.ones((1, 5, 9))), (4, 4), 2), ValueError,
     r"^fold: input \(1, 5, 9\) does not fit output_size \(4, 4\) with kernel \(2, 2\): dim 1 "
     r"must be a multiple of 4 \(C \* kh \* kw\) and dim 2 must be 9"),
    (lambda: nn.Conv2d(4, 4, 3, groups=2), NotImplementedError,
     r"^Conv2d: groups=2 is not implemented in npgrad"),
])
def test_bad_input_is_refused_with_the_op_the_shapes_and_the_fix(call, error, message):
    with pytest.raises(error, match=message):
        call()


# --------------------------------------------------------------------------- the layers


def test_conv2d_layer_repr_and_state_dict_keys_are_pytorchs():
    for args, kw in [((1, 6, 5), {"padding": 2}), ((6, 16, (3, 5)), {"stride": 2}),
                     ((3, 4, 3), {"padding": "same", "bias": False, "dilation": 2})]:
        ours, theirs = nn.Conv2d(*args, **kw), torch.nn.Conv2d(*args, **kw)
        assert repr(ours) == repr(theirs)
        assert list(ours.state_dict()) == list(theirs.state_dict())
        assert [p.shape for p in ours.parameters()] == [tuple(p.shape) for p in theirs.parameters()]
    for ours, theirs in [(nn.MaxPool2d(2), torch.nn.MaxPool2d(2)),
                         (nn.MaxPool2d(3, 1, 1), torch.nn.MaxPool2d(3, 1, 1)),
                         (nn.AvgPool2d(2), torch.nn.AvgPool2d(2)),
                         (nn.AvgPool2d((2, 3), padding=1), torch.nn.AvgPool2d((2, 3), padding=1))]:
        assert repr(ours) == repr(theirs)


def test_conv2d_layer_init_is_uniform_within_one_over_sqrt_fan_in_and_seeded():
    layer = nn.Conv2d(6, 16, 5, rng=0)
    bound = 1 / np.sqrt(6 * 5 * 5)
    w = layer.weight.data
    assert w.dtype == np.float32 and np.abs(w).max() <= bound
    assert np.abs(w).max() > 0.95 * bound and abs(w.mean()) < 0.05 * bound
    assert np.abs(layer.bias.data).max() <= bound
    np.testing.assert_array_equal(nn.Conv2d(6, 16, 5, rng=0).weight.data, w)


def test_a_lenet_matches_pytorch_given_the_same_weights():
    def lenet(m):
        return m.Sequential(m.Conv2d(1, 6, 5, padding=2), m.ReLU(), m.MaxPool2d(2),
                            m.Conv2d(6, 16, 5), m.ReLU(), m.AvgPool2d(2), m.Flatten(),
                            m.Linear(400, 10))
    ours, theirs = lenet(nn), lenet(torch.nn).double()
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    x = _random((4, 1, 28, 28))
    params = list(ours.parameters())
    for p in params:
        p.data = p.data.astype(np.float64)
    y, ref = ours(Tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_allclose(y.data, ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    y.sum().backward()
    ref.sum().backward()
    for p, t in zip(params, theirs.parameters(), strict=True):
        np.testing.assert_allclose(p.grad.data, t.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert sum(p.data.size for p in params) == sum(t.numel() for t in theirs.parameters())

"""The engine's semantics: what backward computes, when it builds a graph, and its errors."""

import numpy as np
import pytest

import npgrad.functional as F
from npgrad import Tensor, no_grad
from npgrad.tensor import unbroadcast


def test_reused_node_gets_the_sum_of_its_paths():
    x = Tensor([1.0, -2.0, 3.0], requires_grad=True)
    (x * x + x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, 2 * x.data + 1)


def test_leaf_gradients_accumulate_across_backward_calls_until_zeroed():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (3 * x).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3 + 2, 3 + 4])
    x.grad = None
    (3 * x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3, 3])


def test_accumulation_does_not_write_into_an_array_the_graph_shares():
    # Add's backward hands the same gradient array to both inputs; accumulating into a's
    # .grad in place must not change b's.
    a, b = Tensor([1.0], requires_grad=True), Tensor([2.0], requires_grad=True)
    (a + b).sum().backward()
    (a + b).sum().backward()
    assert a.grad.data[0] == 2 and b.grad.data[0] == 2


def test_no_grad_builds_no_graph():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with no_grad():
        y = (x * 2).exp().sum()
    assert not y.requires_grad and y.grad_fn is None
    z = (x * 2).sum()
    assert z.requires_grad and z.grad_fn is not None  # and recording resumes after the block


def test_no_graph_when_no_input_requires_grad():
    y = (Tensor([1.0, 2.0]) * 3).sum()
    assert not y.requires_grad and y.grad_fn is None
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_a_chain_of_100000_ops_backpropagates_without_recursion():
    x = Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0001
    y.backward()
    factor = float(np.float32(1.0001))  # the constant joins the float32 graph as float32
    assert x.grad.item() == pytest.approx(factor**100_000, rel=1e-3)


def test_graph_is_freed_after_backward_and_a_second_backward_says_so():
    x = Tensor([1.0, 2.0], requires_grad=True)
    loss = (x.exp() * 2).sum()
    loss.backward()
    assert loss.grad_fn.inputs is None  # saved arrays and inputs released
    with pytest.raises(RuntimeError, match="already freed.*retain_graph=True"):
        loss.backward()


def test_retain_graph_allows_a_second_backward():
    x = Tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_array_equal(x.grad.data, 2 * 2 * x.data)


def test_only_leaves_keep_grad_unless_asked():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    kept = x * 4
    kept.retain_grad()
    (h * kept).sum().backward()
    assert h.grad is None
    np.testing.assert_array_equal(kept.grad.data, h.data)


def test_backward_on_a_non_scalar_needs_a_gradient():
    y = Tensor([1.0, 2.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"only for a scalar output.*shape \(2,\).*loss.mean\(\)"):
        y.backward()


def test_backward_with_an_explicit_gradient_weights_the_outputs():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * x).backward(np.array([10.0, 1.0]))
    np.testing.assert_array_equal(x.grad.data, [20, 4])
    with pytest.raises(ValueError, match=r"grad has shape \(3,\), the tensor \(2,\)"):
        (x * x).backward(np.ones(3))


def test_shapes_that_do_not_broadcast_name_both_shapes():
    with pytest.raises(ValueError, match=r"add: shapes \(3, 4\) and \(5,\) do not broadcast"):
        Tensor(np.ones((3, 4))) + Tensor(np.ones(5))


def test_matmul_shapes_that_do_not_align_name_both_shapes():
    message = r"matmul: shapes \(64, 784\) and \(100, 10\) do not align \(784 != 100\)"
    with pytest.raises(ValueError, match=message):
        Tensor(np.ones((64, 784))) @ Tensor(np.ones((100, 10)))


def test_default_dtype_is_float32_and_constants_do_not_promote_it():
    x = Tensor([1.0, 2.0], requires_grad=True)
    assert x.dtype == np.float32
    for y in (x * 2.0, x + np.float64(1), x * np.array(2.0), np.array([1.0, 2.0]) - x, 1 / x, x**2):
        assert y.dtype == np.float32, y
    (x * np.array(3.0)).sum().backward()
    assert x.grad.dtype == np.float32


def test_arrays_keep_their_dtype_as_torch_from_numpy_does():
    assert Tensor(np.ones(2)).dtype == np.float64
    assert Tensor(np.arange(3)).dtype == np.int64
    assert Tensor([1, 2]).dtype == np.int64


def test_numpy_arrays_and_python_scalars_work_on_either_side():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = np.array([3.0, 4.0]) * x + 1 - np.array([1.0, 1.0]) / (2 * x)
    assert isinstance(y, Tensor)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, [3 + 0.5 / 1, 4 + 0.5 / 4])


def test_only_floating_tensors_can_require_grad():
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        Tensor([1, 2], requires_grad=True)


def test_comparisons_return_tensors_outside_the_graph():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    for mask in (x > 1.5, x >= 2, x < 2, x <= 2, x == 2, x != 2):
        assert isinstance(mask, Tensor) and mask.dtype == bool and not mask.requires_grad
    np.testing.assert_array_equal((x > 1.5).data, [False, True, True])
    assert x[x > 1.5].sum().item() == 5.0


@pytest.mark.parametrize("big", [1000.0, -1000.0])
def test_stable_for_huge_logits_in_float32(big):
    logits = Tensor(np.array([[big, 0.0, -big], [0.0, big, 1.0]], dtype=np.float32), requires_grad=True)
    outputs = [F.softmax(logits), F.log_softmax(logits), F.sigmoid(logits), F.logsumexp(logits, 1),
               F.cross_entropy(logits, np.array([2, 0])),
               F.binary_cross_entropy_with_logits(logits, np.ones((2, 3), np.float32))]
    for out in outputs:
        logits.grad = None
        (out * 1.0).sum().backward()
        assert np.isfinite(out.data).all() and np.isfinite(logits.grad.data).all()
        assert out.dtype == np.float32
    x = logits.data.astype(np.float64)
    expected = np.mean(x.max(1) + np.log(np.exp(x - x.max(1, keepdims=True)).sum(1)) - x[[0, 1], [2, 0]])
    assert F.cross_entropy(logits, np.array([2, 0])).item() == pytest.approx(expected, rel=1e-6)


def test_cross_entropy_label_errors_say_what_to_do():
    logits = Tensor(np.zeros((3, 4)), requires_grad=True)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 4\).*from -1 to 4"):
        F.cross_entropy(logits, np.array([0, -1, 4]))
    with pytest.raises(TypeError, match=r"must be integers, got dtype float64.*astype\(np.int64\)"):
        F.cross_entropy(logits, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"shape \(3,\) or probabilities of shape \(3, 4\)"):
        F.cross_entropy(logits, np.array([0, 1]))


def test_mse_loss_refuses_the_silent_n_by_n_broadcast():
    with pytest.raises(ValueError, match=r"input shape \(5, 1\) and target shape \(5,\) differ"):
        F.mse_loss(Tensor(np.zeros((5, 1))), Tensor(np.zeros(5)))


def test_max_with_dim_returns_values_and_indices_like_pytorch():
    x = Tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]], requires_grad=True)
    values, indices = x.max(dim=1)
    np.testing.assert_array_equal(values.data, [5, 7])
    np.testing.assert_array_equal(indices.data, [1, 0])
    values.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0, 1, 0], [1, 0, 0]])


def test_tensor_basics():
    x = Tensor(np.arange(6, dtype=np.float32).reshape(2, 3), requires_grad=True)
    assert x.shape == (2, 3) and x.ndim == 2 and x.size() == (2, 3) and x.size(1) == 3
    assert x.T.shape == (3, 2) and x.numel() == 6 and len(x) == 2
    assert x.sum().item() == 15.0 and isinstance(x.numpy(), np.ndarray)
    d = x.detach()
    assert not d.requires_grad and d.grad_fn is None and d.data is x.data
    assert repr(Tensor([1.0, 2.0])) == "tensor([1., 2.])"
    with pytest.raises(ValueError, match="one-element"):
        x.item()


def test_unbroadcast_sums_added_and_stretched_axes():
    g = np.ones((4, 2, 3))
    np.testing.assert_array_equal(unbroadcast(g, (2, 1)), np.full((2, 1), 12.0))
    np.testing.assert_array_equal(unbroadcast(g, (3,)), np.full(3, 8.0))
    np.testing.assert_array_equal(unbroadcast(g, ()), np.array(24.0))


def test_accumulating_never_writes_into_the_callers_gradient_or_a_broadcast_view():
    x = Tensor([1.0, 2.0], requires_grad=True)
    seed = np.array([1.0, 1.0], dtype=np.float32)
    x.backward(seed)  # x is its own leaf: the seed itself would become x.grad
    x.backward(seed)
    np.testing.assert_array_equal(seed, [1, 1])
    np.testing.assert_array_equal(x.grad.data, [2, 2])
    b = Tensor(np.zeros(3, dtype=np.float32), requires_grad=True)
    for _ in range(2):  # sum's backward hands out a read-only broadcast view
        b.sum().backward()
    np.testing.assert_array_equal(b.grad.data, [2, 2, 2])


def test_in_place_update_under_no_grad_changes_the_parameter_itself():
    w = Tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    same = w
    with no_grad():
        w -= 0.5 * w.grad
    assert w is same and w.requires_grad and w.dtype == np.float32
    np.testing.assert_array_equal(w.data, [0.0, 0.0])
    w.grad.zero_()
    np.testing.assert_array_equal(w.grad.data, [0, 0])


def test_in_place_update_of_a_tensor_that_requires_grad_is_refused_while_recording():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"inside `with no_grad\(\):`"):
        w += 1
    np.testing.assert_array_equal(w.data, [1.0, 2.0])
    c = Tensor([1.0, 2.0])
    c *= 3  # a constant may change in place
    np.testing.assert_array_equal(c.data, [3.0, 6.0])


# --------------------------------------------------------------------------- dtypes: PyTorch's rule


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "maximum"])
def test_python_float_constants_are_exact_in_float64(op):
    x = Tensor(np.array([1.0, 3.0]))
    fn = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
          "div": lambda a, b: a / b, "maximum": F.maximum}[op]
    for left, right, ref in ((x, 0.1, (x.data, 0.1)), (0.1, x, (0.1, x.data))):
        out = fn(left, right)
        expected = np.maximum(*ref) if op == "maximum" else fn(*ref)
        assert out.dtype == np.float64
        np.testing.assert_array_equal(out.data, expected)  # not 0.10000000149011612
    assert (Tensor(np.array([1.0])) * 0.1).item() == 0.1


def test_python_float_constants_are_exact_in_comparisons_and_in_place_updates():
    x = Tensor(np.array([0.1, 0.10000000001]))
    np.testing.assert_array_equal((x > 0.1).data, [False, True])
    np.testing.assert_array_equal((x == 0.1).data, [True, False])
    y = Tensor(np.array([1.0]))
    y *= 0.1
    assert y.item() == 0.1 and y.dtype == np.float64


F32, F64, I64, I32, B = np.float32, np.float64, np.int64, np.int32, np.bool_


@pytest.mark.parametrize(("left", "right", "expected"), [
    (np.ones(2, F32), 2.0, F32),                 # a Python float never raises precision
    (np.ones(2, F64), 2.0, F64),
    (np.ones(2, F32), 2, F32),
    (np.ones(2, I64), 0.5, F32),                 # integers meet a Python float: the default float
    (np.ones(2, I32), 0.5, F32),
    (np.ones(2, B), 0.5, F32),
    (np.ones(2, I32), 3, I32),                   # a Python int keeps an integer tensor's width
    (np.ones(2, B), 3, I64),
    (np.ones(2, B), True, B),
    (np.ones(2, F32), np.ones(2, F64), F64),     # tensors with dimensions: the wider
    (np.ones(2, I64), np.ones(2, F32), F32),     # integer and float tensors: the float's dtype
    (np.ones(2, F32), np.array(1.0, F64), F32),  # a 0-dim tensor only counts if of a higher kind
    (np.ones(2, I32), np.array(1, I64), I32),
    (np.ones(2, I64), np.array(1.0, F64), F64),
    (np.array(1.0, F32), np.array(1.0, F64), F64),
])
@pytest.mark.parametrize("op", ["add", "radd", "mul", "maximum"])
def test_result_dtypes_follow_pytorch(left, right, expected, op):
    a = Tensor(left)
    b = Tensor(right) if isinstance(right, np.ndarray) else right
    out = {"add": lambda: a + b, "radd": lambda: b + a, "mul": lambda: a * b,
           "maximum": lambda: F.maximum(a, b)}[op]()
    assert out.dtype == expected


def test_integer_division_and_float_functions_of_integers_give_float32():
    i = Tensor([1, 2, 4])
    for out in (i / 2, i / i, 2 / i, i**0.5, i.exp(), i.log(), i.sqrt(), i.sigmoid(), i.tanh(),
                i.logsumexp(0), i.clamp(0.5), F.maximum(i, 0.5)):
        assert out.dtype == np.float32, out
    for out in (i + 1, i * 2, i**2, i.abs(), i.relu(), i.sum(), i.clamp(1)):
        assert out.dtype == np.int64, out


def test_tensor_of_python_floats_is_float32_like_torch_tensor():
    import npgrad

    assert npgrad.tensor(2.0).dtype == Tensor(2.0).dtype == np.float32
    assert npgrad.tensor([1.0, 2.0]).dtype == np.float32 and npgrad.tensor([1, 2]).dtype == np.int64
    assert npgrad.tensor(np.ones(2)).dtype == np.float64  # an ndarray keeps its dtype
    data = np.ones(2)
    copy = npgrad.tensor(data)
    copy.data[0] = 5
    assert data[0] == 1  # and it is a copy


def test_a_0_dim_float64_tensor_joins_a_float32_graph_and_gets_its_gradient_in_float64():
    w = Tensor(np.ones(3, np.float32), requires_grad=True)
    s = Tensor(np.array(0.5), requires_grad=True)
    out = w * s
    assert out.dtype == np.float32
    (out * np.array([1.0, 2.0, 3.0])).sum().backward()
    assert w.grad.dtype == np.float32 and s.grad.dtype == np.float64
    np.testing.assert_array_equal(w.grad.data, [0.5, 1.0, 1.5])
    assert s.grad.item() == 6.0

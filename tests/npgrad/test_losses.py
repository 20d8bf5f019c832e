"""npgrad.losses: the cases of the loss functions that the op table does not reach."""

import numpy as np
import pytest

import npgrad.functional as F
from npgrad import Tensor, gradcheck


def test_cross_entropy_refuses_integer_logits():
    with pytest.raises(TypeError, match=r"cross_entropy: logits must be floating point, got dtype int64"):
        F.cross_entropy(Tensor([[1, 2, 3]]), np.array([0]))
    with pytest.raises(TypeError, match=r"logits must be floating point"):
        F.binary_cross_entropy_with_logits(Tensor([1, 0]), np.array([1.0, 0.0]))


def test_cross_entropy_with_probability_rows_of_any_sum_is_minus_t_dot_log_softmax():
    z = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0], [0.0, 0.0, 1.0]])
    t = np.array([[0.0, 0.0, 0.0], [0.2, 0.3, 1.5], [0.5, 0.0, 0.0]])  # sums 0, 2, 0.5
    logits = Tensor(z, requires_grad=True)
    loss = F.cross_entropy(logits, t, reduction="none")
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(loss.data, -(t * log_p).sum(axis=1), rtol=1e-14)
    assert loss.data[0] == 0  # an all-zero row costs nothing (it was log 3)
    loss.backward(np.array([1.0, 2.0, 3.0]))
    softmax = np.exp(log_p)
    expected = np.array([[1.0], [2.0], [3.0]]) * (softmax * t.sum(axis=1, keepdims=True) - t)
    np.testing.assert_allclose(logits.grad.data, expected, rtol=1e-12, atol=1e-15)
    gradcheck(lambda x: F.cross_entropy(x, t), z)

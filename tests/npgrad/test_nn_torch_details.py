"""nn details that PyTorch code relies on: Dropout(p=1.0), load_state_dict's return value."""

import numpy as np
import pytest

from npgrad import Tensor, nn


def test_dropout_p_one_gives_zeros_and_zero_gradients_as_torch():
    torch = pytest.importorskip("torch", reason="the PyTorch parity test needs torch")
    x = Tensor(np.full((3, 4), 2.0), requires_grad=True)
    out = nn.Dropout(1.0, rng=0)(x)
    (out * Tensor(np.arange(12.0).reshape(3, 4))).sum().backward()
    xt = torch.full((3, 4), 2.0, dtype=torch.float64, requires_grad=True)
    outt = torch.nn.Dropout(1.0)(xt)
    (outt * torch.arange(12.0, dtype=torch.float64).reshape(3, 4)).sum().backward()
    np.testing.assert_array_equal(out.data, outt.detach().numpy())
    np.testing.assert_array_equal(x.grad.data, xt.grad.numpy())
    assert not np.any(out.data) and not np.any(x.grad.data) and out.dtype == np.float64
    assert np.all(np.isfinite(out.data))  # not 0 / 0


def test_dropout_p_one_in_eval_mode_is_the_identity():
    x = Tensor(np.ones(3))
    np.testing.assert_array_equal(nn.Dropout(1.0).eval()(x).data, np.ones(3))


def mlp():
    return nn.Sequential(nn.Linear(2, 3, rng=0), nn.ReLU(), nn.Linear(3, 1, rng=1))


def test_load_state_dict_non_strict_returns_the_missing_and_unexpected_keys():
    torch = pytest.importorskip("torch", reason="the PyTorch parity test needs torch")
    state = mlp().state_dict()
    del state["2.bias"]
    state["extra"] = np.zeros(1)
    result = mlp().load_state_dict(state, strict=False)
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(),
                                 torch.nn.Linear(3, 1)).load_state_dict(
        {k: torch.tensor(v) for k, v in state.items()}, strict=False)
    assert result == theirs == (["2.bias"], ["extra"])
    assert result.missing_keys == ["2.bias"] and result.unexpected_keys == ["extra"]
    assert type(result).__name__ == type(theirs).__name__ == "_IncompatibleKeys"
    assert repr(result) == repr(theirs)


def test_load_state_dict_says_all_keys_matched_as_torch():
    torch = pytest.importorskip("torch", reason="the PyTorch parity test needs torch")
    result = mlp().load_state_dict(mlp().state_dict())
    theirs = torch.nn.Linear(2, 1).load_state_dict(torch.nn.Linear(2, 1).state_dict())
    assert result == ([], []) and repr(result) == repr(theirs)
    assert repr(result) == "<All keys matched successfully>"

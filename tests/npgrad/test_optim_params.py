"""What an optimizer accepts as params: PyTorch's checks, exception types and groups."""

import numpy as np
import pytest

from npgrad import Tensor, nn, optim

NAMES = ["SGD", "RMSprop", "Adam", "AdamW"]


def bad_params(lib):
    """Each refused params argument, built from lib: npgrad's nn or torch.nn, and tensors."""
    nn_, tensor = lib
    w = tensor(np.ones(2))
    return {
        "a single Tensor": (lambda: w, TypeError, "got a single Tensor"),
        "a NumPy array": (lambda: np.ones((2, 2)), TypeError, "NumPy array|numpy.ndarray"),
        "a dict": (lambda: {"w": w}, TypeError, "got a dict"),
        "a non-leaf tensor": (lambda: [w * 2], ValueError, "can't optimize a non-leaf Tensor"),
        "an empty list": (lambda: [], ValueError, "empty parameter list"),
        "no parameters": (lambda: nn_.ReLU().parameters(), ValueError, "empty parameter list"),
        "a number": (lambda: 3, TypeError, "iterable"),
        "a list of arrays": (lambda: [np.ones(2)], TypeError,
                             "can only optimize Tensors, but one of the params is numpy.ndarray"),
        "a list of strings": (lambda: ["w"], TypeError, "one of the params is str"),
        "a parameter in two groups": (lambda: [{"params": [w]}, {"params": [w]}], ValueError,
                                      "more than one parameter group"),
        "named and unnamed mixed": (lambda: [("a", w), w], ValueError, "named or none|names"),
        "a group set": (lambda: [{"params": {w}}], TypeError, "ordered collection"),
        "a group without params": (lambda: [{"lr": 0.1}], KeyError, "params"),
    }


def npgrad_lib():
    return nn, lambda a: nn.Parameter(a)


def torch_lib(torch):
    return torch.nn, lambda a: torch.tensor(a, requires_grad=True)


CASES = list(bad_params(npgrad_lib()))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("case", CASES)
def test_bad_params_are_refused_when_built(name, case):
    make, error, message = bad_params(npgrad_lib())[case]
    with pytest.raises(error, match=message):
        getattr(optim, name)(make(), lr=0.1)


@pytest.mark.parametrize("case", CASES)
def test_torch_refuses_the_same_params_with_the_same_exception(case):
    torch = pytest.importorskip("torch", reason="the PyTorch parity test needs torch")
    make, error, _ = bad_params(torch_lib(torch))[case]
    with pytest.raises(error):
        torch.optim.SGD(make(), lr=0.1)


def test_a_set_of_parameters_is_refused_for_its_order():
    """PyTorch refuses a set inside a group (and accepts one at the top, in any order)."""
    with pytest.raises(TypeError, match="not a set, whose order changes between runs"):
        optim.SGD({nn.Parameter(np.ones(2))}, lr=0.1)


def test_the_error_names_the_fix():
    w = nn.Parameter(np.ones(2))
    with pytest.raises(TypeError, match=r"wrap it in a list: \[w\]"):
        optim.SGD(w, lr=0.1)
    with pytest.raises(ValueError, match="optimize the leaf tensors it was computed from"):
        optim.SGD([w * 2], lr=0.1)


def test_named_parameters_are_accepted_and_named_as_torch():
    torch = pytest.importorskip("torch", reason="the PyTorch parity test needs torch")
    model = nn.Sequential(nn.Linear(2, 3, rng=0), nn.ReLU(), nn.Linear(3, 1, rng=1))
    reference = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    opt = optim.Adam(model.named_parameters(), lr=0.1)
    ref = torch.optim.Adam(reference.named_parameters(), lr=0.1)
    assert opt.param_groups[0]["param_names"] == ref.param_groups[0]["param_names"]
    assert opt.param_groups[0]["params"] == list(model.parameters())
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["0.weight", "0.bias",
                                                                  "2.weight", "2.bias"]
    model(Tensor(np.ones((4, 2), np.float32))).sum().backward()
    before = model[0].weight.data.copy()
    opt.step()
    assert not np.array_equal(model[0].weight.data, before)


def test_a_single_tensor_as_a_group_params_is_wrapped_as_torch():
    w = nn.Parameter(np.ones(2))
    opt = optim.SGD([{"params": w}], lr=0.1)
    assert opt.param_groups[0]["params"] == [w]


def test_a_tensor_that_retains_its_grad_may_be_optimized_as_torch():
    x = nn.Parameter(np.ones(2))
    y = x * 2
    y.retain_grad()
    optim.SGD([y], lr=0.1)  # accepted: its .grad is set by backward()


def test_groups_take_the_constructor_options_unless_they_set_their_own():
    model = nn.Linear(3, 2, rng=0)
    opt = optim.SGD([{"params": [model.weight]},
                     {"params": [model.bias], "weight_decay": 0.0, "lr": 0.5}],
                    lr=0.1, momentum=0.9, weight_decay=1e-4)
    assert [(g["lr"], g["momentum"], g["weight_decay"]) for g in opt.param_groups] == \
        [(0.1, 0.9, 1e-4), (0.5, 0.9, 0.0)]


def test_add_param_group_fills_the_defaults_and_checks_the_options():
    a, b, c = (nn.Parameter(np.ones(2)) for _ in range(3))
    opt = optim.Adam([a], lr=0.1, betas=(0.8, 0.9))
    opt.add_param_group({"params": [b], "lr": 0.5})
    assert opt.param_groups[1]["betas"] == (0.8, 0.9) and opt.param_groups[1]["lr"] == 0.5
    with pytest.raises(ValueError, match=r"betas\[1\] must be in \[0, 1\)"):
        opt.add_param_group({"params": [c], "betas": (0.9, 1.5)})
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(TypeError, match="expected a dict"):
        opt.add_param_group([c])
    assert len(opt.param_groups) == 2  # nothing was added by the refused calls


def test_a_group_of_decayed_weights_and_undecayed_biases():
    """The usual recipe: no weight decay on biases; only the weights shrink."""
    model = nn.Linear(2, 2, rng=0)
    weight, bias = model.weight.data.copy(), model.bias.data.copy()
    opt = optim.SGD([{"params": [model.weight]}, {"params": [model.bias], "weight_decay": 0}],
                    lr=0.5, weight_decay=0.1)
    model.weight.grad, model.bias.grad = Tensor(np.zeros((2, 2), np.float32)), \
        Tensor(np.zeros(2, np.float32))
    opt.step()  # a zero gradient: only decay moves a parameter
    np.testing.assert_allclose(model.weight.data, weight * (1 - 0.5 * 0.1), rtol=1e-6)
    np.testing.assert_array_equal(model.bias.data, bias)

"""optim: SGD and Adam against PyTorch and against hand-computed steps; in-place updates; errors."""

import numpy as np
import pytest

from npgrad import Tensor, nn, optim

CONFIGS = {
    "sgd": ("SGD", {"lr": 0.1}),
    "sgd_momentum": ("SGD", {"lr": 0.1, "momentum": 0.9}),
    "sgd_weight_decay": ("SGD", {"lr": 0.1, "weight_decay": 0.05}),
    "sgd_momentum_weight_decay": ("SGD", {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.05}),
    "adam": ("Adam", {"lr": 0.01}),
    "adam_weight_decay": ("Adam", {"lr": 0.01, "weight_decay": 0.05}),
    "adam_other_hyperparameters": ("Adam", {"lr": 0.1, "betas": (0.8, 0.99), "eps": 1e-6}),
}
SHAPES = [(3, 4), (4,), (2, 1)]


def gradient_sequence(steps=5):
    """Gradients per step and parameter; the last parameter has none at step 2 (it must be skipped)."""
    rng = np.random.default_rng(1)
    grads = [[rng.standard_normal(s) for s in SHAPES] for _ in range(steps)]
    grads[2][-1] = None
    return grads


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
def test_five_steps_equal_torch(config):
    torch = pytest.importorskip("torch", reason="torch is not installed; the PyTorch parity test needs it")
    name, kwargs = config
    rng = np.random.default_rng(0)
    initial = [rng.standard_normal(s) for s in SHAPES]

    ours = [nn.Parameter(w.copy()) for w in initial]  # float64, like torch's below
    theirs = [torch.tensor(w, requires_grad=True) for w in initial]
    opt = getattr(optim, name)(ours, **kwargs)
    ref = getattr(torch.optim, name)(theirs, **kwargs)
    for step, grads in enumerate(gradient_sequence()):
        for p, q, g in zip(ours, theirs, grads, strict=True):
            p.grad = None if g is None else Tensor(g.copy())
            q.grad = None if g is None else torch.tensor(g)
        opt.step()
        ref.step()
        for i, (p, q) in enumerate(zip(ours, theirs, strict=True)):
            assert p.dtype == np.float64
            np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-6, atol=1e-10,
                                       err_msg=f"parameter {i} after step {step + 1}")
    # the parameters moved: equal-to-torch is not satisfied by two optimizers that do nothing
    assert not np.allclose(ours[0].data, initial[0])


def test_sgd_momentum_two_steps_by_hand():
    w = nn.Parameter(np.array([1.0, -2.0]))
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    w.grad = Tensor(np.array([0.5, 1.0]))
    opt.step()  # v = g = [0.5, 1];  w = [1 - 0.05, -2 - 0.1]
    np.testing.assert_allclose(w.data, [0.95, -2.1], rtol=1e-12)
    w.grad = Tensor(np.array([1.0, -1.0]))
    opt.step()  # v = 0.9 [0.5, 1] + [1, -1] = [1.45, -0.1];  w = [0.95 - 0.145, -2.1 + 0.01]
    np.testing.assert_allclose(w.data, [0.805, -2.09], rtol=1e-12)


def test_sgd_weight_decay_one_step_by_hand():
    w = nn.Parameter(np.array([2.0, -4.0]))
    w.grad = Tensor(np.array([1.0, 1.0]))
    optim.SGD([w], lr=0.5, weight_decay=0.1).step()  # g + 0.1 w = [1.2, 0.6];  w - 0.5 of that
    np.testing.assert_allclose(w.data, [1.4, -4.3], rtol=1e-12)


def test_adam_two_steps_by_hand():
    w = nn.Parameter(np.array([1.0, -2.0]))
    opt = optim.Adam([w], lr=0.1)
    # step 1: bias correction makes m_hat = g and v_hat = g^2, so the step is lr * sign(g)
    w.grad = Tensor(np.array([0.5, -4.0]))
    opt.step()
    np.testing.assert_allclose(w.data, [0.9, -1.9], rtol=1e-7)
    # step 2, g = [0.5, 2]: m = 0.9 [0.05, -0.4] + 0.1 g = [0.095, -0.16],
    # v = 0.999 [0.00025, 0.016] + 0.001 g^2 = [0.00049975, 0.019984];
    # m_hat = m / 0.19 = [0.5, -0.8421053], v_hat = v / 0.001999 = [0.25, 9.9969985];
    # w -= 0.1 m_hat / sqrt(v_hat) = [0.1, -0.8421053 * 0.1 / 3.1618030]
    w.grad = Tensor(np.array([0.5, 2.0]))
    opt.step()
    np.testing.assert_allclose(w.data, [0.8, -1.8733663], rtol=1e-7)


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
def test_step_updates_the_parameter_arrays_in_place(config):
    name, kwargs = config
    model = nn.Linear(3, 2, rng=0)
    arrays = [p.data for p in model.parameters()]
    before = [a.copy() for a in arrays]
    opt = getattr(optim, name)(model.parameters(), **kwargs)
    for _ in range(2):
        model(Tensor(np.ones((4, 3), dtype=np.float32))).sum().backward()
        opt.step()
    for p, a, old in zip(model.parameters(), arrays, before, strict=True):
        assert p.data is a  # the same array object, now holding new values
        assert p.dtype == np.float32  # a float32 model stays float32
        assert not np.array_equal(a, old)


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_zero_grad_sets_every_grad_to_none(name):
    model = nn.Linear(3, 2, rng=0)
    opt = getattr(optim, name)(model.parameters(), lr=0.1)
    model(Tensor(np.ones((4, 3), dtype=np.float32))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    opt.zero_grad()
    assert all(p.grad is None for p in model.parameters())


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
def test_a_parameter_without_grad_is_left_alone(config):
    name, kwargs = config
    a, b = nn.Parameter(np.ones(3)), nn.Parameter(np.ones(2))
    opt = getattr(optim, name)([a, b], **kwargs)
    a.grad = Tensor(np.full(3, 0.5))
    opt.step()
    opt.step()  # a second step: momentum or weight decay must not move b either
    np.testing.assert_array_equal(b.data, np.ones(2))
    assert not np.array_equal(a.data, np.ones(3))


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_empty_parameter_list_is_an_error(name):
    for empty in ([], nn.ReLU().parameters()):  # a list, and a model without parameters
        with pytest.raises(ValueError, match="empty parameter list"):
            getattr(optim, name)(empty, lr=0.1)


@pytest.mark.parametrize("lr", [0.0, -0.01])
@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_non_positive_learning_rate_is_an_error(name, lr):
    with pytest.raises(ValueError, match=rf"learning rate must be positive, got {lr}"):
        getattr(optim, name)(nn.Linear(2, 1, rng=0).parameters(), lr=lr)

"""optim: every optimizer against PyTorch (one group, several groups, options changed
mid-training) and against hand-computed steps; in-place updates; errors."""

import numpy as np
import pytest

from npgrad import Tensor, nn, optim

CONFIGS = {
    "sgd": ("SGD", {"lr": 0.1}),
    "sgd_default_lr": ("SGD", {}),
    "sgd_momentum": ("SGD", {"lr": 0.1, "momentum": 0.9}),
    "sgd_weight_decay": ("SGD", {"lr": 0.1, "weight_decay": 0.05}),
    "sgd_momentum_weight_decay": ("SGD", {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.05}),
    "sgd_momentum_dampening": ("SGD", {"lr": 0.1, "momentum": 0.8, "dampening": 0.3}),
    "sgd_nesterov": ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    "sgd_nesterov_weight_decay": ("SGD", {"lr": 0.1, "momentum": 0.8, "nesterov": True,
                                          "weight_decay": 0.05}),
    "rmsprop": ("RMSprop", {}),
    "rmsprop_other_hyperparameters": ("RMSprop", {"lr": 0.05, "alpha": 0.9, "eps": 1e-6}),
    "rmsprop_weight_decay": ("RMSprop", {"lr": 0.01, "weight_decay": 0.05}),
    "rmsprop_momentum": ("RMSprop", {"lr": 0.01, "momentum": 0.9}),
    "rmsprop_centered": ("RMSprop", {"lr": 0.01, "centered": True}),
    "rmsprop_centered_momentum": ("RMSprop", {"lr": 0.01, "alpha": 0.9, "centered": True,
                                              "momentum": 0.5, "weight_decay": 0.05}),
    "adam": ("Adam", {"lr": 0.01}),
    "adam_default_lr": ("Adam", {}),
    "adam_weight_decay": ("Adam", {"lr": 0.01, "weight_decay": 0.05}),
    "adam_other_hyperparameters": ("Adam", {"lr": 0.1, "betas": (0.8, 0.99), "eps": 1e-6}),
    "adam_amsgrad": ("Adam", {"lr": 0.1, "betas": (0.5, 0.9), "amsgrad": True}),
    "adam_decoupled_weight_decay": ("Adam", {"lr": 0.01, "weight_decay": 0.5,
                                             "decoupled_weight_decay": True}),
    "adamw": ("AdamW", {"lr": 0.01}),
    "adamw_default_lr": ("AdamW", {}),
    "adamw_weight_decay": ("AdamW", {"lr": 0.1, "weight_decay": 0.5, "betas": (0.8, 0.99)}),
    "adamw_amsgrad": ("AdamW", {"lr": 0.1, "betas": (0.5, 0.9), "amsgrad": True, "weight_decay": 0.1}),
    "sgd_maximize": ("SGD", {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.05, "maximize": True}),
    "rmsprop_maximize": ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5,
                                     "weight_decay": 0.05, "maximize": True}),
    "adam_maximize": ("Adam", {"lr": 0.01, "weight_decay": 0.05, "amsgrad": True, "maximize": True}),
    "adamw_maximize": ("AdamW", {"lr": 0.01, "maximize": True}),
}
LR_ZERO = {f"{name}_lr_0": (name, {"lr": 0.0}) for name in ["SGD", "RMSprop", "Adam", "AdamW"]}
NAMES = ["SGD", "RMSprop", "Adam", "AdamW"]
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
            np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-12, atol=1e-14,
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


def textbook_adam(w, g, state, lr, betas, eps, amsgrad):
    """Adam as its docstring writes it, a new array per operation: the reference that
    Adam.update's in-place arithmetic must match bit for bit."""
    beta1, beta2 = betas
    t = state["t"] = state.get("t", 0) + 1
    m = state["m"] = state.get("m", 0) + (1 - beta1) * (g - state.get("m", 0))
    s = state["s"] = state.get("s", 0) + (1 - beta2) * (g * g - state.get("s", 0))
    if amsgrad:
        s = state["max"] = np.maximum(state.get("max", 0), s)
    return w - lr * (m / (1 - beta1**t)) / (np.sqrt(s / (1 - beta2**t)) + eps)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_is_the_textbook_formula_bit_for_bit(dtype, amsgrad):
    rng = np.random.default_rng(0)
    w = nn.Parameter(rng.standard_normal((7, 5)).astype(dtype))
    hyper = {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6, "amsgrad": amsgrad}
    opt, expected, state = optim.Adam([w], **hyper), w.data.copy(), {}
    for _ in range(20):
        g = rng.standard_normal((7, 5)).astype(dtype) * rng.uniform(0.01, 100)
        w.grad = Tensor(g)
        opt.step()
        expected = textbook_adam(expected, g, state, **hyper).astype(dtype)
        assert np.array_equal(w.data, expected)


def test_adam_step_allocates_at_most_two_arrays_of_a_parameters_size():
    import tracemalloc

    w = nn.Parameter(np.ones((256, 784), np.float32))
    w.grad = Tensor(np.full((256, 784), 0.5, np.float32))
    opt = optim.Adam([w])
    opt.step()  # the state's two arrays
    tracemalloc.start()
    opt.step()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # a new array per operation, as in m += (1 - beta1) * (grad - m), made it 4 and more
    assert peak < 2.5 * w.data.nbytes, peak / w.data.nbytes


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


@pytest.mark.parametrize("name", NAMES)
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


@pytest.mark.parametrize("name", NAMES)
def test_empty_parameter_list_is_an_error(name):
    for empty in ([], nn.ReLU().parameters()):  # a list, and a model without parameters
        with pytest.raises(ValueError, match="empty parameter list"):
            getattr(optim, name)(empty, lr=0.1)


@pytest.mark.parametrize("name", NAMES)
def test_a_negative_learning_rate_is_an_error(name):
    with pytest.raises(ValueError, match=r"lr must be >= 0 \(the learning rate\), got -0.01"):
        getattr(optim, name)(nn.Linear(2, 1, rng=0).parameters(), lr=-0.01)


@pytest.mark.parametrize("config", LR_ZERO.values(), ids=LR_ZERO.keys())
def test_lr_zero_is_allowed_and_moves_nothing_as_torch(config):
    torch = pytest.importorskip("torch", reason="torch is not installed; the PyTorch parity test needs it")
    name, kwargs = config
    w = nn.Parameter(np.array([1.0, -2.0]))
    wt = torch.tensor([1.0, -2.0], dtype=torch.float64, requires_grad=True)
    opt, ref = getattr(optim, name)([w], **kwargs), getattr(torch.optim, name)([wt], **kwargs)
    for _ in range(2):
        w.grad, wt.grad = Tensor(np.array([0.5, 3.0])), torch.tensor([0.5, 3.0], dtype=torch.float64)
        opt.step()
        ref.step()
    np.testing.assert_array_equal(w.data, wt.detach().numpy())
    np.testing.assert_array_equal(w.data, [1.0, -2.0])


def test_sgd_nesterov_two_steps_by_hand():
    w = nn.Parameter(np.array([1.0, -2.0]))
    opt = optim.SGD([w], lr=0.1, momentum=0.5, nesterov=True)
    w.grad = Tensor(np.array([1.0, 2.0]))
    opt.step()  # v = g = [1, 2];  step g + 0.5 v = [1.5, 3];  w = [0.85, -2.3]
    np.testing.assert_allclose(w.data, [0.85, -2.3], rtol=1e-12)
    w.grad = Tensor(np.array([-1.0, 0.0]))
    opt.step()  # v = 0.5 [1, 2] + [-1, 0] = [-0.5, 1];  step [-1.25, 0.5];  w = [0.975, -2.35]
    np.testing.assert_allclose(w.data, [0.975, -2.35], rtol=1e-12)


def test_rmsprop_two_steps_by_hand():
    w = nn.Parameter(np.array([1.0, -2.0]))
    opt = optim.RMSprop([w], lr=0.1, alpha=0.75, eps=0.0)
    w.grad = Tensor(np.array([2.0, -4.0]))
    opt.step()  # v = 0.25 g^2 = [1, 4];  g / sqrt(v) = [2, -2];  w = [0.8, -1.8]
    np.testing.assert_allclose(w.data, [0.8, -1.8], rtol=1e-12)
    w.grad = Tensor(np.array([2.0, 0.0]))
    opt.step()  # v = 0.75 [1, 4] + 0.25 [4, 0] = [1.75, 3];  w = [0.8 - 0.2 / sqrt(1.75), -1.8]
    np.testing.assert_allclose(w.data, [0.8 - 0.2 / np.sqrt(1.75), -1.8], rtol=1e-12)


def test_adamw_decays_the_weights_apart_from_the_gradient():
    w = nn.Parameter(np.array([1.0, -2.0]))
    opt = optim.AdamW([w], lr=0.1, weight_decay=0.5)
    w.grad = Tensor(np.array([0.5, -4.0]))
    opt.step()  # w (1 - 0.1 * 0.5) = [0.95, -1.9], then Adam's first step lr sign(g) = [0.1, -0.1]
    np.testing.assert_allclose(w.data, [0.85, -1.8], rtol=1e-7)
    # Adam with L2 (coupled) takes the same first step lr sign(g + wd w): it ignores wd's size here
    v = nn.Parameter(np.array([1.0, -2.0]))
    v.grad = Tensor(np.array([0.5, -4.0]))
    optim.Adam([v], lr=0.1, weight_decay=0.5).step()
    np.testing.assert_allclose(v.data, [0.9, -1.9], rtol=1e-7)


def test_adam_amsgrad_divides_by_the_largest_v_seen():
    w, u = nn.Parameter(np.array([0.0])), nn.Parameter(np.array([0.0]))
    ams, plain = optim.Adam([w], lr=0.1, amsgrad=True), optim.Adam([u], lr=0.1)
    for g in (10.0, 0.1, 0.1):  # v falls after the first step, so plain Adam's steps grow
        w.grad, u.grad = Tensor(np.array([g])), Tensor(np.array([g]))
        ams.step()
        plain.step()
    assert 0 > w.data[0] > u.data[0]  # amsgrad moved less far (both moved down)


@pytest.mark.parametrize("name", NAMES)
def test_lr_lives_in_the_param_group(name):
    model = nn.Linear(2, 1, rng=0)
    opt = getattr(optim, name)(model.parameters(), lr=0.1)
    assert len(opt.param_groups) == 1 and opt.param_groups[0]["lr"] == 0.1
    assert opt.param_groups[0]["params"] == list(model.parameters())
    opt.param_groups[0]["lr"] = 0.02  # what a scheduler does
    assert opt.lr == 0.02
    opt.lr = 0.5  # what chapters 4 and 5 do
    assert opt.param_groups[0]["lr"] == 0.5


def test_a_changed_lr_is_used_by_the_next_step():
    w = nn.Parameter(np.array([1.0]))
    opt = optim.SGD([w], lr=0.1)
    opt.param_groups[0]["lr"] = 0.5
    w.grad = Tensor(np.array([1.0]))
    opt.step()
    np.testing.assert_allclose(w.data, [0.5], rtol=1e-12)


def test_optimizer_lr_is_ambiguous_with_several_learning_rates():
    model = nn.Linear(2, 1, rng=0)
    opt = optim.SGD([{"params": [model.weight]}, {"params": [model.bias], "lr": 0.5}], lr=0.1)
    with pytest.raises(AttributeError, match=r"different learning rates \[0.1, 0.5\]; read "):
        _ = opt.lr
    opt.lr = 0.2  # setting it sets every group's
    assert [g["lr"] for g in opt.param_groups] == [0.2, 0.2] and opt.lr == 0.2


BAD_ARGUMENTS = [
    ("SGD", {"momentum": -0.9}, "momentum must be >= 0"),
    ("SGD", {"weight_decay": -1e-4}, "weight_decay must be >= 0"),
    ("SGD", {"nesterov": True}, "Nesterov momentum needs momentum > 0"),
    ("SGD", {"nesterov": True, "momentum": 0.9, "dampening": 0.1}, "and dampening = 0"),
    ("RMSprop", {"alpha": 1.0}, r"alpha must be in \[0, 1\)"),
    ("RMSprop", {"alpha": -0.1}, r"alpha must be in \[0, 1\)"),
    ("RMSprop", {"eps": -1e-8}, "eps must be >= 0"),
    ("RMSprop", {"momentum": -0.5}, "momentum must be >= 0"),
    ("RMSprop", {"weight_decay": -0.5}, "weight_decay must be >= 0"),
    ("Adam", {"betas": (1.0, 0.999)}, r"betas\[0\] must be in \[0, 1\)"),
    ("Adam", {"betas": (0.9, -0.1)}, r"betas\[1\] must be in \[0, 1\)"),
    ("Adam", {"betas": (0.9,)}, r"betas must be a pair"),
    ("Adam", {"eps": -1e-8}, "eps must be >= 0"),
    ("Adam", {"weight_decay": -0.01}, "weight_decay must be >= 0"),
    ("AdamW", {"betas": (0.9, 1.5)}, r"AdamW: betas\[1\] must be in \[0, 1\)"),
    ("AdamW", {"weight_decay": -0.01}, "AdamW: weight_decay must be >= 0"),
]


@pytest.mark.parametrize(("name", "kwargs", "message"), BAD_ARGUMENTS)
def test_bad_hyperparameters_are_errors_that_name_them(name, kwargs, message):
    with pytest.raises(ValueError, match=message):
        getattr(optim, name)(nn.Linear(2, 1, rng=0).parameters(), **kwargs)


# npgrad refuses more than PyTorch here: RMSprop's alpha = 1 never averages the squares in
# (the running mean stays 0 and every step divides by eps), which PyTorch accepts.
STRICTER = [("RMSprop", {"alpha": 1.0})]


@pytest.mark.parametrize(("name", "kwargs", "message"), BAD_ARGUMENTS)
def test_torch_rejects_the_same_hyperparameters(name, kwargs, message, torch):
    params = torch.nn.Linear(2, 1).parameters()
    if (name, kwargs) in STRICTER:
        getattr(torch.optim, name)(params, **kwargs)  # accepted by PyTorch: a known difference
        return
    with pytest.raises((ValueError, IndexError)):  # torch indexes a 1-tuple of betas: IndexError
        getattr(torch.optim, name)(params, **kwargs)


# -- several groups; options changed mid-training; a group added mid-training ----------
# (optimizer, defaults, group 1's own options, the changes to groups 0 and 1 before
# step 4, the options of a third group added before step 3)
GROUP_CASES = {
    "sgd": ("SGD", {"lr": 0.1, "momentum": 0.9}, {"weight_decay": 0.05, "lr": 0.02},
            [{"momentum": 0.0}, {"lr": 0.2, "nesterov": True}], {"lr": 0.3, "momentum": 0.5}),
    "sgd_plain_then_momentum": ("SGD", {"lr": 0.1}, {"dampening": 0.5},
                                [{"momentum": 0.9}, {"momentum": 0.8, "maximize": True}],
                                {"weight_decay": 0.1}),
    "rmsprop": ("RMSprop", {"lr": 0.01, "momentum": 0.5}, {"alpha": 0.9, "centered": True},
                [{"lr": 0.05, "weight_decay": 0.1}, {"eps": 1e-3, "momentum": 0.9}],
                {"lr": 0.02, "centered": True, "maximize": True}),
    "adam": ("Adam", {"lr": 0.01, "amsgrad": True}, {"betas": (0.5, 0.9), "weight_decay": 0.1},
             [{"betas": (0.8, 0.99), "lr": 0.05}, {"decoupled_weight_decay": True, "eps": 1e-4}],
             {"lr": 0.1, "maximize": True, "amsgrad": False}),
    "adamw": ("AdamW", {"lr": 0.01}, {"weight_decay": 0.5},
              [{"weight_decay": 0.0}, {"lr": 0.1, "maximize": True}], {"amsgrad": True, "lr": 0.05}),
}
# what torch's groups hold that npgrad's do not: how torch runs, not what it computes
TORCH_ONLY_OPTIONS = {"foreach", "differentiable", "fused", "capturable"}


def run_groups(module, params, case, steps=6):
    """Train params (one library's tensors) under case; returns the optimizer."""
    name, defaults, own, changes, added = case
    opt = getattr(module, name)([{"params": params[:1]}, {"params": params[1:2], **own}],
                                **defaults)
    for step, grads in enumerate(gradient_sequence(steps)):
        if step == 2:
            opt.add_param_group({"params": params[2:], **added})
        if step == 3:
            for group, change in zip(opt.param_groups, changes, strict=False):
                group.update(change)
        for p, g in zip(params, grads, strict=True):
            p.grad = None if g is None else _grad_like(p, g)
        opt.step()
    return opt


def _grad_like(p, g):
    """g as a gradient of p's library (npgrad's or torch's)."""
    if isinstance(p, Tensor):
        return Tensor(g.copy())
    torch = pytest.importorskip("torch")
    return torch.tensor(g)


@pytest.mark.parametrize("case", GROUP_CASES.values(), ids=GROUP_CASES.keys())
def test_several_groups_changed_mid_training_equal_torch(case):
    torch = pytest.importorskip("torch", reason="torch is not installed; the PyTorch parity test needs it")
    rng = np.random.default_rng(0)
    initial = [rng.standard_normal(s) for s in SHAPES]
    ours = [nn.Parameter(w.copy()) for w in initial]
    theirs = [torch.tensor(w, requires_grad=True) for w in initial]
    opt, ref = run_groups(optim, ours, case), run_groups(torch.optim, theirs, case)
    for i, (p, q) in enumerate(zip(ours, theirs, strict=True)):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-12, atol=1e-14,
                                   err_msg=f"parameter {i}")
        assert not np.allclose(p.data, initial[i])  # every group moved
    for group, reference in zip(opt.param_groups, ref.param_groups, strict=True):
        options = {k: v for k, v in reference.items() if k not in TORCH_ONLY_OPTIONS}
        assert group.keys() == options.keys()
        assert {k: v for k, v in group.items() if k != "params"} == \
            {k: v for k, v in options.items() if k != "params"}


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
def test_every_option_lives_in_the_group_as_in_torch(config):
    torch = pytest.importorskip("torch", reason="torch is not installed; the PyTorch parity test needs it")
    name, kwargs = config
    ours = getattr(optim, name)([nn.Parameter(np.ones(2))], **kwargs)
    theirs = getattr(torch.optim, name)([torch.ones(2, requires_grad=True)], **kwargs)
    assert ours.defaults == {k: v for k, v in theirs.defaults.items()
                             if k not in TORCH_ONLY_OPTIONS}
    expected = {k: v for k, v in theirs.param_groups[0].items()
                if k not in TORCH_ONLY_OPTIONS | {"params"}}
    assert {k: v for k, v in ours.param_groups[0].items() if k != "params"} == expected


def test_step_reads_the_group_options_each_time():
    """Writing group["momentum"] or group["weight_decay"] changes the next step."""
    w = nn.Parameter(np.array([1.0]))
    opt = optim.SGD([w], lr=0.1)
    w.grad = Tensor(np.array([1.0]))
    opt.step()  # plain: w = 0.9, and no momentum buffer yet
    opt.param_groups[0].update(momentum=0.5, weight_decay=1.0)
    opt.step()  # g + wd w = 1.9 starts the buffer: w = 0.9 - 0.19
    opt.step()  # g + wd w = 1.71, buffer 0.5 * 1.9 + 1.71 = 2.66: w = 0.71 - 0.266
    np.testing.assert_allclose(w.data, [0.444], rtol=1e-12)
    np.testing.assert_allclose(opt.state[w]["momentum_buffer"], [2.66], rtol=1e-12)


def test_zero_grad_set_to_none_false_zeroes_in_place_as_torch():
    torch = pytest.importorskip("torch", reason="torch is not installed; the PyTorch parity test needs it")
    a, b = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(3))
    at, bt = torch.ones(2, requires_grad=True), torch.ones(3, requires_grad=True)
    a.grad, at.grad = Tensor(np.array([1.0, 2.0])), torch.tensor([1.0, 2.0])
    grad = a.grad
    optim.SGD([a, b], lr=0.1).zero_grad(set_to_none=False)
    torch.optim.SGD([at, bt], lr=0.1).zero_grad(set_to_none=False)
    assert a.grad is grad and b.grad is None and bt.grad is None  # no grad stays None
    np.testing.assert_array_equal(a.grad.data, at.grad.numpy())
    np.testing.assert_array_equal(a.grad.data, [0.0, 0.0])


@pytest.mark.parametrize("name", NAMES)
def test_step_with_a_closure_returns_its_loss_as_torch(name):
    torch = pytest.importorskip("torch", reason="torch is not installed; the PyTorch parity test needs it")
    x, xt = nn.Parameter(np.array([1.0, -2.0])), torch.tensor([1.0, -2.0], dtype=torch.float64,
                                                               requires_grad=True)
    opt, ref = getattr(optim, name)([x], lr=0.1), getattr(torch.optim, name)([xt], lr=0.1)

    def closure():  # re-evaluates the loss and its gradient, as L-BFGS-style code does
        opt.zero_grad()
        loss = (x * x).sum()
        loss.backward()
        return loss

    def closure_torch():
        ref.zero_grad()
        loss = (xt * xt).sum()
        loss.backward()
        return loss

    for _ in range(3):
        loss, loss_torch = opt.step(closure), ref.step(closure_torch)
        assert loss.item() == pytest.approx(loss_torch.item(), rel=1e-12)
    np.testing.assert_allclose(x.data, xt.detach().numpy(), rtol=1e-12)
    assert opt.step() is None

"""lr_scheduler: every scheduler's learning rates against torch.optim.lr_scheduler; closed forms; errors."""

import bisect
import math

import numpy as np
import pytest

import npgrad.optim.lr_scheduler as lr_scheduler
from npgrad import Tensor, nn, optim

BASE_LR = 0.1
STEPS = 20


def warmup_cosine(s, opt):
    return s.SequentialLR(opt, [s.LinearLR(opt, start_factor=0.1, total_iters=4),
                                s.CosineAnnealingLR(opt, T_max=16)], milestones=[4])


def three_stages(s, opt):
    return s.SequentialLR(opt, [s.LinearLR(opt, start_factor=0.25, total_iters=3),
                                s.StepLR(opt, step_size=2, gamma=0.5),
                                s.CosineAnnealingLR(opt, T_max=8, eta_min=0.01)], milestones=[3, 9])


# each builds a scheduler from a module (npgrad's or torch's) and an optimizer
SCHEDULES = {
    "step": lambda s, opt: s.StepLR(opt, step_size=3, gamma=0.5),
    "step_default_gamma": lambda s, opt: s.StepLR(opt, step_size=5),
    "cosine": lambda s, opt: s.CosineAnnealingLR(opt, T_max=STEPS),
    "cosine_eta_min_past_t_max": lambda s, opt: s.CosineAnnealingLR(opt, T_max=8, eta_min=0.01),
    "linear_default": lambda s, opt: s.LinearLR(opt),
    "linear_warmup": lambda s, opt: s.LinearLR(opt, start_factor=0.1, total_iters=4),
    "linear_decay": lambda s, opt: s.LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=10),
    "lambda_exponential": lambda s, opt: s.LambdaLR(opt, lambda t: 0.9 ** t),
    "lambda_inverse": lambda s, opt: s.LambdaLR(opt, lambda t: 1 / (t + 1)),
    "sequential_warmup_cosine": warmup_cosine,
    "sequential_three_stages": three_stages,
}


def learning_rates(module, optimizer, make, steps=STEPS):
    """The lr of each epoch 0..steps-1 as the optimizer sees it, and as get_last_lr reports it."""
    scheduler, seen, reported = make(module, optimizer), [], []
    for _ in range(steps):
        seen.append(optimizer.param_groups[0]["lr"])
        reported.append(scheduler.get_last_lr()[0])
        optimizer.step()  # torch warns when a scheduler steps before its optimizer
        scheduler.step()
    return np.array(seen), np.array(reported)


def npgrad_optimizer():
    return optim.SGD([nn.Parameter(np.ones(2))], lr=BASE_LR)


def ours_and_torchs(make):
    """The learning rates a schedule sets, and reports, in npgrad and in PyTorch."""
    torch = pytest.importorskip("torch", reason="torch is not installed; the PyTorch parity test needs it")
    reference = torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=BASE_LR)
    return (learning_rates(lr_scheduler, npgrad_optimizer(), make),
            learning_rates(torch.optim.lr_scheduler, reference, make))


@pytest.mark.parametrize("make", SCHEDULES.values(), ids=SCHEDULES.keys())
def test_learning_rates_equal_torch(make):
    (ours, ours_reported), (theirs, theirs_reported) = ours_and_torchs(make)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ours_reported, theirs_reported, rtol=1e-12, atol=1e-15)
    assert len(set(np.round(ours, 12))) > 1  # the schedule changed the lr: not equal by standing still


def test_the_import_paths_of_pytorch():
    import npgrad
    from npgrad.optim.lr_scheduler import CosineAnnealingLR

    assert npgrad.optim.lr_scheduler is lr_scheduler
    assert CosineAnnealingLR is lr_scheduler.CosineAnnealingLR
    from npgrad import optim as optim_package

    assert optim_package.lr_scheduler.StepLR is lr_scheduler.StepLR


def test_lr_scheduler_is_a_real_submodule_of_the_optim_package():
    import importlib.util
    from pathlib import Path

    assert lr_scheduler.__name__ == "npgrad.optim.lr_scheduler"
    assert Path(lr_scheduler.__file__).parent == Path(optim.__file__).parent
    assert Path(optim.__file__).name == "__init__.py"  # a package, as torch.optim
    assert importlib.util.find_spec("npgrad.lr_scheduler") is None  # moved, not copied


def test_closed_forms_at_chosen_epochs():
    lrs, _ = learning_rates(lr_scheduler, npgrad_optimizer(), warmup_cosine)
    np.testing.assert_allclose(lrs[:5], [0.01, 0.0325, 0.055, 0.0775, 0.1], rtol=1e-12)
    # the cosine starts at epoch 4 (its epoch 0): half way down at its epoch 8, epoch 12 overall
    np.testing.assert_allclose(lrs[12], 0.05, rtol=1e-12)
    np.testing.assert_allclose(lrs[4 + 4], 0.1 * (1 + math.cos(math.pi / 4)) / 2, rtol=1e-12)
    step, _ = learning_rates(lr_scheduler, npgrad_optimizer(), SCHEDULES["step"], steps=7)
    np.testing.assert_allclose(step, [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025], rtol=1e-12)


def test_the_optimizer_steps_with_the_scheduled_lr():
    w = nn.Parameter(np.array([0.0]))
    opt = optim.SGD([w], lr=1.0)
    scheduler = lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    for _ in range(3):  # steps of 1, 0.5 and 0.25 against a gradient of 1
        w.grad = Tensor(np.array([1.0]))
        opt.step()
        scheduler.step()
    np.testing.assert_allclose(w.data, [-1.75], rtol=1e-12)
    assert opt.lr == 0.125 and opt.param_groups[0]["initial_lr"] == 1.0


def test_a_second_scheduler_starts_from_the_initial_lr():
    opt = npgrad_optimizer()
    lr_scheduler.StepLR(opt, step_size=1, gamma=0.5).step()  # lr is now 0.05
    cosine = lr_scheduler.CosineAnnealingLR(opt, T_max=10)
    assert cosine.base_lrs == [BASE_LR] and opt.lr == BASE_LR


BAD_ARGUMENTS = [
    (lambda opt: lr_scheduler.StepLR(opt, step_size=0), ValueError, "step_size must be"),
    (lambda opt: lr_scheduler.StepLR(opt, step_size=2.5), ValueError, "step_size must be"),
    (lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=0), ValueError, "T_max must be"),
    (lambda opt: lr_scheduler.LinearLR(opt, start_factor=0.0), ValueError, r"start_factor must be in \(0, 1"),
    (lambda opt: lr_scheduler.LinearLR(opt, start_factor=1.5), ValueError, r"start_factor must be in \(0, 1"),
    (lambda opt: lr_scheduler.LinearLR(opt, end_factor=-0.1), ValueError, r"end_factor must be in \[0, 1\]"),
    (lambda opt: lr_scheduler.LinearLR(opt, total_iters=0), ValueError, "total_iters must be"),
    (lambda opt: lr_scheduler.LambdaLR(opt, 0.5), TypeError, "lr_lambda must be a function"),
    (lambda opt: lr_scheduler.StepLR([opt], step_size=2), TypeError, "expected an optimizer"),
    (lambda opt: lr_scheduler.SequentialLR(opt, [], []), ValueError, "got no scheduler"),
    (lambda opt: lr_scheduler.SequentialLR(opt, [lr_scheduler.StepLR(opt, 2), lr_scheduler.StepLR(opt, 3)],
                                           []), ValueError, "2 schedulers need 1 milestones"),
    (lambda opt: lr_scheduler.SequentialLR(opt, [lr_scheduler.StepLR(opt, 2), lr_scheduler.StepLR(opt, 3),
                                                 lr_scheduler.StepLR(opt, 4)], [5, 5]),
     ValueError, "milestones must be increasing"),
    (lambda opt: lr_scheduler.SequentialLR(opt, [lr_scheduler.StepLR(npgrad_optimizer(), 2)], []),
     ValueError, "drives another optimizer"),
]


@pytest.mark.parametrize(("make", "error", "message"), BAD_ARGUMENTS)
def test_bad_arguments_are_errors_that_name_them(make, error, message):
    with pytest.raises(error, match=message):
        make(npgrad_optimizer())


# -- several groups, group options changed mid-training, state_dict ---------------------
def two_group_run(optim_module, schedule_module, make, steps=STEPS):
    """SGD on two groups (their own lr and momentum) under a schedule; group 1's momentum
    and weight decay change at epoch 5. Returns each epoch's lrs and the parameters."""
    params = [_tensor(optim_module, np.full(2, 1.0)), _tensor(optim_module, np.full(3, -1.0))]
    opt = optim_module.SGD([{"params": params[:1]},
                            {"params": params[1:], "lr": 0.4, "momentum": 0.5}], lr=BASE_LR)
    scheduler, lrs = make(schedule_module, opt), []
    for epoch in range(steps):
        lrs.append([g["lr"] for g in opt.param_groups])
        if epoch == 5:
            opt.param_groups[1].update(momentum=0.9, weight_decay=0.1)
        for p in params:
            g = np.cos(np.arange(p.shape[0]) + epoch) + _numpy(p)
            p.grad = Tensor(g) if optim_module is optim else _tensor(optim_module, g).detach()
        opt.step()
        scheduler.step()
    return np.array(lrs), [_numpy(p) for p in params]


def _numpy(p):
    return p.data.copy() if isinstance(p, Tensor) else p.detach().numpy().copy()


def _tensor(optim_module, array):
    """A parameter of npgrad's, or of torch's when optim_module is torch.optim."""
    if optim_module is optim:
        return nn.Parameter(array)
    torch = pytest.importorskip("torch")
    return torch.tensor(array, requires_grad=True)


@pytest.mark.parametrize("make", SCHEDULES.values(), ids=SCHEDULES.keys())
def test_several_groups_with_options_changed_mid_training_equal_torch(make):
    torch = pytest.importorskip("torch", reason="torch is not installed; the PyTorch parity test needs it")
    with torch.no_grad():
        theirs, their_params = two_group_run(torch.optim, torch.optim.lr_scheduler, make)
    ours, our_params = two_group_run(optim, lr_scheduler, make)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
    assert not np.allclose(ours[:, 1], ours[:, 0])  # each group from its own base lr
    for p, q in zip(our_params, their_params, strict=True):
        np.testing.assert_allclose(p, q, rtol=1e-12, atol=1e-14)


def test_a_lambda_per_group_as_torch():
    torch = pytest.importorskip("torch", reason="torch is not installed; the PyTorch parity test needs it")

    def make(s, opt):
        return s.LambdaLR(opt, [lambda t: 0.5 ** t, lambda t: 1 / (1 + t)])

    ours, _ = two_group_run(optim, lr_scheduler, make)
    with torch.no_grad():
        theirs, _ = two_group_run(torch.optim, torch.optim.lr_scheduler, make)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    with pytest.raises(ValueError, match=r"expected 1 lr_lambdas \(one per param group\), got 2"):
        lr_scheduler.LambdaLR(npgrad_optimizer(), [abs, abs])


@pytest.mark.parametrize("make", SCHEDULES.values(), ids=SCHEDULES.keys())
def test_state_dict_has_torch_keys_and_values(make):
    torch = pytest.importorskip("torch", reason="torch is not installed; the PyTorch parity test needs it")
    ours = make(lr_scheduler, npgrad_optimizer())
    reference = torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=BASE_LR)
    theirs = make(torch.optim.lr_scheduler, reference)
    for _ in range(7):
        ours.optimizer.step()
        reference.step()
        ours.step()
        theirs.step()
    assert_same_state(ours.state_dict(), theirs.state_dict())


def assert_same_state(ours, theirs, values=True):
    """Every key of ours is torch's, with the same value; the sub-schedulers of a
    SequentialLR have torch's keys, and the one at work torch's values."""
    torch_only = {"_step_count", "_is_initial", "_get_lr_called_within_step"}
    assert ours.keys() == theirs.keys() - torch_only
    for key, value in ours.items():
        if key == "_schedulers":
            stage = bisect.bisect_right(ours["_milestones"], ours["last_epoch"])
            for i, (a, b) in enumerate(zip(value, theirs[key], strict=True)):
                assert_same_state(a, b, values=i == stage)
        elif key in ("_last_lr", "base_lrs") and values:
            np.testing.assert_allclose(value, theirs[key], rtol=1e-12, err_msg=key)
        elif values:
            assert value == theirs[key], key


@pytest.mark.parametrize("make", SCHEDULES.values(), ids=SCHEDULES.keys())
def test_a_loaded_scheduler_goes_on_as_the_original(make):
    source_opt, target_opt = npgrad_optimizer(), npgrad_optimizer()
    source, target = make(lr_scheduler, source_opt), make(lr_scheduler, target_opt)
    for _ in range(6):
        source.step()
    target_opt.load_state_dict(source_opt.state_dict())
    target.load_state_dict(source.state_dict())
    for _ in range(8):
        source.step()
        target.step()
        assert target.get_last_lr() == source.get_last_lr()
        assert target_opt.param_groups[0]["lr"] == source_opt.param_groups[0]["lr"]


def test_load_state_dict_refuses_another_schedulers_state():
    step = lr_scheduler.StepLR(npgrad_optimizer(), step_size=2)
    cosine = lr_scheduler.CosineAnnealingLR(npgrad_optimizer(), T_max=5)
    with pytest.raises(ValueError, match=r"unexpected keys \['T_max', 'eta_min'\], missing "
                                         r"keys \['gamma', 'step_size'\]"):
        step.load_state_dict(cosine.state_dict())


# -- two schedulers on one optimizer --------------------------------------------------
def test_two_schedulers_stepped_together_are_refused_clearly():
    opt = npgrad_optimizer()
    step = lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    lam = lr_scheduler.LambdaLR(opt, lambda t: 0.9 ** t)
    step.step()
    with pytest.raises(RuntimeError, match=r"LambdaLR.step: param group 0 has lr 0.05, not "
                                           r"the 0.1 this scheduler set: another scheduler"):
        lam.step()


def test_torch_multiplies_two_schedulers_where_npgrad_refuses():
    """What the refusal's message says PyTorch does."""
    torch = pytest.importorskip("torch", reason="torch is not installed; the PyTorch parity test needs it")
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=BASE_LR)
    s = torch.optim.lr_scheduler
    a, b = s.StepLR(opt, step_size=1, gamma=0.5), s.ExponentialLR(opt, gamma=0.9)
    for _ in range(3):
        opt.step()
        a.step()
        b.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(BASE_LR * 0.5 ** 3 * 0.9 ** 3, rel=1e-12)


def test_an_lr_changed_by_hand_under_a_scheduler_is_refused():
    opt = npgrad_optimizer()
    scheduler = lr_scheduler.CosineAnnealingLR(opt, T_max=10)
    opt.param_groups[0]["lr"] = 0.5
    with pytest.raises(RuntimeError, match="another scheduler \\(or your code\\) changed it"):
        scheduler.step()


def test_resuming_the_optimizer_without_its_scheduler_is_refused_with_a_hint():
    source, target = npgrad_optimizer(), npgrad_optimizer()
    scheduler = lr_scheduler.StepLR(source, step_size=1, gamma=0.5)
    scheduler.step()
    fresh = lr_scheduler.StepLR(target, step_size=1, gamma=0.5)
    target.load_state_dict(source.state_dict())  # lr 0.05, the scheduler's state not loaded
    with pytest.raises(RuntimeError, match="Resuming. Load the scheduler's state_dict as well"):
        fresh.step()
    fresh.load_state_dict(scheduler.state_dict())
    fresh.step()
    assert target.lr == pytest.approx(0.025, rel=1e-12)


def test_a_scheduler_replaced_by_another_is_not_refused():
    opt = npgrad_optimizer()
    lr_scheduler.StepLR(opt, step_size=1, gamma=0.5).step()  # then abandoned
    cosine = lr_scheduler.CosineAnnealingLR(opt, T_max=10)
    cosine.step()
    assert opt.lr == pytest.approx(BASE_LR * (1 + math.cos(math.pi / 10)) / 2, rel=1e-12)


def test_a_group_added_after_the_scheduler_is_named():
    opt = npgrad_optimizer()
    scheduler = lr_scheduler.StepLR(opt, step_size=2)
    opt.add_param_group({"params": [nn.Parameter(np.ones(1))]})
    with pytest.raises(ValueError, match="build the scheduler after add_param_group"):
        scheduler.step()


# -- NumPy integers are whole numbers ---------------------------------------------------
NUMPY_WHOLE = {
    "step": lambda s, opt: s.StepLR(opt, step_size=np.int64(3), gamma=0.5),
    "linear": lambda s, opt: s.LinearLR(opt, start_factor=0.5, total_iters=np.int32(4)),
    "cosine": lambda s, opt: s.CosineAnnealingLR(opt, T_max=np.int64(8)),
    "sequential": lambda s, opt: s.SequentialLR(opt, [s.StepLR(opt, 2), s.StepLR(opt, 3)],
                                                milestones=[np.int64(5)]),
}


@pytest.mark.parametrize("make", NUMPY_WHOLE.values(), ids=NUMPY_WHOLE.keys())
def test_numpy_integers_are_accepted_as_torch_does(make):
    (ours, _), (theirs, _) = ours_and_torchs(make)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("bad", [True, np.float64(3.0), 3.0])
def test_a_bool_or_a_float_is_still_not_a_whole_number(bad):
    with pytest.raises(ValueError, match="step_size must be a whole number"):
        lr_scheduler.StepLR(npgrad_optimizer(), step_size=bad)

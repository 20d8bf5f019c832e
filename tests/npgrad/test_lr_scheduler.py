"""lr_scheduler: every scheduler's learning rates against torch.optim.lr_scheduler; closed forms; errors."""

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


@pytest.mark.parametrize("make", SCHEDULES.values(), ids=SCHEDULES.keys())
def test_learning_rates_equal_torch(make):
    torch = pytest.importorskip("torch", reason="torch is not installed; the PyTorch parity test needs it")
    ours, ours_reported = learning_rates(lr_scheduler, npgrad_optimizer(), make)
    reference = torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=BASE_LR)
    theirs, theirs_reported = learning_rates(torch.optim.lr_scheduler, reference, make)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ours_reported, theirs_reported, rtol=1e-12, atol=1e-15)
    assert len(set(np.round(ours, 12))) > 1  # the schedule changed the lr: not equal by standing still


def test_the_import_paths_of_pytorch():
    import npgrad
    from npgrad.optim.lr_scheduler import CosineAnnealingLR

    assert npgrad.optim.lr_scheduler is lr_scheduler
    assert CosineAnnealingLR is lr_scheduler.CosineAnnealingLR


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

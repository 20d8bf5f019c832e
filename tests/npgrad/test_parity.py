"""Provably the same maths: one MLP trained by npgrad and by PyTorch, step for step, in float64."""

import numpy as np
import pytest

import npgrad
from npgrad import nn, optim
from npgrad.data import DataLoader, TensorDataset
from npgrad.datasets import load_digits

torch = pytest.importorskip("torch", reason="PyTorch is not installed: pip install torch==2.13.0")

NUM_EPOCHS, BATCH_SIZE = 3, 64


def npgrad_mlp(weights):
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 16), nn.Tanh(), nn.Linear(16, 10))
    for p, w in zip(model.parameters(), weights, strict=True):
        p.data = w.copy()  # float64, the same numbers as torch's
    return model


def torch_mlp(weights):
    model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 16),
                                torch.nn.Tanh(), torch.nn.Linear(16, 10)).double()
    with torch.no_grad():
        for p, w in zip(model.parameters(), weights, strict=True):
            p.copy_(torch.from_numpy(w))
    return model


def initial_weights(rng):
    shapes = [(32, 64), (32,), (16, 32), (16,), (10, 16), (10,)]
    return [rng.uniform(-0.3, 0.3, s) for s in shapes]


def train_npgrad(model, make_optimizer, batches):
    opt, losses = make_optimizer(model.parameters()), []
    for X, y in batches:
        loss = npgrad.functional.cross_entropy(model(npgrad.Tensor(X)), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses, [p.data for p in model.parameters()]


def train_torch(model, make_optimizer, batches):
    opt, losses = make_optimizer(model.parameters()), []
    for X, y in batches:
        loss = torch.nn.functional.cross_entropy(model(torch.from_numpy(X)), torch.from_numpy(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses, [p.detach().numpy() for p in model.parameters()]


OPTIMIZERS = {
    "sgd-momentum": (lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=1e-4),
                     lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=1e-4)),
    "adam": (lambda ps: optim.Adam(ps, lr=1e-2, weight_decay=1e-4),
             lambda ps: torch.optim.Adam(ps, lr=1e-2, weight_decay=1e-4)),
}


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_three_epochs_agree_step_by_step(name):
    X, y = load_digits()
    X = X.astype(np.float64) / 16
    loader = DataLoader(TensorDataset(X, y), BATCH_SIZE, shuffle=True, generator=0)
    batches = [(xb.data, yb.data) for _ in range(NUM_EPOCHS) for xb, yb in loader]  # one fixed order
    weights = initial_weights(np.random.default_rng(0))
    ours, theirs = OPTIMIZERS[name]
    losses, final = train_npgrad(npgrad_mlp(weights), ours, batches)
    ref_losses, ref_final = train_torch(torch_mlp(weights), theirs, batches)
    assert len(losses) == NUM_EPOCHS * len(loader) == 3 * 29
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-6)
    for w, ref in zip(final, ref_final, strict=True):
        np.testing.assert_allclose(w, ref, rtol=1e-6, atol=1e-6)
    assert losses[-1] < 0.6 * losses[0]  # and it did learn, so the comparison is not of two idle runs

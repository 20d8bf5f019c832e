"""Training end to end: nn + losses + optim + DataLoader learn what the data were generated from."""

import numpy as np
import pytest

from npgrad import Tensor, nn, no_grad, optim
from npgrad.data import DataLoader, TensorDataset

pytestmark = pytest.mark.slow


def test_linear_regression_recovers_the_weights_and_bias():
    # y = 2 x1 - 3.4 x2 + 4.2 + noise, as in d2l's first regression
    rng = np.random.default_rng(0)
    true_w, true_b = np.array([2.0, -3.4]), 4.2
    X = rng.standard_normal((1000, 2))
    y = X @ true_w + true_b + rng.normal(0, 0.01, 1000)
    data = TensorDataset(X.astype(np.float32), y.reshape(-1, 1).astype(np.float32))

    net, loss = nn.Linear(2, 1, rng=rng), nn.MSELoss()
    trainer = optim.SGD(net.parameters(), lr=0.03)
    for _ in range(3):
        for X_batch, y_batch in DataLoader(data, batch_size=10, shuffle=True, generator=rng):
            trainer.zero_grad()
            loss(net(X_batch), y_batch).backward()
            trainer.step()

    w, b = net.weight.data.ravel(), net.bias.data[0]
    assert abs(w - true_w).max() < 1e-2
    assert abs(b - true_b) < 1e-2


def two_spirals(n_per_class, rng):
    """Two interleaved spirals, 1.5 turns each, with a little noise: not linearly separable."""
    t = np.sqrt(rng.uniform(0.05, 1, n_per_class)) * 3 * np.pi
    arm = np.stack([t * np.cos(t), t * np.sin(t)], axis=1) / (3 * np.pi)
    X = np.concatenate([arm, -arm]) + rng.normal(0, 0.02, (2 * n_per_class, 2))
    y = np.repeat([0, 1], n_per_class)
    return X.astype(np.float32), y.astype(np.int64)


def accuracy(logits, y):
    return float((logits.data.argmax(axis=1) == y).mean())


def test_mlp_fits_two_spirals_exactly():
    rng = np.random.default_rng(0)
    X, y = two_spirals(100, rng)
    net = nn.Sequential(nn.Linear(2, 32, rng=rng), nn.Tanh(), nn.Linear(32, 32, rng=rng), nn.Tanh(),
                        nn.Linear(32, 2, rng=rng))
    # a linear model cannot do this: it is what makes 100% below a test of the hidden layers
    linear = nn.Linear(2, 2, rng=rng)
    loss, trainer = nn.CrossEntropyLoss(), optim.Adam(net.parameters(), lr=0.02)
    linear_trainer = optim.Adam(linear.parameters(), lr=0.02)
    inputs = Tensor(X)
    for _ in range(600):  # 100% comes after about 100 steps
        for model, opt in [(net, trainer), (linear, linear_trainer)]:
            opt.zero_grad()
            loss(model(inputs), y).backward()
            opt.step()

    with no_grad():
        assert accuracy(net(inputs), y) == 1.0
        assert accuracy(linear(inputs), y) < 0.8


def test_logistic_regression_separates_two_blobs():
    rng = np.random.default_rng(0)
    # two clouds on either side of the line x1 + x2 = 0, at least 0.5 from it
    direction = np.array([1.0, 1.0]) / np.sqrt(2)
    labels = rng.integers(0, 2, 400)
    along = rng.uniform(-3, 3, 400)[:, None] * np.array([1.0, -1.0]) / np.sqrt(2)
    across = (0.5 + rng.exponential(1.0, 400)) * np.where(labels == 1, 1, -1)
    X = (along + across[:, None] * direction).astype(np.float32)
    y = labels.astype(np.float32).reshape(-1, 1)

    net, loss = nn.Linear(2, 1, rng=rng), nn.BCEWithLogitsLoss()
    trainer = optim.SGD(net.parameters(), lr=0.5)
    loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True, generator=rng)
    first_loss = None
    for _ in range(10):  # separated after the first epoch; the rest sharpens the boundary
        for X_batch, y_batch in loader:
            trainer.zero_grad()
            batch_loss = loss(net(X_batch), y_batch)
            first_loss = first_loss or batch_loss.item()
            batch_loss.backward()
            trainer.step()

    with no_grad():
        logits = net(Tensor(X))
        final_loss = loss(logits, y).item()
    assert ((logits.data > 0) == (y == 1)).all()
    assert final_loss < 0.1 * first_loss
    # the learned boundary is the true one: w points along (1, 1)
    w = net.weight.data.ravel()
    assert abs(w[0] / w[1] - 1) < 0.2

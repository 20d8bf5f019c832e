"""The benchmarks compare like with like: the hand-written baseline computes npgrad's maths."""


import numpy as np
import pytest

import npgrad.functional as F
from benchmarks.bench import interleaved, matmul_flops, one_round, paired_ratio, publish, ratio_table
from benchmarks.contenders import LR, numpy_step
from npgrad import nn, optim


@pytest.mark.parametrize("sizes", [[6, 3], [6, 5, 3], [6, 7, 5, 3]])
def test_hand_written_step_is_npgrads_step(sizes):
    """Three SGD steps from the same float64 weights: the same losses and the same weights."""
    rng = np.random.default_rng(0)
    linears = [nn.Linear(i, o, rng=rng) for i, o in zip(sizes[:-1], sizes[1:], strict=True)]
    layers = [m for linear in linears for m in (linear, nn.ReLU())][:-1]
    model = nn.Sequential(*layers)
    for p in model.parameters():
        p.data = p.data.astype(np.float64)
    Ws = [linear.weight.data.T.copy() for linear in linears]  # the baseline stores (in, out)
    bs = [linear.bias.data.copy() for linear in linears]
    opt = optim.SGD(model.parameters(), lr=LR)
    for _ in range(3):
        xb, yb = rng.normal(size=(8, sizes[0])), rng.integers(0, sizes[-1], 8)
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        assert numpy_step(Ws, bs, xb, yb) == pytest.approx(loss.item(), rel=1e-12)
    for linear, W, b in zip(linears, Ws, bs, strict=True):
        np.testing.assert_allclose(W.T, linear.weight.data, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(b, linear.bias.data, rtol=1e-12, atol=1e-14)


def test_matmul_flops_of_the_issue_mlp_and_the_deep_mlp():
    assert matmul_flops([784, 256, 10]) == 60_000 * (3 * (2 * 784 * 256 + 2 * 256 * 10) - 2 * 784 * 256)
    assert round(matmul_flops([784, 256, 10]) / 1e9) == 49  # the issue's 49 GFLOP
    assert matmul_flops([784, 512, 256, 10]) == 60_000 * 2_407_424  # chapter 6's exercise


def test_paired_ratio_is_the_median_of_ratios_within_rounds():
    times = {"a": [2.0, 10.0, 3.0], "b": [1.0, 5.0, 3.0]}  # ratios 2, 2, 1; medians 3 and 3
    assert paired_ratio(times, "a", "b") == 2.0


def test_one_round_runs_each_epoch_once_in_rotated_order():
    calls = []
    epochs = {name: (lambda name=name: calls.append(name)) for name in "abc"}
    seconds = one_round(epochs, 4)  # 4 % 3 = 1: start with the second
    assert calls == ["b", "c", "a"] and list(seconds) == calls
    assert all(s >= 0 for s in seconds.values())


def test_interleaved_warms_up_then_times_every_round():
    calls = []
    times = interleaved({name: (lambda name=name: calls.append(name)) for name in "ab"}, 3)
    assert calls == ["a", "b", "a", "b", "b", "a", "a", "b"]  # warm-up, then rotated rounds
    assert {name: len(t) for name, t in times.items()} == {"a": 3, "b": 3}


def test_ratio_table_reports_medians_and_paired_ratios():
    table = ratio_table({"a": [2.0, 10.0, 3.0], "b": [1.0, 5.0, 3.0]}, "b", "model", "vs b")
    assert table.splitlines() == ["| model | epoch (median, s) | vs b |", "|---|---|---|",
                                  "| a | 3.000 | 2.00 |", "| b | 3.000 | 1.00 |"]


def test_publish_writes_the_report_into_a_new_folder(tmp_path, capsys):
    out = tmp_path / "new" / "table.md"
    publish("| a |\n", out)
    assert out.read_text() == "| a |\n" and "| a |" in capsys.readouterr().out


def test_hand_written_cnn_gradients_are_npgrads():
    """benchmarks.conv's NumPy CNN computes the gradients npgrad's autograd does (float64)."""
    from benchmarks.conv import cnn, numpy_grads

    rng = np.random.default_rng(0)
    model = cnn(nn, rng)
    for p in model.parameters():
        p.data = p.data.astype(np.float64)
    params = [p.data.T.copy() if p.ndim == 2 else p.data for p in model.parameters()]
    X, y = rng.random((6, 1, 28, 28)), rng.integers(0, 10, 6)
    F.cross_entropy(model(X), y).backward()
    for p, g in zip(model.parameters(), numpy_grads(params, X, y), strict=True):
        np.testing.assert_allclose(p.grad.data, g.T if p.ndim == 2 else g, rtol=1e-10,
                                   atol=1e-15)


def test_hand_written_cnn_stays_float32():
    """A float64 scalar in the baseline's init once made its backward run in float64."""
    from benchmarks.conv import numpy_grads, numpy_params

    rng = np.random.default_rng(0)
    X, y = rng.random((4, 1, 28, 28), np.float32), rng.integers(0, 10, 4)
    params = numpy_params(rng)
    assert {p.dtype for p in params} == {np.dtype(np.float32)}
    assert {g.dtype for g in numpy_grads(params, X, y)} == {np.dtype(np.float32)}

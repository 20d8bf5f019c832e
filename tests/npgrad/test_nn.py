"""nn: module registration, train/eval, layers, state_dict and save/load, losses, torch parity."""

import json
import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import npgrad
import npgrad.serialization
from npgrad import Tensor, nn
from npgrad import functional as F


def mlp(seed=0):
    return nn.Sequential(nn.Linear(4, 3, rng=seed), nn.ReLU(), nn.Linear(3, 2, rng=seed + 1))


# ---------------------------------------------------------------------------- registration


class Block(nn.Module):
    """Attribute names chosen so that definition order is neither alphabetical nor hash order."""

    def __init__(self):
        super().__init__()
        self.zeta = nn.Parameter(np.zeros((2, 1), dtype=np.float32))
        self.proj = nn.Linear(2, 3, rng=0)
        self.alpha = nn.Parameter(np.zeros(5, dtype=np.float32))
        self.scale = 3.0  # a plain attribute: not a parameter
        self.head = nn.Sequential(nn.Linear(3, 4, rng=1), nn.Tanh(), nn.Linear(4, 1, rng=2))

    def forward(self, x):
        return self.head(self.proj(x))


BLOCK_NAMES = [
    "zeta", "alpha", "proj.weight", "proj.bias",
    "head.0.weight", "head.0.bias", "head.2.weight", "head.2.bias",
]


def test_named_parameters_are_own_parameters_then_submodules_in_definition_order():
    # PyTorch's order: a module's own parameters first, then each child's, in assignment order
    block = Block()
    assert [name for name, _ in block.named_parameters()] == BLOCK_NAMES


def test_parameters_yields_the_same_objects_as_named_parameters():
    block = Block()
    assert [id(p) for p in block.parameters()] == [id(p) for _, p in block.named_parameters()]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in block.parameters())


def test_sequential_names_its_layers_by_position():
    names = [(name, p.shape) for name, p in mlp().named_parameters()]
    assert names == [("0.weight", (3, 4)), ("0.bias", (3,)), ("2.weight", (2, 3)), ("2.bias", (2,))]


def test_reassigning_an_attribute_replaces_its_registration():
    block = Block()
    block.zeta = None  # no longer a parameter
    block.proj = nn.Linear(2, 3, bias=False, rng=0)  # a new child, at the same place
    names = [name for name, _ in block.named_parameters()]
    assert names == ["alpha", "proj.weight", "head.0.weight", "head.0.bias", "head.2.weight", "head.2.bias"]


def test_replacing_a_sequential_layer_keeps_the_forward_order():
    model = mlp()
    setattr(model, "0", nn.Linear(4, 3, rng=5))  # swap the first layer, as when fine-tuning
    assert [name for name, _ in model.named_parameters()][:2] == ["0.weight", "0.bias"]
    x = Tensor(np.ones((2, 4), dtype=np.float32))
    np.testing.assert_array_equal(model(x).data, model[2](model[1](model[0](x))).data)


def test_a_shared_parameter_is_listed_once():
    # Tied weights: an optimizer given a parameter twice would apply each step twice
    layer = nn.Linear(2, 2, rng=0)
    model = nn.Sequential(layer, nn.ReLU(), layer)
    assert [name for name, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    assert len(list(model.parameters())) == 2


def test_assigning_before_super_init_names_the_fix():
    class Forgetful(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(np.zeros(1, dtype=np.float32))

    with pytest.raises(AttributeError, match=r"super\(\).__init__\(\)"):
        Forgetful()


PRINT_NAMES = textwrap.dedent("""
    import json
    from npgrad import nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            for name in ["q", "b", "zz", "encoder", "a1", "m", "decoder", "c"]:
                setattr(self, name, nn.Linear(2, len(name) + 1, rng=0))

    print(json.dumps([[n, list(p.shape)] for n, p in Net().named_parameters()]))
""")


def test_parameter_order_does_not_depend_on_pythonhashseed():
    # Parameters kept in a set (or ordered by hash) would come out in a different order per seed
    def names(seed):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run([sys.executable, "-c", PRINT_NAMES], env=env, capture_output=True, text=True,
                             check=True).stdout
        return json.loads(out)

    first, second = names("1"), names("2024")
    assert first == second
    assert [n for n, _ in first[:4]] == ["q.weight", "q.bias", "b.weight", "b.bias"]


# ---------------------------------------------------------------------------- zero_grad, train/eval


def test_module_zero_grad_sets_every_grad_to_none():
    model = mlp()
    model(Tensor(np.ones((5, 4), dtype=np.float32))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_train_and_eval_reach_every_nested_module():
    outer = nn.Sequential(Block(), nn.Dropout(0.5, rng=0))
    modules = [outer, outer[0], outer[0].proj, outer[0].head, outer[0].head[1], outer[1]]
    assert outer.eval() is outer  # returns self, so model.eval()(x) reads naturally
    assert [m.training for m in modules] == [False] * len(modules)
    assert outer.train() is outer
    assert [m.training for m in modules] == [True] * len(modules)
    outer.train(False)
    assert [m.training for m in modules] == [False] * len(modules)


# ---------------------------------------------------------------------------- Dropout


def test_dropout_is_reproducible_from_its_seed():
    x = Tensor(np.ones((20, 30), dtype=np.float32))
    a, b, c = nn.Dropout(0.3, rng=5), nn.Dropout(0.3, rng=np.random.default_rng(5)), nn.Dropout(0.3, rng=6)
    out_a, out_b, out_c = a(x).data, b(x).data, c(x).data
    np.testing.assert_array_equal(out_a, out_b)
    assert not np.array_equal(out_a, out_c)
    assert not np.array_equal(out_a, a(x).data)  # a fresh mask on every call


def test_dropout_is_the_identity_in_eval_mode():
    x = Tensor(np.random.default_rng(0).standard_normal((10, 10)).astype(np.float32))
    out = nn.Dropout(0.9, rng=0).eval()(x)
    np.testing.assert_array_equal(out.data, x.data)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_zeros_a_fraction_p_and_keeps_the_expectation(p):
    x = Tensor(np.full((400, 250), 2.0, dtype=np.float32))
    out = nn.Dropout(p, rng=0)(x).data
    kept = out != 0
    # survivors are scaled by 1/(1-p), so E[out] = x
    np.testing.assert_allclose(out[kept], 2.0 / (1 - p), rtol=1e-6)
    assert abs((1 - kept.mean()) - p) < 0.01  # 100,000 draws: sd of the fraction < 0.0016
    assert abs(out.mean() - 2.0) < 0.02 * 2.0 / (1 - p)
    assert out.dtype == np.float32


def test_dropout_backward_uses_the_same_mask():
    x = Tensor(np.full((50, 40), 3.0, dtype=np.float32), requires_grad=True)
    out = nn.Dropout(0.25, rng=1)(x)
    out.sum().backward()
    # d out / d x is 1/(1-p) where kept, 0 where dropped: exactly out / x
    np.testing.assert_allclose(x.grad.data, out.data / 3.0, rtol=1e-6)


@pytest.mark.parametrize("p", [-0.1, 1.0001, 1.5, float("nan")])
def test_dropout_rejects_p_outside_0_1(p):
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\]"):
        nn.Dropout(p)


# ---------------------------------------------------------------------------- Linear, Flatten, Sequential


def test_linear_init_is_reproducible_from_a_seed_or_generator():
    a, b = nn.Linear(5, 4, rng=3), nn.Linear(5, 4, rng=np.random.default_rng(3))
    c = nn.Linear(5, 4, rng=4)
    for pa, pb, pc in zip(a.parameters(), b.parameters(), c.parameters(), strict=True):
        np.testing.assert_array_equal(pa.data, pb.data)
        assert not np.array_equal(pa.data, pc.data)


def test_linear_init_is_uniform_within_one_over_sqrt_fan_in():
    layer = nn.Linear(400, 50, rng=0)
    bound = 1 / np.sqrt(400)
    w, b = layer.weight.data, layer.bias.data
    assert w.shape == (50, 400) and b.shape == (50,)
    assert w.dtype == b.dtype == np.float32
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    # the samples fill the interval: U(-c, c) has sd c / sqrt(3) (20,000 draws pin it to ~0.5%)
    assert np.abs(w).max() > 0.99 * bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.02 * bound / np.sqrt(3)
    assert abs(w.mean()) < 0.01 * bound


def test_linear_without_bias_has_only_a_weight():
    layer = nn.Linear(3, 2, bias=False, rng=0)
    assert [name for name, _ in layer.named_parameters()] == ["weight"]
    x = np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_allclose(layer(Tensor(x)).data, x @ layer.weight.data.T, rtol=1e-6)


@pytest.mark.parametrize("shape", [(6, 5), (2, 3, 5), (5,)])
def test_linear_forward_is_x_times_w_transposed_plus_b(shape):
    layer = nn.Linear(5, 3, rng=0)
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    y = layer(Tensor(x))
    assert y.shape == shape[:-1] + (3,)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.data, x @ layer.weight.data.T + layer.bias.data, rtol=1e-5, atol=1e-6)


def test_flatten_keeps_the_batch_dimension_and_the_values():
    x = np.arange(120, dtype=np.float32).reshape(2, 3, 4, 5)
    out = nn.Flatten()(Tensor(x))
    assert out.shape == (2, 60)
    np.testing.assert_array_equal(out.data, x.reshape(2, 60))
    assert nn.Flatten(start_dim=2)(Tensor(x)).shape == (2, 3, 20)
    assert nn.Flatten(1, 2)(Tensor(x)).shape == (2, 12, 5)


def test_flatten_backward_restores_the_input_shape():
    x = Tensor(np.ones((2, 3, 4), dtype=np.float32), requires_grad=True)
    (nn.Flatten()(x) * np.arange(12, dtype=np.float32)).sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.broadcast_to(np.arange(12).reshape(3, 4), (2, 3, 4)))


def test_sequential_indexing_and_length():
    layers = [nn.Linear(4, 3, rng=0), nn.ReLU(), nn.Linear(3, 2, rng=1)]
    model = nn.Sequential(*layers)
    assert len(model) == 3
    assert model[0] is layers[0] and model[2] is layers[2] and model[-1] is layers[2]
    with pytest.raises(IndexError):
        model[3]


def test_sequential_slice_is_a_sequential_of_the_same_layers():
    # as in PyTorch, model[:2] is a smaller model you can call, sharing the layers
    model = mlp()
    head = model[:2]
    assert isinstance(head, nn.Sequential)
    assert [head[0], head[1]] == [model[0], model[1]]
    x = Tensor(np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32))
    np.testing.assert_array_equal(head(x).data, model[1](model[0](x)).data)


def test_sequential_applies_layers_in_order():
    model = mlp()
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    w0, b0, w1, b1 = (p.data for p in model.parameters())
    expected = np.maximum(x @ w0.T + b0, 0) @ w1.T + b1
    np.testing.assert_allclose(model(Tensor(x)).data, expected, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------- state_dict, save, load


def test_state_dict_is_copies_in_parameter_order():
    model = mlp()
    state = model.state_dict()
    assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    state["0.weight"][...] = 99  # editing the dict must not edit the model
    assert not np.any(model[0].weight.data == 99)


def test_state_dict_round_trips_exactly_through_save_and_load(tmp_path):
    source, target = mlp(seed=0), mlp(seed=10)
    path = tmp_path / "model.npz"
    npgrad.save(source.state_dict(), path)
    loaded = npgrad.load(path)
    assert list(loaded) == list(source.state_dict())
    target.load_state_dict(loaded)
    for (name, p), q in zip(source.named_parameters(), target.parameters(), strict=True):
        assert np.array_equal(p.data, q.data), name
        assert q.dtype == p.dtype == np.float32
    x = Tensor(np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32))
    np.testing.assert_array_equal(target(x).data, source(x).data)


def test_load_state_dict_copies_the_arrays():
    model, state = mlp(seed=0), mlp(seed=1).state_dict()
    model.load_state_dict(state)
    state["0.bias"][...] = 99
    assert not np.any(model[0].bias.data == 99)


def test_save_accepts_tensors_and_writes_a_plain_npz(tmp_path):
    path = tmp_path / "t.npz"
    npgrad.save({"w": Tensor(np.arange(3, dtype=np.float32)), "b": np.ones(2)}, path)
    with np.load(path, allow_pickle=False) as archive:  # readable without pickle by plain NumPy
        np.testing.assert_array_equal(archive["w"], [0, 1, 2])
        assert archive["w"].dtype == np.float32 and archive["b"].dtype == np.float64


def test_a_failing_save_leaves_no_file_and_keeps_the_old_one(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    npgrad.save(mlp(seed=0).state_dict(), path)
    before = path.read_bytes()

    def write_half_then_crash(f, array, **options):
        f.write(b"\x93NUMPY half an array")
        raise OSError("disk full")

    monkeypatch.setattr(npgrad.serialization.np.lib.format, "write_array",
                        write_half_then_crash)
    with pytest.raises(OSError, match="disk full"):
        npgrad.save(mlp(seed=1).state_dict(), path)
    with pytest.raises(OSError, match="disk full"):
        npgrad.save(mlp(seed=1).state_dict(), tmp_path / "new.npz")
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz"]  # no partial file, no temp file


def test_save_refuses_object_arrays_rather_than_pickling_them(tmp_path):
    # npgrad's files hold plain arrays only; an object array would need pickle to save
    path = tmp_path / "bad.npz"
    with pytest.raises(ValueError, match="allow_pickle"):
        npgrad.save({"w": np.array([{"a": 1}], dtype=object)}, path)
    assert list(tmp_path.iterdir()) == []


def test_load_refuses_a_pickled_npz(tmp_path):
    path = tmp_path / "pickled.npz"
    np.savez(path, w=np.array([{"evil": 1}], dtype=object))  # NumPy pickles object arrays by default
    with pytest.raises(ValueError, match="pickled"):
        npgrad.load(path)


@pytest.mark.parametrize(("content", "message"), [
    (b"not an archive at all", "is not an .npz archive"),
    (b"PK\x03\x04 truncated zip", "is damaged"),
])
def test_load_says_what_is_wrong_with_a_bad_file(tmp_path, content, message):
    path = tmp_path / "model.npz"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message):
        npgrad.load(path)


def _load_error(model, state):
    before = [p.data.copy() for p in model.parameters()]
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict(state)
    # all or nothing: a rejected state_dict changes no parameter
    for old, p in zip(before, model.parameters(), strict=True):
        np.testing.assert_array_equal(old, p.data)
    return str(info.value)


def test_load_state_dict_names_a_missing_key():
    model, state = mlp(seed=0), mlp(seed=1).state_dict()
    del state["2.bias"]
    message = _load_error(model, state)
    assert "missing" in message and "'2.bias'" in message
    assert "unexpected" not in message


def test_load_state_dict_names_an_extra_key():
    model, state = mlp(seed=0), mlp(seed=1).state_dict()
    state["3.weight"] = np.zeros((2, 2), dtype=np.float32)
    message = _load_error(model, state)
    assert "unexpected" in message and "'3.weight'" in message
    assert "missing" not in message


def test_load_state_dict_names_a_misshaped_key_and_both_shapes():
    model = mlp(seed=0)
    state = nn.Sequential(nn.Linear(4, 5, rng=0), nn.ReLU(), nn.Linear(3, 2, rng=1)).state_dict()
    message = _load_error(model, state)
    assert re.search(r"0\.weight has shape \(5, 4\) in the state_dict but \(3, 4\) in the model", message)
    assert re.search(r"0\.bias has shape \(5,\) in the state_dict but \(3,\) in the model", message)
    assert "2.weight" not in message


def test_load_state_dict_lists_every_problem_at_once():
    model, state = mlp(seed=0), mlp(seed=1).state_dict()
    del state["0.bias"]
    state["extra"] = np.zeros(1)
    state["2.weight"] = np.zeros((9, 9), dtype=np.float32)
    message = _load_error(model, state)
    assert "'0.bias'" in message and "'extra'" in message and "(9, 9)" in message


def test_load_state_dict_non_strict_skips_missing_and_extra_keys():
    model, other = mlp(seed=0), mlp(seed=1)
    state = other.state_dict()
    del state["2.bias"]
    state["extra"] = np.zeros(1)
    old_bias = model[2].bias.data.copy()
    model.load_state_dict(state, strict=False)
    np.testing.assert_array_equal(model[0].weight.data, other[0].weight.data)
    np.testing.assert_array_equal(model[2].bias.data, old_bias)


# ---------------------------------------------------------------------------- losses


def _loss_cases():
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((6, 4))
    yield "mse", nn.MSELoss, F.mse_loss, logits, rng.standard_normal((6, 4))
    yield "ce_labels", nn.CrossEntropyLoss, F.cross_entropy, logits, rng.integers(0, 4, 6)
    yield "ce_probs", nn.CrossEntropyLoss, F.cross_entropy, logits, rng.dirichlet(np.ones(4), 6)
    yield "bce", nn.BCEWithLogitsLoss, F.binary_cross_entropy_with_logits, logits, rng.integers(0, 2, (6, 4))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize(("module", "function", "x", "target"),
                         [case[1:] for case in _loss_cases()], ids=[case[0] for case in _loss_cases()])
def test_loss_module_equals_its_functional_form(module, function, x, target, reduction):
    a, b = Tensor(x, requires_grad=True), Tensor(x, requires_grad=True)
    by_module, by_function = module(reduction=reduction)(a, target), function(b, target, reduction)
    np.testing.assert_array_equal(by_module.data, by_function.data)
    weights = np.linspace(1, 2, by_module.data.size).reshape(by_module.shape)
    (by_module * weights).sum().backward()
    (by_function * weights).sum().backward()
    np.testing.assert_array_equal(a.grad.data, b.grad.data)


def test_loss_reductions_differ_as_named():
    # guards the parametrized test above: the reductions must actually reach the function
    x, t = np.arange(6.0).reshape(2, 3), np.zeros((2, 3))
    assert nn.MSELoss()(Tensor(x), t).item() == pytest.approx(55 / 6)
    assert nn.MSELoss(reduction="sum")(Tensor(x), t).item() == pytest.approx(55)
    assert nn.MSELoss(reduction="none")(Tensor(x), t).shape == (2, 3)


# ---------------------------------------------------------------------------- PyTorch parity


def test_linear_forward_and_backward_match_torch():
    torch = pytest.importorskip("torch", reason="torch is not installed; the PyTorch parity test needs it")
    rng = np.random.default_rng(0)
    w, b = rng.standard_normal((3, 5)), rng.standard_normal(3)
    x, g = rng.standard_normal((4, 5)), rng.standard_normal((4, 3))

    layer = nn.Linear(5, 3)
    layer.weight, layer.bias = nn.Parameter(w), nn.Parameter(b)  # float64, as torch's below
    xn = Tensor(x, requires_grad=True)
    yn = layer(xn)
    (yn * g).sum().backward()

    ref = torch.nn.Linear(5, 3, dtype=torch.float64)
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(w))
        ref.bias.copy_(torch.from_numpy(b))
    xt = torch.from_numpy(x).requires_grad_(True)
    yt = ref(xt)
    (yt * torch.from_numpy(g)).sum().backward()

    assert yn.dtype == np.float64
    np.testing.assert_allclose(yn.data, yt.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(xn.grad.data, xt.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(layer.weight.grad.data, ref.weight.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(layer.bias.grad.data, ref.bias.grad.numpy(), rtol=1e-6)


def test_a_wide_linear_weight_is_out_by_in_stored_column_major_and_its_grad_too():
    """PyTorch's (out, in) weight, stored so that weight.T (what x @ weight.T
    multiplies by) is contiguous; the gradient comes back in the same layout (so the
    optimiser's in-place update runs over both arrays in order), with the values of
    the row-major product."""
    layer = nn.Linear(784, 256, rng=0)
    w = layer.weight.data
    assert w.shape == (256, 784) and w.flags.f_contiguous and not w.flags.c_contiguous
    x = np.random.default_rng(1).standard_normal((128, 784)).astype(np.float32)
    layer(npgrad.tensor(x)).sum().backward()
    g = layer.weight.grad.data
    assert g.shape == (256, 784) and g.flags.f_contiguous and g.flags.owndata
    # each entry a float32 sum of 128 standard normals: within 1e-4 of the exact sum
    exact = np.ones((256, 128)) @ x.astype(np.float64)
    np.testing.assert_allclose(g, exact, rtol=0, atol=1e-4)
    c_order = npgrad.tensor(np.ascontiguousarray(w), requires_grad=True)
    F.linear(npgrad.tensor(x), c_order).sum().backward()  # a row-major weight: as is
    assert c_order.grad.data.flags.c_contiguous
    np.testing.assert_allclose(c_order.grad.data, exact, rtol=0, atol=1e-4)
    narrow = nn.Linear(784, nn.WIDE - 1, rng=0).weight.data  # e.g. softmax regression's
    assert narrow.flags.c_contiguous and not narrow.flags.f_contiguous
    assert nn.Linear(784, nn.WIDE, rng=0).weight.data.flags.f_contiguous

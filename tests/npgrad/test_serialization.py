"""npgrad.load reads plain .npy arrays only: other zip members are refused by name, never run."""

import io
import pickle
import zipfile

import numpy as np
import pytest

import npgrad


def npz_with(path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def npy_bytes(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def test_a_member_that_is_not_an_npy_array_is_refused_by_name(tmp_path):
    path = tmp_path / "model.npz"
    npz_with(path, {"w.npy": npy_bytes(np.ones(2)), "notes.pkl": pickle.dumps({"lr": 0.1})})
    with pytest.raises(ValueError, match=r"'notes\.pkl'.*not a plain \.npy array"):
        npgrad.load(path)


def test_a_pickle_disguised_as_npy_is_refused_by_name(tmp_path):
    path = tmp_path / "model.npz"
    npz_with(path, {"w.npy": pickle.dumps(np.ones(2))})
    with pytest.raises(ValueError, match=r"'w\.npy'.*not a plain \.npy array"):
        npgrad.load(path)


def test_an_object_array_member_is_refused_by_name(tmp_path):
    path = tmp_path / "model.npz"
    npz_with(path, {"b.npy": npy_bytes(np.ones(2)), "w.npy": npy_bytes(np.array([{"x": 1}], dtype=object))})
    with pytest.raises(ValueError, match=r"'w\.npy'.*pickled"):
        npgrad.load(path)


def test_a_torch_checkpoint_is_refused_naming_its_pickle(tmp_path):
    """torch.save writes a zip whose data.pkl unpickles the tensors; npgrad never opens it."""
    path = tmp_path / "model.pt"
    try:
        import torch
    except ImportError:  # the same layout, written by hand
        npz_with(path, {"model/data.pkl": pickle.dumps({"w": [1.0]}), "model/data/0": b"\0" * 8,
                        "model/version": b"3\n"})
    else:
        torch.save({"w": torch.ones(2)}, path)
    with pytest.raises(ValueError, match=r"holds '[^']*'.*torch\.save checkpoint"):
        npgrad.load(path)


def test_plain_arrays_still_load_in_order_and_with_their_dtypes(tmp_path):
    path = tmp_path / "model.npz"
    npgrad.save({"b": np.arange(3, dtype=np.int32), "a": np.ones((2, 2), np.float32)}, path)
    loaded = npgrad.load(path)
    assert list(loaded) == ["b", "a"]
    assert loaded["b"].dtype == np.int32 and loaded["a"].dtype == np.float32
    np.testing.assert_array_equal(loaded["b"], [0, 1, 2])


# -- checkpoints: nested dicts, lists, tuples and plain values beside the arrays ----------
def a_checkpoint():
    return {
        "model": {"0.weight": np.arange(6.0).reshape(2, 3), "0.bias": np.zeros(2, np.float32)},
        "optimizer": {"state": {0: {"step": 3, "exp_avg": np.ones(2)}, 2: {"step": 1}},
                      "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "amsgrad": False,
                                        "params": [0, 1, 2], "name": None}]},
        "epoch": 4, "loss": 0.1 + 0.2, "best": float("inf"), "bad": float("nan"),
        "np_scalars": [np.float64(1 / 3), np.int64(7), np.bool_(True)],
        "note": "résumé",
    }


def test_a_checkpoint_round_trips_with_its_types(tmp_path):
    path = tmp_path / "checkpoint.npz"
    npgrad.save(a_checkpoint(), path)
    loaded = npgrad.load(path)
    expected = a_checkpoint()
    assert list(loaded) == list(expected)
    np.testing.assert_array_equal(loaded["model"]["0.weight"], expected["model"]["0.weight"])
    assert loaded["model"]["0.bias"].dtype == np.float32
    state = loaded["optimizer"]["state"]
    assert list(state) == [0, 2] and state[2] == {"step": 1}  # int keys stay ints
    np.testing.assert_array_equal(state[0]["exp_avg"], np.ones(2))
    assert loaded["optimizer"]["param_groups"] == expected["optimizer"]["param_groups"]
    assert loaded["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)  # a tuple
    assert loaded["loss"] == 0.1 + 0.2 and loaded["epoch"] == 4  # floats exactly
    assert loaded["best"] == float("inf") and np.isnan(loaded["bad"])
    assert loaded["np_scalars"] == [1 / 3, 7, True] and loaded["note"] == "résumé"


def test_a_checkpoint_is_plain_npz_readable_without_pickle(tmp_path):
    path = tmp_path / "checkpoint.npz"
    npgrad.save(a_checkpoint(), path)
    with np.load(path, allow_pickle=False) as archive:
        assert archive[npgrad.serialization.STRUCTURE].dtype.kind == "U"
        assert len(archive.files) == 4  # three arrays and the structure


def test_a_flat_state_dict_is_stored_as_before_without_a_structure(tmp_path):
    path = tmp_path / "model.npz"
    npgrad.save({"w": np.ones(2), "b": np.zeros(1)}, path)
    with np.load(path, allow_pickle=False) as archive:
        assert archive.files == ["w", "b"]


@pytest.mark.parametrize(("value", "message"), [
    ({"f": lambda t: t}, r"checkpoint\['f'\] is of type function"),
    ({"s": {"lr_lambdas": [object()]}}, r"checkpoint\['s'\]\['lr_lambdas'\]\[0\] is of type object"),
    ({"x": {1.5: 2}}, r"checkpoint\['x'\] has the key 1.5; keys must be str or int"),
    ({"x": {1, 2}}, r"checkpoint\['x'\] is of type set"),
])
def test_what_json_and_arrays_cannot_hold_is_refused_at_save(tmp_path, value, message):
    with pytest.raises(TypeError, match=message):
        npgrad.save(value, tmp_path / "c.npz")
    assert list(tmp_path.iterdir()) == []


def test_save_refuses_a_non_dict_and_the_reserved_key(tmp_path):
    with pytest.raises(TypeError, match="expected a dict"):
        npgrad.save([np.ones(2)], tmp_path / "c.npz")
    with pytest.raises(ValueError, match="is reserved"):
        npgrad.save({npgrad.serialization.STRUCTURE: np.ones(1)}, tmp_path / "c.npz")


def test_a_foreign_member_in_a_checkpoint_is_refused_by_name(tmp_path):
    path = tmp_path / "checkpoint.npz"
    npgrad.save(a_checkpoint(), path)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("extra.pkl", pickle.dumps({"lr": 0.1}))
    with pytest.raises(ValueError, match=r"'extra\.pkl'.*not a plain \.npy array"):
        npgrad.load(path)


def structure_npz(path, structure, arrays=None):
    members = {f"{k}.npy": npy_bytes(v) for k, v in (arrays or {}).items()}
    members[f"{npgrad.serialization.STRUCTURE}.npy"] = npy_bytes(structure)
    npz_with(path, members)


@pytest.mark.parametrize(("structure", "arrays", "message"), [
    (np.array([1, 2]), {}, "expected a string"),
    (np.array("{not json"), {}, "Expecting property name"),
    (np.array('{"pickle": "cos"}'), {}, r"unexpected \{'pickle': 'cos'\}"),
    (np.array('{"array": "missing"}'), {}, r"unexpected \{'array': 'missing'\}"),
    (np.array('{"dict": [[[1], 2]]}'), {}, "unexpected"),
    (np.array('{"dict": []}'), {"stray": np.ones(1)}, r"members \['stray'\] are not in it"),
])
def test_a_damaged_structure_is_refused(tmp_path, structure, arrays, message):
    path = tmp_path / "checkpoint.npz"
    structure_npz(path, structure, arrays)
    with pytest.raises(ValueError, match=rf"damaged {npgrad.serialization.STRUCTURE}.*{message}"):
        npgrad.load(path)


def test_a_pickled_array_inside_a_checkpoint_is_refused(tmp_path):
    path = tmp_path / "checkpoint.npz"
    structure_npz(path, np.array('{"dict": [["w", {"array": "w"}]]}'),
                  {"w": np.array([{"evil": 1}], dtype=object)})
    with pytest.raises(ValueError, match=r"'w\.npy'.*pickled"):
        npgrad.load(path)


def test_any_parameter_name_round_trips(tmp_path):
    """np.savez's own keywords are not names save can lose: NumPy 2.0 (the browser's)
    stored allow_pickle=False as an array, and 2.4 refuses a key of that name."""
    state = {"allow_pickle": np.ones(2, dtype=np.float32), "file": np.zeros(3)}
    npgrad.save(state, tmp_path / "w.npz")
    loaded = npgrad.load(tmp_path / "w.npz")
    assert list(loaded) == ["allow_pickle", "file"]
    np.testing.assert_array_equal(loaded["allow_pickle"], state["allow_pickle"])
    assert np.load(tmp_path / "w.npz")["file"].shape == (3,)


def test_saving_an_object_array_is_refused(tmp_path):
    with pytest.raises(ValueError, match="allow_pickle=False"):
        npgrad.save({"w": np.array([{"x": 1}], dtype=object)}, tmp_path / "w.npz")
    assert not (tmp_path / "w.npz").exists()

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

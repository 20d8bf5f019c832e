"""Tests for npgrad.utils.atomic_write: path is whole or untouched, whatever happens."""

import os
import stat

import numpy as np
import pytest

import npgrad
from npgrad.utils import atomic_write


def test_writes_bytes_and_text_and_leaves_nothing_else(tmp_path):
    with atomic_write(tmp_path / "a.bin") as f:
        f.write(b"\x00\x01")
    with atomic_write(tmp_path / "b.csv", "w", encoding="utf-8", newline="") as f:
        f.write("x,y\r\n1,é\n")
    assert (tmp_path / "a.bin").read_bytes() == b"\x00\x01"
    assert (tmp_path / "b.csv").read_bytes() == "x,y\r\n1,é\n".encode()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bin", "b.csv"]
    assert stat.S_IMODE((tmp_path / "a.bin").stat().st_mode) == 0o644


def test_an_error_in_the_block_keeps_the_old_file_and_removes_the_temporary(tmp_path):
    target = tmp_path / "f"
    target.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt), atomic_write(target) as f:
        f.write(b"half")
        raise KeyboardInterrupt
    assert [p.name for p in tmp_path.iterdir()] == ["f"] and target.read_bytes() == b"old"


def test_a_failed_replace_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "f"
    target.write_bytes(b"old")
    monkeypatch.setattr(os, "replace", lambda *args: (_ for _ in ()).throw(OSError("disk")))
    with pytest.raises(OSError, match="disk"), atomic_write(target) as f:
        f.write(b"new" * 1000)
    assert [p.name for p in tmp_path.iterdir()] == ["f"] and target.read_bytes() == b"old"


def test_a_write_clears_temporary_files_that_a_killed_write_left_behind(tmp_path):
    target = tmp_path / "train-labels-idx1-ubyte"
    stale = tmp_path / f".{target.name}.dead.part"
    fresh = tmp_path / f".{target.name}.live.part"
    stale.write_bytes(b"half a file")
    fresh.write_bytes(b"another process, still writing")
    hour_ago = os.path.getmtime(stale) - 2 * 3600
    os.utime(stale, (hour_ago, hour_ago))
    with atomic_write(target) as f:
        f.write(b"whole")
    assert target.read_bytes() == b"whole"
    assert not stale.exists() and fresh.exists()


def test_modes_other_than_writing_are_refused(tmp_path):
    with pytest.raises(ValueError, match="mode must be 'w' or 'wb', got 'a'"):
        with atomic_write(tmp_path / "f", "a"):
            pass


def test_save_is_atomic_an_unsavable_state_dict_leaves_the_old_file(tmp_path):
    path = tmp_path / "model.npz"
    npgrad.save({"w": np.ones(2)}, path)
    with pytest.raises(ValueError):
        npgrad.save({"w": np.array([object()])}, path)  # object arrays are refused
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]
    np.testing.assert_array_equal(npgrad.load(path)["w"], np.ones(2))


def test_the_file_gets_the_permissions_asked_for(tmp_path):
    for permissions in (0o644, 0o600):
        with atomic_write(tmp_path / f"{permissions:o}", "w", permissions) as f:
            f.write("x")
        assert (tmp_path / f"{permissions:o}").stat().st_mode & 0o777 == permissions

"""save and load a state_dict as a .npz file: plain arrays, no pickle, atomic."""

from __future__ import annotations

import os
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np

from npgrad.tensor import Tensor
from npgrad.utils import atomic_write


def save(state_dict: dict, path: str | os.PathLike) -> None:
    """Write the arrays of state_dict to path (.npz), whole or not at all."""
    path = Path(path)
    arrays = {
        k: np.asarray(v.data if isinstance(v, Tensor) else v)
        for k, v in state_dict.items()
    }
    with atomic_write(path) as f:
        np.savez(f, allow_pickle=False, **arrays)  # object arrays raise, never pickle


def load(path: str | os.PathLike) -> OrderedDict[str, np.ndarray]:
    """Read a state_dict written by save: plain .npy arrays only. Anything else (a
    pickle, a torch.save checkpoint) is refused, naming the member, and never executed.
    """
    with open(path, "rb") as f:
        if f.read(4) != b"PK\x03\x04":
            raise ValueError(
                f"load: {path} is not an .npz archive; npgrad.save writes those"
            )
    try:
        with zipfile.ZipFile(path) as archive:
            return OrderedDict(
                _read_member(path, archive, name) for name in archive.namelist()
            )
    except (OSError, zipfile.BadZipFile) as err:
        raise ValueError(
            f"load: {path} is damaged ({err}); save the state_dict again with "
            "npgrad.save"
        ) from None


def _read_member(path, archive: zipfile.ZipFile, name: str) -> tuple[str, np.ndarray]:
    """One member of the archive as (key, array); refused unless a plain .npy array."""
    refusal = (
        f"load: {path} holds {name!r}, which is not a plain .npy array (npgrad.save "
        "writes only those; a torch.save checkpoint or pickled objects are refused, "
        "never run)"
    )
    if not name.endswith(".npy"):
        raise ValueError(refusal)
    with archive.open(name) as member:
        try:
            return name[: -len(".npy")], np.lib.format.read_array(
                member, allow_pickle=False
            )
        except ValueError as err:
            raise ValueError(f"{refusal}: {err}") from None

"""save and load a state_dict or a checkpoint as .npz: no pickle, written atomically.

A model's state_dict (names to arrays) is stored as one .npy member per array, as
before. A checkpoint that nests dicts, lists and plain values, such as
`{"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3}`, keeps
its arrays as .npy members too, and its structure and plain values (numbers, strings,
booleans, None) as JSON in one more member: a 0-d string array named STRUCTURE.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from npgrad.tensor import Tensor
from npgrad.utils import atomic_write

STRUCTURE = "__npgrad_structure__"  # the member that holds a checkpoint's JSON
_PLAIN = (type(None), bool, int, float, str)


def save(obj: dict, path: str | os.PathLike) -> None:
    """Write obj's arrays and structure to path (.npz); a crash midway leaves no file.

    obj is a state_dict, or a dict nesting dicts (str or int keys), lists, tuples,
    arrays, Tensors, numbers, strings, booleans and None.
    """
    path = Path(path)
    arrays = _members(obj)
    with atomic_write(path) as f, zipfile.ZipFile(f, "w") as archive:
        for name, array in arrays.items():  # as np.savez does, without its keywords
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                # object arrays raise here: never a pickle
                np.lib.format.write_array(member, array, allow_pickle=False)


def load(path: str | os.PathLike) -> Any:
    """Read what save wrote: plain .npy arrays and a JSON structure only.

    Anything else (a pickle, a torch.save checkpoint) is refused, naming the member,
    and never executed.
    """
    with open(path, "rb") as f:
        if f.read(4) != b"PK\x03\x04":
            raise ValueError(f"load: {path} is not an .npz archive; npgrad.save writes "
                             "those")
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            arrays = OrderedDict(_read_member(path, archive, n) for n in names)
    except (OSError, zipfile.BadZipFile) as err:
        raise ValueError(
            f"load: {path} is damaged ({err}); save the state_dict again with "
            "npgrad.save"
        ) from None
    if STRUCTURE not in arrays:
        return arrays  # a flat state_dict
    return _rebuild(path, arrays)


def _members(obj: dict) -> dict[str, np.ndarray]:
    """The .npy members for obj: its arrays, and its structure unless it is flat."""
    if not isinstance(obj, dict):
        raise TypeError(f"save: expected a dict (a state_dict or a checkpoint), got "
                        f"{type(obj).__name__}")
    if STRUCTURE in obj:
        raise ValueError(f"save: the key {STRUCTURE!r} is reserved by npgrad.save")
    if all(isinstance(k, str) and _is_array(v) for k, v in obj.items()):
        return {k: _array(v) for k, v in obj.items()}  # a flat state_dict
    arrays: dict[str, np.ndarray] = {}
    tree = _encode(obj, "checkpoint", arrays)
    return {**arrays, STRUCTURE: np.array(json.dumps(tree, allow_nan=True))}


def _is_array(value: Any) -> bool:
    return isinstance(value, np.ndarray | Tensor)


def _array(value: np.ndarray | Tensor) -> np.ndarray:
    return np.asarray(value.data if isinstance(value, Tensor) else value)


def _encode(value: Any, where: str, arrays: dict[str, np.ndarray]) -> Any:
    """value as JSON: containers and arrays tagged ({"dict": ...}), the rest bare."""
    if _is_array(value):
        name = f"{len(arrays)}:{where}"
        arrays[name] = _array(value)
        return {"array": name}
    if isinstance(value, np.generic):  # a NumPy scalar: as the Python number it holds
        value = value.item()
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str | int) or isinstance(key, bool):
                raise TypeError(f"save: {where} has the key {key!r}; keys must be str "
                                "or int")
        return {"dict": [[k, _encode(v, f"{where}[{k!r}]", arrays)]
                         for k, v in value.items()]}
    if isinstance(value, list | tuple):
        items = [_encode(v, f"{where}[{i}]", arrays) for i, v in enumerate(value)]
        return {type(value).__name__: items}
    raise TypeError(f"save: {where} is of type {type(value).__name__}; npgrad.save "
                    "holds arrays, numbers, strings, booleans, None and dicts, lists "
                    "and tuples of them (no pickle)")


def _rebuild(path, arrays: dict[str, np.ndarray]) -> Any:
    """The checkpoint from its JSON structure and its arrays; refuses anything else."""
    damaged = f"load: {path} has a damaged {STRUCTURE} member"
    structure = arrays.pop(STRUCTURE)
    if structure.dtype.kind != "U" or structure.shape != ():
        raise ValueError(f"{damaged}: expected a string, got {structure.dtype}")
    try:
        tree = json.loads(str(structure))
    except ValueError as err:
        raise ValueError(f"{damaged}: {err}") from None
    used: set[str] = set()
    obj = _decode(tree, arrays, used, damaged)
    if set(arrays) - used:
        unused = sorted(set(arrays) - used)
        raise ValueError(f"{damaged}: members {unused} are not in it")
    return obj


def _decode(tree: Any, arrays: dict[str, np.ndarray], used: set[str],
            damaged: str) -> Any:
    if isinstance(tree, _PLAIN):
        return tree
    if not (isinstance(tree, dict) and len(tree) == 1):
        raise ValueError(f"{damaged}: unexpected {str(tree)[:60]}")
    ((tag, content),) = tree.items()
    if tag == "array" and content in arrays:
        used.add(content)
        return arrays[content]
    if tag == "dict" and all(_is_entry(pair) for pair in content):
        return {k: _decode(v, arrays, used, damaged) for k, v in content}
    if tag in ("list", "tuple") and isinstance(content, list):
        items = [_decode(v, arrays, used, damaged) for v in content]
        return items if tag == "list" else tuple(items)
    raise ValueError(f"{damaged}: unexpected {str(tree)[:60]}")


def _is_entry(pair: Any) -> bool:
    """A [key, value] pair of a dict's JSON, its key a str or an int."""
    return (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str | int)
            and not isinstance(pair[0], bool))


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
            array = np.lib.format.read_array(member, allow_pickle=False)
            return name[: -len(".npy")], array
        except ValueError as err:
            raise ValueError(f"{refusal}: {err}") from None

"""A copy of npgrad with the implementation an assignment asks for taken out.

The sandbox imports this copy, mounted over npgrad's real folder, so that no function
copy (``types.FunctionType(f.__code__)``), second module copy, ``importlib.reload`` or
``exec(inspect.getsource(...))`` can reach npgrad's own version of what the student must
write: its body is not on the sandbox's disk. What stays is an error naming the
function.

An assignment lists what it withholds in its notebook metadata (nbgrader ignores it)::

    "classroom": {"withheld": ["npgrad.functional.Mul", "npgrad.train"]}

A name is a module (every function and method in it), a class (its methods) or a
function. Only what the framework does not need while the student's code runs can be
withheld (``npgrad.tensor.unbroadcast`` and ``Tensor.backward`` are the engine's own,
for example).
"""

from __future__ import annotations

import ast
import shutil
from collections.abc import Sequence
from pathlib import Path

MESSAGE = (
    "{name} is withheld while this assignment is graded: "
    "it is npgrad's own implementation of what the assignment asks you to write"
)


def withheld_names(nb) -> list[str]:
    """The names a source notebook's metadata lists under classroom.withheld."""
    names = nb.metadata.get("classroom", {}).get("withheld", [])
    if not isinstance(names, list) or not all(
        isinstance(n, str) and n.startswith("npgrad.") for n in names
    ):
        raise ValueError(
            "metadata.classroom.withheld must be a list of names under npgrad."
        )
    return names


def copy_without(
    package_dir: str | Path, names: Sequence[str], dest: str | Path
) -> Path:
    """Copy the npgrad package at package_dir to dest/npgrad, `names` withheld."""
    src, out = Path(package_dir), Path(dest) / "npgrad"
    shutil.copytree(src, out, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    by_file: dict[Path, list[list[str]]] = {}
    for name in names:
        for path, inner in _locate_all(out, name):
            by_file.setdefault(path, []).append(inner)
    for path, targets in by_file.items():
        path.write_text(
            withhold(
                path.read_text(encoding="utf-8"), targets, _module_name(out, path)
            ),
            encoding="utf-8",
        )
    return out


def _locate_all(root: Path, name: str) -> list[tuple[Path, list[str]]]:
    """As _locate, except that a subpackage (npgrad.optim) stands for each of its
    modules."""
    folder = root.joinpath(*name.split(".")[1:])
    if name != "npgrad" and (folder / "__init__.py").is_file():
        return [(path, []) for path in sorted(folder.rglob("*.py"))]
    return [_locate(root, name)]


def _locate(root: Path, name: str) -> tuple[Path, list[str]]:
    """The module file that defines `name`, and the qualified path inside it."""
    parts = name.split(".")[1:]
    for i in range(len(parts), -1, -1):
        base = root.joinpath(*parts[:i])
        for path in (base.with_suffix(".py"), base / "__init__.py"):
            if i and path.is_file():
                return path, parts[i:]
    raise ValueError(f"withhold: no module of npgrad defines {name}")


def _module_name(root: Path, path: Path) -> str:
    rel = path.relative_to(root).with_suffix("")
    return ".".join(["npgrad", *[p for p in rel.parts if p != "__init__"]])


def withhold(source: str, targets: Sequence[Sequence[str]], module: str) -> str:
    """The module source, each function under each target's body made a raise."""
    tree, lines = ast.parse(source), source.split("\n")
    functions = []
    for path in targets:
        node = _find(tree, list(path))
        if node is None:
            raise ValueError(f"withhold: {module} has no {'.'.join(path)}")
        functions += [(n, q) for n, q in _functions_under(node, list(path))]
    for node, qualname in sorted(functions, key=lambda item: -item[0].body[0].lineno):
        first = node.body[0]
        if first.lineno == node.lineno:
            raise ValueError(
                f"withhold: {module}.{qualname} is a one-line function; "
                "write it on two lines"
            )
        indent = " " * first.col_offset
        message = MESSAGE.format(name=f"{module}.{qualname}" if qualname else module)
        lines[first.lineno - 1 : node.end_lineno] = [
            f"{indent}raise RuntimeError({message!r})"
        ]
    return "\n".join(lines)


def _find(tree: ast.AST, path: list[str]) -> ast.AST | None:
    node = tree
    for part in path:
        node = next(
            (
                n
                for n in getattr(node, "body", [])
                if isinstance(n, ast.ClassDef | ast.FunctionDef) and n.name == part
            ),
            None,
        )
        if node is None:
            return None
    return node


def _functions_under(node: ast.AST, path: list[str]):
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        yield node, ".".join(path)
        return
    for child in getattr(node, "body", []):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield from _functions_under(child, [*path, child.name])

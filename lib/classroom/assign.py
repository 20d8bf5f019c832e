"""Student, solutions and instructor versions of the assignment notebooks, from one
source.

A source notebook (``assignments/*.ipynb``) is the instructor's: it holds the solutions
and the hidden tests, marked the way nbgrader marks them (``classroom.markers``), so
nbgrader can take it as it is.

The versions, each a function of the source alone:

- ``student``: every solution region becomes a stub that raises NotImplementedError (a
  function keeps its ``def`` line and docstring), hidden tests are removed, outputs
  cleared;
- ``solutions``: the solutions without the markers, hidden tests removed, outputs kept
  (to hand out after the deadline: the hidden tests stay reusable);
- ``instructor``: the source itself, checked (solutions and hidden tests, markers kept).

Command line: ``python -m classroom.assign SOURCE_DIR OUT_DIR`` writes OUT_DIR/student,
OUT_DIR/solutions and OUT_DIR/instructor; ``--only student`` writes one version
straight into OUT_DIR; ``--check`` only reports whether OUT_DIR is up to date.
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from classroom.markers import (
    BEGIN_HIDDEN,
    BEGIN_SOLUTION,
    END_HIDDEN,
    END_SOLUTION,
    find_regions,
    grade_id,
    is_test_cell,
    nbgrader,
    test_cells,
)

GRADE_ID = re.compile(r"^[A-Za-z0-9_-]+$")
DEF = re.compile(r"^(\s*)(?:async\s+)?(def|class)\s+(\w+)")


class AssignmentFormatError(ValueError):
    """A source notebook breaks the conventions; the message lists every problem."""


@dataclass(frozen=True)
class Version:
    """What a version keeps of the source."""

    solutions: bool
    hidden_tests: bool
    markers: bool
    outputs: bool


VERSIONS = {
    "student": Version(
        solutions=False, hidden_tests=False, markers=False, outputs=False
    ),
    "solutions": Version(
        solutions=True, hidden_tests=False, markers=False, outputs=True
    ),
    "instructor": Version(
        solutions=True, hidden_tests=True, markers=True, outputs=True
    ),
}


# ---------------------------------------------------------------- stubs


def enclosing_name(lines: Sequence[str], index: int) -> str | None:
    """The qualified name of the def (or class) holding line `index`: 'Mul.backward'."""
    names, limit = [], len(_indent(lines[index]))
    for line in reversed(lines[:index]):
        match = DEF.match(line)
        if match and len(match.group(1)) < limit:
            names.append(match.group(3))
            limit = len(match.group(1))
    return ".".join(reversed(names)) or None


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


STUB_WIDTH = 80  # the widest code line the book's pages show unclipped


def stub(lines: Sequence[str], begin: int) -> list[str]:
    """What replaces a solution region: nbgrader's stub, naming the function."""
    indent, name = _indent(lines[begin]), enclosing_name(lines, begin)
    message = f"{name}: not written yet" if name else "not written yet"
    call = f'raise NotImplementedError("{message}")'
    if len(indent) + len(call) <= STUB_WIDTH:
        return [f"{indent}# YOUR CODE HERE", f"{indent}{call}"]
    return [  # wrapped as ruff format would
        f"{indent}# YOUR CODE HERE",
        f"{indent}raise NotImplementedError(",
        f'{indent}    "{message}"',
        f"{indent})",
    ]


def _rewrite(source: str, begin: str, end: str, replace) -> str:
    """Each region (markers included) replaced by replace(lines, begin, end)."""
    lines = source.split("\n")
    for start, stop in reversed(find_regions(lines, begin, end)):
        lines[start : stop + 1] = replace(lines, start, stop)
    return "\n".join(lines)


def without_hidden_tests(source: str) -> str:
    """The source without its hidden-test regions, trailing blank lines dropped."""
    return _rewrite(source, BEGIN_HIDDEN, END_HIDDEN, lambda lines, a, b: []).rstrip()


def with_stubs(source: str) -> str:
    """The source with every solution region replaced by a stub."""
    return _rewrite(
        source, BEGIN_SOLUTION, END_SOLUTION, lambda lines, a, b: stub(lines, a)
    )


def without_markers(source: str) -> str:
    """The solution regions kept, their marker lines dropped."""
    return _rewrite(
        source, BEGIN_SOLUTION, END_SOLUTION, lambda lines, a, b: lines[a + 1 : b]
    )


# ---------------------------------------------------------------- checking a source


def problems(nb: NotebookNode) -> list[str]:
    """Every way the notebook breaks the conventions; [] when it is a valid source."""
    found, seen = [], set()
    for i, cell in enumerate(nb.cells):
        where = f"cell {i}" + (f" ({grade_id(cell)})" if grade_id(cell) else "")
        found += [f"{where}: {p}" for p in _cell_problems(cell, seen)]
    if not test_cells(nb):
        found.append("no test cell (nbgrader metadata grade: true, solution: false)")
    return found


def _cell_problems(cell: NotebookNode, seen: set[str]) -> list[str]:
    meta, found = nbgrader(cell), []
    try:
        solutions = find_regions(cell.source.split("\n"), BEGIN_SOLUTION, END_SOLUTION)
        hidden = find_regions(cell.source.split("\n"), BEGIN_HIDDEN, END_HIDDEN)
    except ValueError as error:
        return [str(error)]
    if (solutions or hidden) and cell.cell_type != "code":
        found.append("markers are supported in code cells only")
    if solutions and not meta.get("solution"):
        found.append("a solution region in a cell without nbgrader solution: true")
    if hidden and not is_test_cell(cell):
        found.append("a hidden-test region in a cell that is not a test cell")
    if meta:
        found += _metadata_problems(cell, meta, bool(solutions), seen)
    return found


def _metadata_problems(
    cell: NotebookNode, meta: dict, has_solution: bool, seen: set[str]
) -> list[str]:
    found, gid = [], meta.get("grade_id")
    if meta.get("schema_version") != 3:
        found.append("nbgrader schema_version must be 3")
    if not isinstance(gid, str) or not GRADE_ID.match(gid):
        found.append(f"grade_id {gid!r} must be letters, digits, '_' or '-'")
    elif gid in seen:
        found.append(f"grade_id {gid!r} is used twice")
    seen.add(gid)
    if meta.get("solution") and not has_solution:
        found.append(f"a solution cell needs a {BEGIN_SOLUTION!r} region")
    if meta.get("solution") and meta.get("grade"):
        found.append(
            "manually graded answer cells (solution and grade) are not supported"
        )
    if is_test_cell(cell):
        if cell.cell_type != "code" or not meta.get("locked"):
            found.append("a test cell must be a locked code cell")
        if not isinstance(meta.get("points"), int | float) or meta["points"] <= 0:
            found.append("a test cell needs positive points")
    return found


def check(nb: NotebookNode, name: str = "notebook") -> None:
    """Raise AssignmentFormatError listing every problem of a source notebook."""
    found = problems(nb)
    if found:
        raise AssignmentFormatError(f"{name}:\n  " + "\n  ".join(found))


# ---------------------------------------------------------------- making a version


def make_version(source: NotebookNode, version: str | Version) -> NotebookNode:
    """One version of a checked source notebook (the source is not modified)."""
    keep = VERSIONS[version] if isinstance(version, str) else version
    nb = copy.deepcopy(source)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = _version_source(cell.source, keep)
            if not keep.outputs:
                cell.outputs, cell.execution_count = [], None
                cell.metadata.pop("execution", None)
    return nb


def _version_source(source: str, keep: Version) -> str:
    if not keep.hidden_tests:
        source = without_hidden_tests(source)
    if not keep.solutions:
        source = with_stubs(source)
    elif not keep.markers:
        source = without_markers(source)
    return source


def source_notebooks(source_dir: str | Path) -> list[Path]:
    """The assignment notebooks of a folder (not its subfolders), sorted by name."""
    paths = sorted(Path(source_dir).glob("*.ipynb"))
    if not paths:
        raise FileNotFoundError(f"no assignment notebook (*.ipynb) in {source_dir}")
    return paths


def read_source(path: str | Path) -> NotebookNode:
    """Read and check one source notebook."""
    nb = nbformat.read(path, as_version=4)
    check(nb, str(path))
    return nb


def render(nb: NotebookNode) -> str:
    """The text nbformat writes, so that a copy can be compared byte for byte."""
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def generate(source_dir: str | Path, out_dir: str | Path, version: str) -> list[Path]:
    """Write one version of every source notebook into out_dir; the paths written."""
    out = Path(out_dir)
    if out.resolve() == Path(source_dir).resolve():
        raise ValueError(
            f"the output folder {out} is the source folder: "
            "that would overwrite the sources"
        )
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in source_notebooks(source_dir):
        target = out / path.name
        target.write_text(
            render(make_version(read_source(path), version)), encoding="utf-8"
        )
        written.append(target)
    return written


def stale(source_dir: str | Path, out_dir: str | Path, version: str) -> list[str]:
    """Why out_dir does not hold exactly the current `version` ([] if it does)."""
    out, reasons = Path(out_dir), []
    expected = {path.name: path for path in source_notebooks(source_dir)}
    for name, path in expected.items():
        target = out / name
        if not target.exists():
            reasons.append(f"{target} is missing")
        elif target.read_text(encoding="utf-8") != render(
            make_version(read_source(path), version)
        ):
            reasons.append(f"{target} differs from the {version} version of {path}")
    reasons += [
        f"{p} has no source notebook"
        for p in sorted(out.glob("*.ipynb"))
        if p.name not in expected
    ]
    return reasons


# ---------------------------------------------------------------- command line


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m classroom.assign SOURCE_DIR OUT_DIR [--only VERSION] [--check]`."""
    parser = argparse.ArgumentParser(
        prog="python -m classroom.assign", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "source_dir", help="folder of source (instructor) notebooks, e.g. assignments"
    )
    parser.add_argument(
        "out_dir", help="where to write the versions, e.g. _build/assignments"
    )
    parser.add_argument(
        "--only",
        choices=sorted(VERSIONS),
        help="write only this version, straight into OUT_DIR "
        "(default: all, in subfolders)",
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if OUT_DIR is stale"
    )
    args = parser.parse_args(argv)
    if Path(args.out_dir).resolve() == Path(args.source_dir).resolve():
        print(
            "error: OUT_DIR is SOURCE_DIR; write the versions somewhere else",
            file=sys.stderr,
        )
        return 2
    versions = (
        [(args.only, Path(args.out_dir))]
        if args.only
        else [(name, Path(args.out_dir) / name) for name in VERSIONS]
    )
    try:
        return _run(args.source_dir, versions, args.check)
    except (AssignmentFormatError, FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def _run(source_dir: str, versions: list[tuple[str, Path]], check_only: bool) -> int:
    if check_only:
        reasons = [
            r for version, out in versions for r in stale(source_dir, out, version)
        ]
        for reason in reasons:
            print(reason, file=sys.stderr)
        if reasons:
            print(
                "regenerate: python -m classroom.assign "
                f"{source_dir} OUT_DIR [--only V]",
                file=sys.stderr,
            )
        return 1 if reasons else 0
    for version, out in versions:
        written = generate(source_dir, out, version)
        print(f"{version}: {len(written)} notebooks in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The two distributions: `npgrad` ships the framework only; `npgrad-course` ships the course's
helpers (figures, light setting, classroom), which npgrad never imports."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COURSE = {"bookplots", "classroom", "course"}


@pytest.fixture(scope="module")
def wheels(tmp_path_factory) -> dict[str, set[str]]:
    """The top-level packages in each wheel, built as build_lite.py builds them, from a copy of
    the checkout (setuptools leaves build/ and egg-info folders beside what it builds)."""
    work = tmp_path_factory.mktemp("wheels")
    shutil.copytree(ROOT / "lib", work / "src" / "lib",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, work / "src" / name)
    found = {}
    for project, name in ((work / "src", "npgrad"), (work / "src" / "lib", "npgrad_course")):
        # pip's build isolation takes the pinned backend (setuptools>=77) from the registry
        done = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                               "-w", str(work / "dist"), str(project)],
                              capture_output=True, text=True)
        assert done.returncode == 0, f"pip wheel {project.name} failed:\n{done.stderr[-2000:]}"
        wheel = next((work / "dist").glob(f"{name}-*.whl"))
        names = zipfile.ZipFile(wheel).namelist()
        found[name] = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    return found


def test_the_npgrad_wheel_holds_npgrad_only(wheels):
    assert wheels["npgrad"] == {"npgrad"}


def test_the_course_wheel_holds_the_course_helpers(wheels):
    assert wheels["npgrad_course"] <= COURSE and "bookplots" in wheels["npgrad_course"]
    assert "npgrad" not in wheels["npgrad_course"]


def test_npgrad_imports_none_of_the_course_packages():
    imported = set()
    for path in (ROOT / "lib" / "npgrad").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {(path.name, a.name.split(".")[0]) for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.add((path.name, node.module.split(".")[0]))
    assert not [(f, m) for f, m in imported if m in COURSE]

"""One repository URL, `repository.url` in _config.yml: keep the notebooks' Colab install cells in step.

Jupyter Book builds the launch buttons (Binder, Colab), the repository button and the issue
link from `repository.url` and `repository.branch`. The one copy it cannot reach is the hidden
first code cell of each chapter, which installs npgrad when the notebook runs on Colab:

    %pip install --quiet "npgrad @ git+https://github.com/<owner>/<name>" \
                         "npgrad-course @ git+https://github.com/<owner>/<name>#subdirectory=lib"

(npgrad, and the course's helpers from the repository's `lib/`; `@<branch>` is appended
when `repository.branch` is not `main`; the `git+...` address may also sit in a variable of
its own on the line before). This tool checks the `git+` address in every notebook that has
such a cell, and rewrites it from _config.yml with `--write`. A fork sets `repository.url`
(and `branch`), runs `python tools/site/repo_url.py --write`, and rebuilds. Only the cell's
source changes; the cell does nothing outside Colab, so no output changes.

    python tools/site/repo_url.py [--write] [notebooks ...]   (default: chapters/ and assignments/)
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
# The address pip installs npgrad from, in the Colab cell (up to the closing quote).
GIT_URL = re.compile(r'''git\+[a-z]+://[^"'\s#]+''')
COLAB_GUARD = '"google.colab" in sys.modules'


def repository(config_path: Path = ROOT / "_config.yml") -> tuple[str, str]:
    """(url, branch) from _config.yml, the URL without a trailing slash or `.git`."""
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    repo = config.get("repository") or {}
    url = str(repo.get("url", "")).rstrip("/")
    if not re.fullmatch(r"https://[\w.-]+/[\w.-]+/[\w.-]+", url):
        raise ValueError(f"{config_path}: repository.url is {url!r}; set it to the repository's "
                         "web address, e.g. https://github.com/<owner>/<name>")
    return url.removesuffix(".git"), str(repo.get("branch", "main"))


def requirement(url: str, branch: str) -> str:
    """The address pip installs npgrad from: the repository, at its branch unless that is main."""
    return f"git+{url}" + (f"@{branch}" if branch != "main" else "")


def notebooks(paths: list[Path]) -> list[Path]:
    """The notebooks to check: the paths given, or every chapter and assignment notebook."""
    if paths:
        return paths
    return sorted([*ROOT.glob("chapters/*.ipynb"), *ROOT.glob("assignments/*.ipynb"),
                   *ROOT.glob("assignments/student/*.ipynb")])


def install_cells(notebook: dict) -> list[int]:
    """Indices of the code cells that pip-install npgrad from a git address on Colab."""
    def installs(source: str) -> bool:
        return (COLAB_GUARD in source and "%pip install" in source and "npgrad" in source
                and GIT_URL.search(source) is not None)
    return [i for i, cell in enumerate(notebook["cells"])
            if cell["cell_type"] == "code" and installs("".join(cell["source"]))]


def installed_specs(notebook: dict) -> list[str]:
    """The git addresses the install cells pass to pip."""
    return [m[0] for i in install_cells(notebook)
            for m in GIT_URL.finditer("".join(notebook["cells"][i]["source"]))]


def rewrite(notebook: dict, spec: str) -> bool:
    """Point every install cell at `spec`; return whether anything changed."""
    changed = False
    for i in install_cells(notebook):
        cell = notebook["cells"][i]
        old = "".join(cell["source"])
        new = GIT_URL.sub(spec, old)
        if new != old:
            cell["source"] = new.splitlines(keepends=True) if isinstance(cell["source"], list) else new
            changed = True
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the cells that differ")
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    url, branch = repository()
    spec = requirement(url, branch)
    stale, checked = [], 0
    for path in notebooks(args.notebooks):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        found = installed_specs(notebook)
        checked += len(found)
        if any(s != spec for s in found):
            stale.append(path)
            if args.write:
                rewrite(notebook, spec)
                path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n",
                                encoding="utf-8")
    name = lambda p: p.relative_to(ROOT) if p.is_relative_to(ROOT) else p  # noqa: E731
    if stale and not args.write:
        print(f"repo_url: {len(stale)} notebooks install npgrad from elsewhere than {spec!r} "
              f"(_config.yml): {', '.join(str(name(p)) for p in stale)}; run "
              "`python tools/site/repo_url.py --write`", file=sys.stderr)
        return 1
    verb = "rewrote" if stale else "checked"
    print(f"repo_url: {checked} install cells {verb}, all install {spec!r}"
          + (f" ({len(stale)} notebooks changed)" if stale else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())

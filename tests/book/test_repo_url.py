"""tools/site/repo_url.py: every notebook's Colab install cell installs npgrad from _config.yml's repository.

The launch buttons and links on the built pages are checked against the same URL in
tests/browser/test_site_html.py (test_every_repository_link_is_built_from_the_config_url).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from tools.site import repo_url

ROOT = Path(__file__).resolve().parents[2]

CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
CELL = ['# On Google Colab, install npgrad first.\n', 'import sys\n', '\n',
        'if "google.colab" in sys.modules:\n',
        '    %pip install --quiet "npgrad @ git+https://github.com/someone/else"']


def notebook(*sources) -> dict:
    return {"cells": [{"cell_type": "code", "source": list(s), "metadata": {}, "outputs": [],
                       "execution_count": None} for s in sources]}


def test_every_notebook_install_cell_uses_the_configured_url():
    url, branch = repo_url.repository()
    expected = repo_url.requirement(url, branch)
    found = {path.name: repo_url.installed_specs(json.loads(path.read_text(encoding="utf-8")))
             for path in repo_url.notebooks([])}
    wrong = {name: specs for name, specs in found.items() if any(s != expected for s in specs)}
    assert not wrong, (f"install cells not built from _config.yml ({expected!r}): {wrong}; "
                       "run `python tools/site/repo_url.py --write`")


@pytest.mark.skipif(not CHAPTERS, reason="chapters/ holds no notebook yet")
@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_chapter_has_one_install_cell_before_its_first_import(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = repo_url.install_cells(nb)
    assert len(cells) == 1, f"{path.name}: {len(cells)} Colab install cells, expected one"
    first_code = next(i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code")
    assert cells[0] == first_code, f"{path.name}: the install cell is not the first code cell"
    assert "remove-cell" in nb["cells"][cells[0]]["metadata"].get("tags", []), \
        f"{path.name}: the install cell is not tagged remove-cell (the book would show it)"
    source = "".join(nb["cells"][cells[0]]["source"])
    assert '"npgrad-course @ ' in source and '#subdirectory=lib"' in source, \
        f"{path.name}: the install cell does not install the course's helpers (lib/)"


def test_requirement_names_the_branch_only_when_it_is_not_main():
    assert repo_url.requirement("https://github.com/a/b", "main") == "git+https://github.com/a/b"
    assert repo_url.requirement("https://github.com/a/b", "dev") == "git+https://github.com/a/b@dev"


CELL_WITH_VARIABLE = [*CELL[:4], '    url = "git+https://github.com/someone/else"\n',
                      '    %pip install --quiet "npgrad @ {url}"']


@pytest.mark.parametrize("cell", [CELL, CELL_WITH_VARIABLE], ids=["inline", "variable"])
def test_rewrite_changes_only_the_install_address(cell):
    nb = notebook(cell, ["import npgrad\n", '"npgrad @ git+https://github.com/someone/else"'])
    before = copy.deepcopy(nb)
    assert repo_url.installed_specs(nb) == ["git+https://github.com/someone/else"]
    assert repo_url.rewrite(nb, "git+https://github.com/me/fork")
    assert repo_url.installed_specs(nb) == ["git+https://github.com/me/fork"]
    assert nb["cells"][0]["source"][:4] == before["cells"][0]["source"][:4]
    assert [line.replace("someone/else", "me/fork") for line in before["cells"][0]["source"]] \
        == nb["cells"][0]["source"]
    assert nb["cells"][1] == before["cells"][1]  # not an install cell: untouched
    assert not repo_url.rewrite(nb, "git+https://github.com/me/fork")  # already right


def test_check_fails_and_write_fixes(tmp_path, capsys):
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(notebook(CELL), indent=1) + "\n", encoding="utf-8")
    assert repo_url.main([str(path)]) == 1
    assert "run `python tools/site/repo_url.py --write`" in capsys.readouterr().err
    assert repo_url.main(["--write", str(path)]) == 0
    url, branch = repo_url.repository()
    written = json.loads(path.read_text(encoding="utf-8"))
    assert repo_url.installed_specs(written) == [repo_url.requirement(url, branch)]
    assert repo_url.main([str(path)]) == 0


def test_a_bad_url_is_refused_with_the_fix(tmp_path):
    config = tmp_path / "_config.yml"
    config.write_text("repository:\n  url: github.com/me/fork\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"set it to the repository's web address"):
        repo_url.repository(config)

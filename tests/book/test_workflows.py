"""The GitHub Actions workflows: valid against the workflow schema, actions pinned, Pages as documented."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

WORKFLOWS = sorted((Path(__file__).parents[2] / ".github" / "workflows").glob("*.y*ml"))
PAGES = Path(__file__).parents[2] / ".github" / "workflows" / "pages.yml"


def load(path: Path) -> dict:
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    workflow["on"] = workflow.pop(True, workflow.get("on"))  # YAML 1.1 reads the key `on` as True
    return workflow


def steps(workflow: dict):
    for name, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            yield name, step


def test_workflows_match_the_github_workflow_schema():
    """check-jsonschema carries SchemaStore's workflow schema: no network needed."""
    checker = shutil.which("check-jsonschema", path=str(Path(__file__).parents[2] / ".venv" / "bin"))
    checker = checker or shutil.which("check-jsonschema")
    if checker is None:
        pytest.skip("check-jsonschema is not installed: `pip install -r requirements.txt`")
    result = subprocess.run([checker, "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


PINNED = re.compile(r"[\w.-]+/[\w./-]+@(v\d+\.\d+\.\d+|[0-9a-f]{40})")


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_full_version(path):
    loose = [f"{job}: {step['uses']}" for job, step in steps(load(path))
             if "uses" in step and not PINNED.fullmatch(step["uses"])]
    assert not loose, "actions not pinned to vX.Y.Z (or a commit):\n" + "\n".join(loose)


def test_pages_workflow_builds_with_make_book_and_deploys_the_built_site():
    workflow = load(PAGES)
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    runs = [step.get("run", "") for step in build["steps"]]
    uses = {step["uses"].split("@")[0]: step for _, step in steps(workflow) if "uses" in step}
    assert "make book" in runs
    assert uses["actions/upload-pages-artifact"]["with"]["path"] == "_build/html"
    assert deploy["needs"] == "build" and "actions/deploy-pages" in uses
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert "main" in workflow["on"]["push"]["branches"]

"""The assignments through nbgrader, against classroom.grade: tools/ci/check_nbgrader.sh runs it.

    python tools/ci/check_nbgrader.py WORKDIR     (in a venv with nbgrader; PYTHONPATH=lib)

In a fresh nbgrader course under WORKDIR: ``generate_assignment`` on each source notebook,
two students (``honest``: the solutions version; ``empty``: the student version the book shows)
in nbgrader's ``submitted/`` layout, ``validate`` on each of their notebooks, ``autograde``, and
``export``. Then ``classroom.grade`` grades the same ``submitted/`` folder. Exit status 0 when
every score agrees and the honest control has full marks and the empty one zero.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "lib"))

from classroom.assign import make_version, read_source, source_notebooks  # noqa: E402
from classroom.markers import points, test_cells  # noqa: E402

CONFIG = """c = get_config()
c.CourseDirectory.course_id = "npgrad"
c.CourseDirectory.root = {root!r}
c.ExecutePreprocessor.timeout = 1200  # nbgrader's 30 s is too short for assignment 4's training
"""


def nbgrader(*args: str, cwd: Path, check: bool = True) -> str:
    """Run an nbgrader command in the course; its output (it must succeed, if check)."""
    run = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, capture_output=True, text=True)
    if check and run.returncode != 0:
        sys.exit(f"nbgrader {' '.join(args)} failed:\n{run.stdout}\n{run.stderr}")
    return run.stdout + run.stderr


def main(work: Path) -> int:
    start = time.monotonic()
    course = work / "course"
    course.mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(CONFIG.format(root=str(course)), encoding="utf-8")
    sources = {path.stem: read_source(path) for path in source_notebooks(REPO / "assignments")}
    full = {name: sum(points(c) for c in test_cells(nb)) for name, nb in sources.items()}
    for student in ("honest", "empty"):
        nbgrader("db", "student", "add", student, cwd=course)
    problems = []
    for name, source in sources.items():
        nbformat.write(source, _path(course / "source" / name / f"{name}.ipynb"))
        nbgrader("generate_assignment", name, "--force", cwd=course)
        for student, version in (("honest", "solutions"), ("empty", "student")):
            path = _path(course / "submitted" / student / name / f"{name}.ipynb")
            nbformat.write(make_version(source, version), path)
            report = nbgrader("validate", str(path), cwd=course, check=False)
            passes = "Success! Your notebook passes all the tests." in report
            if passes != (student == "honest"):
                problems.append(f"validate {student}/{name}: {'passes' if passes else 'fails'}")
        nbgrader("autograde", name, "--force", cwd=course)
        seconds = time.monotonic() - start
        print(f"nbgrader: {name} generated, validated, autograded ({seconds:.0f} s)", flush=True)
    nbgrader("export", "--to", str(work / "nbgrader.csv"), cwd=course)
    with open(work / "nbgrader.csv", encoding="utf-8") as f:
        theirs = {(r["student_id"], r["assignment"]): float(r["score"]) for r in csv.DictReader(f)}
    subprocess.run([sys.executable, "-m", "classroom.grade", str(course / "submitted"), "--source",
                    str(REPO / "assignments"), "--out", str(work / "ours")], check=False)
    report = json.loads((work / "ours" / "scores.json").read_text(encoding="utf-8"))
    ours = {(s, a): e["points"] for s, entry in report["students"].items()
            for a, e in entry["assignments"].items()}
    print(f"{'student':8} {'assignment':26} {'nbgrader':>8} {'classroom':>9} {'max':>4}")
    for (student, name), score in sorted(theirs.items()):
        expected = full[name] if student == "honest" else 0.0
        mine = ours.get((student, name))
        print(f"{student:8} {name:26} {score:8g} {mine if mine is None else f'{mine:9g}'} {full[name]:4g}")
        if not score == mine == expected:
            problems.append(f"{student}/{name}: nbgrader {score:g}, classroom.grade {mine}, "
                            f"expected {expected:g}")
    if len(theirs) != 2 * len(sources):
        problems.append(f"nbgrader exported {len(theirs)} scores, not {2 * len(sources)}")
    for problem in problems:
        print(f"MISMATCH: {problem}", file=sys.stderr)
    print(f"check_nbgrader: {'failed' if problems else 'nbgrader and classroom.grade agree'} "
          f"({time.monotonic() - start:.0f} s)")
    return 1 if problems else 0


def _path(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))

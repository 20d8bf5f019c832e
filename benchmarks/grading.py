"""How fast classroom.grade grades a class: one notebook at a time against --jobs N.

A class of honest students (every one hands in the solutions of every assignment) is
graded once per --jobs value, on the same machine in one run; the reports must be the
same (timings aside), and the table gives the wall time, students a minute and the
speed-up over the first value. Run it on a quiet machine:

    python -m benchmarks.grading --students 40 --jobs 1 2
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import nbformat

from classroom import grade
from classroom.assign import make_version, read_source, source_notebooks

REPO = Path(__file__).resolve().parents[1]


def honest_class(folder: Path, students: int, sources: list[Path]) -> Path:
    """students folders, each with every assignment's solutions; the class's folder."""
    honest = [(path.name, make_version(read_source(path), "solutions")) for path in sources]
    for i in range(students):
        own = folder / f"student{i:03d}"
        own.mkdir(parents=True)
        for name, nb in honest:
            nbformat.write(nb, own / name)
    return folder


def reports(out: Path) -> str:
    """The scores and feedback, without the timings: what must not depend on --jobs."""
    report = json.loads((out / "scores.json").read_text())
    for student, entry in report["students"].items():
        for name, row in entry["assignments"].items():
            row.pop("seconds")
            full = (row["status"], row["points"]) == ("ok", row["max_points"])
            assert full, f"{student}/{name}: honest work scored {row}"
    feedback = sorted((p.name, p.read_text()) for p in (out / "feedback").glob("*.md"))
    return json.dumps([report["students"], feedback, (out / "scores.csv").read_text()])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--source", type=Path, default=REPO / "assignments")
    args = parser.parse_args(argv)
    sources = source_notebooks(args.source)
    with tempfile.TemporaryDirectory(prefix="grading-bench-") as tmp:
        submitted = honest_class(Path(tmp) / "submitted", args.students, sources)
        rows, first, seen = [], None, None
        for jobs in args.jobs:
            out = Path(tmp) / f"jobs{jobs}"
            start = time.perf_counter()
            code = grade.main([str(submitted), "--source", str(args.source),
                               "--out", str(out), "--jobs", str(jobs)])
            seconds = time.perf_counter() - start
            assert code == 0, f"--jobs {jobs}: the grader exited {code}"
            text = reports(out)
            assert seen is None or text == seen, f"--jobs {jobs}: other reports"
            seen, first = text, first or seconds
            rows.append((jobs, seconds, args.students / seconds * 60, first / seconds))
    print(f"\n{args.students} students x {len(sources)} notebooks, the same reports "
          "for every --jobs")
    print("| --jobs | wall time | students a minute | speed-up |\n|---|---|---|---|")
    for jobs, seconds, rate, speedup in rows:
        minutes, rest = divmod(round(seconds), 60)
        print(f"| {jobs} | {minutes} min {rest:02d} s | {rate:.1f} | {speedup:.2f}x |")


if __name__ == "__main__":
    main()

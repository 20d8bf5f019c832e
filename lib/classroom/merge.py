"""A class graded in shards (``--shard I/N``, an array job) and merged into one report.

A student belongs to the shard ``sha256(name) mod N``: a share that depends on the name
alone, not on which other students a shard's machine found. Each shard writes its own
``--out``; ``merge`` reads their ``scores.json`` (which keeps every test of every row),
refuses a student graded by two shards, copies their ``autograded/`` runs, and writes
``scores.csv``, ``scores.json`` and the feedback as one unsharded run would.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
from collections.abc import Sequence
from pathlib import Path

from classroom.reports import write_reports
from classroom.results import AssignmentResult, TestResult
from classroom.submissions import FoundSubmissions


def parse_shard(text: str) -> tuple[int, int]:
    """'2/8' -> (2, 8): share 2 (counted from 0) of 8."""
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: write I/N, as 0/4") from None
    if not 0 <= index < count:
        raise argparse.ArgumentTypeError(f"{text!r}: I runs from 0 to N-1")
    return index, count


def in_shard(student: str, index: int, count: int) -> bool:
    """Whether the student belongs to share `index` of `count`."""
    digest = hashlib.sha256(student.encode("utf-8", "surrogatepass")).hexdigest()
    return int(digest, 16) % count == index


def merge(
    shard_dirs: Sequence[str | Path],
    out: Path,
) -> tuple[list[AssignmentResult], FoundSubmissions]:
    """Combine the shards' reports under out; the results, and what the shards saw."""
    results, owner, run = [], {}, {"isolation": set(), "unknown": [], "layout": set()}
    for folder in map(Path, shard_dirs):
        report = _read(folder)
        for key, entry in report["students"].items():
            name = entry.get("name", key)
            if name in owner:
                raise ValueError(f"{key} is in two shards: {owner[name]} and {folder}")
            owner[name] = folder
            results += [
                _result(name, assignment, row)
                for assignment, row in entry["assignments"].items()
            ]
        _copy_runs(folder, out)
        shard_run = report.get("run", {})
        run["isolation"].add(shard_run.get("isolation", ""))
        run["layout"].add(shard_run.get("layout", ""))
        run["unknown"] += [
            u for u in shard_run.get("unknown", []) if u not in run["unknown"]
        ]
        run.setdefault("limits", shard_run.get("limits", []))
    order = {
        name: i for i, name in enumerate(dict.fromkeys(r.assignment for r in results))
    }
    results.sort(key=lambda r: (r.student, order[r.assignment]))
    kind = "/".join(sorted(k for k in run["layout"] if k)) or "empty"
    summary = {
        **run,
        "isolation": "/".join(sorted(i for i in run["isolation"] if i)),
        "layout": kind,
        "merged": [str(f) for f in shard_dirs],
    }
    write_reports(results, out, summary)
    found = FoundSubmissions(
        {(r.student, r.assignment): None for r in results}, kind, run["unknown"]
    )
    return results, found


def _read(folder: Path) -> dict:
    path = folder / "scores.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ValueError(f"{path}: not a shard's report ({error})") from None


def _result(name: str, assignment: str, row: dict) -> AssignmentResult:
    tests = [TestResult(**t) for t in row["tests"]]
    return AssignmentResult(
        name,
        assignment,
        row["status"],
        tests,
        row["notes"],
        row["seconds"],
        row["isolation"],
        row["file"],
    )


def _copy_runs(folder: Path, out: Path) -> None:
    runs = folder / "autograded"
    if runs.is_dir() and runs.resolve() != (out / "autograded").resolve():
        for student in runs.iterdir():
            shutil.copytree(
                student, out / "autograded" / student.name, dirs_exist_ok=True
            )

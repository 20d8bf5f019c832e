"""The reports: ``scores.csv``, ``scores.json``, ``feedback/<student>.md``, atomic."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from classroom.results import AssignmentResult
from npgrad.utils import atomic_write

SAFE_NAME = re.compile(r"[\w@-][\w.@-]{0,99}")


def slug(name: str) -> str:
    """A student's name as a file name, never another student's.

    A name that is already a safe file name (letters, digits, ``_.@-``, NFC, not ending
    in a dot) is kept; any other is made safe and given ``~`` and a hash of the name, so
    that it can match neither a safe name (which holds no ``~``) nor another name.
    """
    if SAFE_NAME.fullmatch(name) and not name.endswith(".") and _nfc(name):
        return name
    readable = re.sub(r"[^\w.@-]+", "_", printable(name)).strip("._")[:60] or "_"
    raw = name.encode("utf-8", "surrogatepass")
    return f"{readable}~{hashlib.sha256(raw).hexdigest()[:16]}"


def _nfc(name: str) -> bool:
    return unicodedata.is_normalized("NFC", name)


def printable(name: str) -> str:
    """A file system name as valid text: undecodable bytes and surrogates shown."""
    try:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return name.encode("utf-8", "backslashreplace").decode("utf-8")


def report_key(name: str) -> str:
    """The student's key in scores.json: the name, or its printable form and slug."""
    shown = printable(name)
    return shown if shown == name else f"{shown} ({slug(name)})"


def write_reports(
    results: Sequence[AssignmentResult], out_dir: str | Path, run: dict | None = None
) -> None:
    """scores.csv, scores.json and feedback/<student>.md under out_dir, atomically."""
    out = Path(out_dir)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["student", "assignment", "status", "points", "max_points"])
    for r in results:
        writer.writerow(
            [
                printable(r.student),
                r.assignment,
                r.status,
                f"{r.points:g}",
                f"{r.max_points:g}",
            ]
        )
    write_atomic(out / "scores.csv", buffer.getvalue())
    report = {"run": run or {}, "students": scores_json(results)}
    write_atomic(out / "scores.json", json.dumps(report, indent=1) + "\n")
    for student in dict.fromkeys(r.student for r in results):
        mine = [r for r in results if r.student == student]
        write_atomic(out / "feedback" / f"{slug(student)}.md", feedback(mine))


def scores_json(results: Sequence[AssignmentResult]) -> dict:
    """{student: {points, max_points, assignments: {name: {status, ..., tests}}}}."""
    report: dict[str, dict] = {}
    for r in results:
        entry = report.setdefault(
            report_key(r.student),
            {
                "name": r.student,
                "points": 0.0,
                "max_points": 0.0,
                "feedback": f"{slug(r.student)}.md",
                "assignments": {},
            },
        )
        entry["points"] += r.points
        entry["max_points"] += r.max_points
        entry["assignments"][r.assignment] = {
            "status": r.status,
            "points": r.points,
            "max_points": r.max_points,
            "file": printable(r.file),
            "seconds": r.seconds,
            "isolation": r.isolation,
            "notes": r.notes,
            "tests": [asdict(t) for t in r.tests],
        }
    return report


def feedback(results: Sequence[AssignmentResult]) -> str:
    """A short Markdown report for one student: scores, and why a test failed."""
    total, full = sum(r.points for r in results), sum(r.max_points for r in results)
    lines = [
        f"# Feedback for {printable(results[0].student)}",
        "",
        f"Total: {total:g} / {full:g}",
        "",
    ]
    for r in results:
        lines += [f"## {r.assignment}: {r.points:g} / {r.max_points:g}", ""]
        if r.status != "ok":
            lines += [f"Status: {r.status}.", ""]
        for t in r.tests:
            verdict = "passed" if t.passed else f"failed: {t.message}"
            lines.append(f"- {t.test} ({t.points:g} / {t.max_points:g}): {verdict}")
        lines += (
            [""] + [f"Note: {note}" for note in r.notes] + ([""] if r.notes else [])
        )
    return "\n".join(lines).rstrip() + "\n"


def write_atomic(path: Path, text: str) -> None:
    """Write text to path whole or not at all, private to the instructor (0o600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text_args = {"encoding": "utf-8", "errors": "backslashreplace", "newline": ""}
    with atomic_write(path, "w", 0o600, **text_args) as f:
        f.write(text)

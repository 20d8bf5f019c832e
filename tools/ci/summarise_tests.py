"""The last lines of `make test`: what each suite ran, what it skipped, why, and the fix.

    python -m tools.ci.summarise_tests RESULTS_DIR --make-status N [--seconds S]

Each suite leaves a JUnit report in RESULTS_DIR (pytest's --junitxml); the nbgrader check
leaves its exit status. Skips are grouped by what they lack (PyTorch, Chromium, bubblewrap,
...), each with the command that supplies it. The exit status is non-zero when a suite failed
or did not run, and, where the environment says it is CI (CI=true), when anything was skipped:
CI must run every test.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

SUITES = {  # report file -> what it covers
    "library": "library tests (tests/npgrad, tests/classroom, tests/book)",
    "nbval": "chapters re-run under nbval",
    "nbval-long": "the longest chapter re-run under nbval (beside the rest)",
    "site": "the built site in Chromium (tests/browser)",
    "lite": "the chapters in JupyterLite (tests/browser/test_lite.py, test_lite_start.py)",
    "classroom-user": "the grader's attack tests as an ordinary user (run as root)",
}
# Suites that run only where they can: as root, the grader's attacks run again as a user.
OPTIONAL = {"classroom-user"}
# What a skip's reason names -> (the group, the command that fixes it).
FIXES = [
    (r"PyTorch|torch is not installed", "PyTorch is not installed (the parity tests' reference)",
     "make dev   (README: how to point pip at PyTorch's CPU wheels)"),
    (r"Chromium|chromium", "Chromium is missing (the browser tests)",
     "sudo apt-get install chromium   (or set NPGRAD_CHROMIUM)"),
    (r"bubblewrap|bwrap", "bubblewrap cannot run (the grader's sandbox tests)",
     "sudo apt-get install bubblewrap"),
    (r"Playwright", "Playwright is not installed", "make venv"),
    (r"axe-core", "axe-core is not installed (the accessibility checks)",
     "npm ci --no-audit --no-fund --ignore-scripts"),
    (r"no built site|make book", "the site is not built", "make book"),
    (r"MNIST|npgrad\.datasets fetch|make data|dataset", "a dataset is missing", "make data"),
    # What no install supplies on this machine: listed, and not a failure in CI.
    (r"x86-64-v3 pin", "the numeric pin cannot hold on this CPU (outputs compared tolerantly)",
     None),
    (r"cgroup", "no cgroup can be written here (v2 delegated to the grader, or v1 as "
     "root); the per-notebook limits are tested on stand-in folders", None),
    (r"Slurm cluster needs root", "a Slurm cluster needs root (it ran in the root run)", None),
]
ELSEWHERE = "ran in another suite (as root or as an ordinary user)"


@dataclass
class Suite:
    name: str
    counts: Counter = field(default_factory=Counter)
    skips: list[tuple[str, str]] = field(default_factory=list)  # (test id, reason)
    passed: set[str] = field(default_factory=set)
    ran: bool = True


def read_suite(path: Path, name: str) -> Suite:
    """Count passed, failed and skipped test cases in one JUnit report."""
    suite = Suite(name)
    if not path.exists():
        suite.ran = False
        return suite
    for case in ET.parse(path).getroot().iter("testcase"):
        outcome = next((c for c in case if c.tag in ("failure", "error", "skipped")), None)
        test = f"{case.get('classname')}::{case.get('name')}"
        if outcome is None:
            suite.counts["passed"] += 1
            suite.passed.add(test)
        elif outcome.tag == "skipped":
            suite.counts["skipped"] += 1
            suite.skips.append((test, skip_reason(outcome)))
        else:
            suite.counts["failed"] += 1
    return suite


def skip_reason(skipped: ET.Element) -> str:
    """A skip's reason: pytest's message, or for a module skipped whole at collection (its
    message is only "collection skipped") the text, "path:line: reason"."""
    message = skipped.get("message") or ""
    if message in ("", "collection skipped") and skipped.text:
        return skipped.text.strip().split(": ", 1)[-1]
    return message or "no reason given"


def group(reason: str) -> tuple[str, str | None]:
    """(what is missing, the command that fixes it, None where nothing here can) for one
    skip reason."""
    reason = re.sub(r"^Skipped: ", "", reason.strip())
    for pattern, what, fix in FIXES:
        if re.search(pattern, reason):
            return what, fix
    return reason, "(no known fix: read the test)"


def nbgrader_line(results: Path) -> tuple[str, bool]:
    status = results / "nbgrader.status"
    if not status.exists():
        return "nbgrader check: did not run", False
    ok = status.read_text().strip() == "0"
    return f"nbgrader check: {'passed' if ok else 'FAILED'}", ok


def summarise(results: Path, make_status: int, seconds: int | None, ci: bool) -> int:
    suites = [read_suite(results / f"{name}.xml", name) for name in SUITES]
    suites = [s for s in suites if s.ran or s.name not in OPTIONAL]
    total = Counter()
    print("\n== make test: what ran ==")
    for suite in suites:
        total.update(suite.counts)
        c = suite.counts
        line = (f"{c['passed']} passed, {c['failed']} failed, {c['skipped']} skipped"
                if suite.ran else "DID NOT RUN (an earlier step failed: see above)")
        print(f"  {SUITES[suite.name]:<60} {line}")
    nbgrader, nbgrader_ok = nbgrader_line(results)
    print(f"  {nbgrader}")
    passed = set().union(*(s.passed for s in suites))
    groups = Counter((ELSEWHERE, "") if test in passed else group(reason)
                     for suite in suites for test, reason in suite.skips)
    if groups:
        print("Skipped, and how to run them:")
        for (what, fix), n in groups.most_common():
            how = fix or "nothing on this machine (not a failure in CI)"
            print(f"  {n:5d} skipped: {what}" + (f"\n        fix: {how}" if fix != "" else ""))
    fixable = sum(n for (what, fix), n in groups.items() if fix)
    problems = []
    if make_status != 0 or total["failed"] or not all(s.ran for s in suites) or not nbgrader_ok:
        problems.append("a suite failed or did not run")
    if ci and fixable:
        problems.append(f"CI=true and {fixable} tests were skipped for want of something "
                        "an install supplies: CI runs every test")
    took = f" in {seconds // 60} min {seconds % 60:02d} s" if seconds is not None else ""
    verdict = "FAILED (" + "; ".join(problems) + ")" if problems else "passed"
    print(f"make test {verdict}{took}")
    print(f"summary: {total['passed']} passed, {total['failed']} failed, "
          f"{total['skipped']} skipped")
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("--make-status", type=int, default=0)
    parser.add_argument("--seconds", type=int)
    args = parser.parse_args(argv)
    ci = os.environ.get("CI", "").lower() in ("true", "1", "yes")
    return summarise(args.results, args.make_status, args.seconds, ci)


if __name__ == "__main__":
    sys.exit(main())

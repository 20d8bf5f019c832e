"""What grading produces: a result per test cell, one per student and assignment."""

from __future__ import annotations

from dataclasses import dataclass, field

# The statuses that need the instructor's look (the exit status is then 1).
NEEDS_A_LOOK = ("unreadable", "refused", "timed out", "crashed")


@dataclass
class TestResult:
    """One test cell: its points if its hidden tests passed, else 0 and why."""

    test: str
    points: float
    max_points: float
    passed: bool
    message: str = ""


@dataclass
class AssignmentResult:
    """One student's one assignment."""

    student: str
    assignment: str
    status: str  # ok, missing, unreadable, refused, timed out, crashed
    tests: list[TestResult]
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    isolation: str = ""
    file: str = ""
    limits: list[str] = field(default_factory=list)  # in force while it ran

    @property
    def points(self) -> float:
        return sum(t.points for t in self.tests)

    @property
    def max_points(self) -> float:
        return sum(t.max_points for t in self.tests)

"""Errors that map onto the command line's exit codes.

Exit code 2 means the operator has to change something (a flag, a key, a path); exit code 1
means the data has problems, all of which are listed at once.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Problem", "ProblemsFound", "UsageError"]


class UsageError(Exception):
    """A usage or environment error: one line saying what is wrong and how to fix it (exit 2)."""

    exit_code = 2


@dataclass(frozen=True)
class Problem:
    """One problem in the data, located as precisely as the source allows.

    >>> str(Problem("dump.json", 12, "sessionId", "expected a string, found 42"))
    'dump.json:12: sessionId: expected a string, found 42'
    """

    file: str
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class ProblemsFound(Exception):
    """The data has problems (exit 1). Carries every problem, not only the first."""

    exit_code = 1

    def __init__(self, problems: list[Problem], summary: str = "") -> None:
        self.problems = problems
        self.summary = summary or f"{len(problems)} problem(s) found"
        super().__init__(self.summary)

    def report(self) -> str:
        return "\n".join([self.summary, *(f"  {problem}" for problem in self.problems)])

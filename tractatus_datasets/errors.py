"""Errors that map onto the command line's exit codes.

Exit code 2 means the operator has to change something (a flag, a key, a path); exit code 1
means the data has problems, all of which are listed at once.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass

__all__ = ["Problem", "ProblemsFound", "UsageError", "out_of_space"]

# The disk is full, the user's quota is spent, or a file-size limit was hit: in each case the
# operator has to make room or write elsewhere.
_NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


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


def out_of_space(error: BaseException) -> OSError | None:
    """The out-of-space `OSError` behind `error` (itself, or what caused it), if there is one.

    >>> out_of_space(RuntimeError("load failed")) is None
    True
    >>> try:
    ...     try:
    ...         raise OSError(errno.ENOSPC, "No space left on device")
    ...     except OSError as full:
    ...         raise RuntimeError("load failed") from full
    ... except RuntimeError as wrapped:
    ...     out_of_space(wrapped).strerror
    'No space left on device'
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in _NO_SPACE:
            return current
        current = current.__cause__ or current.__context__
    return None

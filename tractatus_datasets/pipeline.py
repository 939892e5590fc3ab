"""What every pipeline stage shares: counters by reason, the quarantine of bad records, and the
scratch files that carry rows from one stage to the next.

Nothing disappears silently. A stage that drops a record says why in a `Rejected`; the
`Quarantine` writes it (with its raw text, which may hold personal data) to a file *beside* the
release folder, never inside it, or stops the run when the operator asked for `fail`.

>>> tally = Tally()
>>> tally.add("service_derived_from_action")
>>> tally.add("service_derived_from_action", 2)
>>> tally.as_dict()
{'service_derived_from_action': 3}
>>> more = Tally()
>>> more.add("unknown_action")
>>> tally.merge(more)
>>> tally.as_dict()
{'service_derived_from_action': 3, 'unknown_action': 1}
>>> tally.subtract(more)  # a name counted down to zero is gone, not shown as 0
>>> tally.as_dict(), tally["unknown_action"]
({'service_derived_from_action': 3}, 0)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import IO

import pyarrow as pa
import pyarrow.parquet as pq

from tractatus_datasets.errors import Problem, ProblemsFound

__all__ = ["BadRecordPolicy", "Quarantine", "Rejected", "Tally", "write_scratch"]


class BadRecordPolicy(StrEnum):
    QUARANTINE = "quarantine"
    FAIL = "fail"


class Tally:
    """Named counters with a stable, sorted dictionary form for the manifest. A plain dict inside:
    every record makes two, and a `Counter` costs about fifteen times as much to make."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}

    def add(self, name: str, amount: int = 1) -> None:
        if amount:
            self._counts[name] = self._counts.get(name, 0) + amount

    def merge(self, other: Tally) -> None:
        counts = self._counts
        for name, amount in other._counts.items():
            counts[name] = counts.get(name, 0) + amount

    def subtract(self, other: Tally) -> None:
        """Take back counts added before (a record that turned out to be a duplicate)."""
        counts = self._counts
        for name, amount in other._counts.items():
            counts[name] = counts.get(name, 0) - amount
        self._counts = {name: count for name, count in counts.items() if count > 0}

    def __getitem__(self, name: str) -> int:
        return self._counts.get(name, 0)

    def total(self) -> int:
        return sum(self._counts.values())

    def items(self) -> tuple[tuple[str, int], ...]:
        """The counts as (name, count) pairs sorted by name: hashable, so their text can be kept."""
        return tuple(sorted(self._counts.items()))

    def as_dict(self) -> dict[str, int]:
        return dict(self.items())


@dataclass(frozen=True)
class Rejected:
    """Why one source record cannot be exported. `reason` is a stable code; `detail` is for humans."""

    origin: str
    line: int
    reason: str
    detail: str
    field: str | None = None

    def problem(self) -> Problem:
        return Problem(self.origin, self.line, self.field, f"{self.detail} [{self.reason}]")


class Quarantine:
    """Collects rejected records in `path` (JSON lines) or fails at the first one."""

    def __init__(self, path: Path, policy: BadRecordPolicy) -> None:
        self.path = path
        self.policy = policy
        self.by_reason = Tally()
        self._stream: IO[str] | None = None

    def put(self, rejected: Rejected, raw: str) -> None:
        self.by_reason.add(rejected.reason)
        if self.policy is BadRecordPolicy.FAIL:
            raise ProblemsFound(
                [rejected.problem()], "stopped at the first bad record (--on-bad-record fail)"
            )
        if self._stream is None:
            self._stream = self.path.open("w", encoding="utf-8")
        entry = {
            "source": rejected.origin,
            "line": rejected.line,
            "reason": rejected.reason,
            "field": rejected.field,
            "detail": rejected.detail,
            "raw": raw,
        }
        self._stream.write(json.dumps(entry, ensure_ascii=False) + "\n")

    @property
    def count(self) -> int:
        return self.by_reason.total()

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None


def write_scratch(table: pa.Table, path: Path) -> None:
    """Keep rows between stages in the work folder: Parquet with fast LZ4 compression. Never
    published; the release's shards are written by `build` alone."""
    pq.write_table(table, path, compression="lz4")

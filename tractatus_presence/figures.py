"""The figures the presence's pages show, read from the releases being published: never typed in.

The audit figures are counted over the `full` config's shards (every decision, not the k-suppressed
aggregates), with ClassLabel numbers named by the features the shards carry.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tractatus_spaces.release import features, label_names, shards

__all__ = ["AuditFigures", "EvolutionFigures", "audit_figures", "evolution_figures"]


def _named(table: pa.Table, column: str, names: list[str]) -> list[str | None]:
    return [None if value is None else names[value] for value in table[column].to_pylist()]


@dataclass(frozen=True)
class AuditFigures:
    decisions: int
    sessions: int
    first_day: dt.date
    last_day: dt.date
    by_decision: dict[str, int]  # every decision label, in label order
    by_service: dict[str, int]  # services that decided at least once, in label order
    by_pressure: dict[str, int]  # every pressure level, in label order
    by_boundary: dict[str, tuple[int, int, int]]  # label → (decisions, blocked, sent to a human)

    def share(self, count: int) -> str:
        return f"{100 * count / self.decisions:.1f}%" if self.decisions else "–"


def audit_figures(folder: Path) -> AuditFigures:
    """Counts over every decision of the audit release at `folder`."""
    parts = shards(folder, "full")
    columns = ["timestamp", "session", "service", "decision", "boundary", "context_pressure"]
    table = pq.read_table(parts, columns=columns) if parts else None
    if table is None or table.num_rows == 0:
        raise ValueError(f"{folder} holds no decision: there is nothing to show")
    schema = features(parts[0])
    names = {column: label_names(schema[column]) for column in ("service", "decision", "context_pressure")}
    decisions = _named(table, "decision", names["decision"])
    services = Counter(_named(table, "service", names["service"]))
    pressure = Counter(_named(table, "context_pressure", names["context_pressure"]))
    boundaries: dict[str, list[int]] = {}
    for boundary, decision in zip(table["boundary"].to_pylist(), decisions, strict=True):
        if boundary is not None:
            counts = boundaries.setdefault(boundary, [0, 0, 0])
            counts[0] += 1
            counts[1] += decision == "block"
            counts[2] += decision == "ask"
    first, last = pc.min_max(table["timestamp"]).values()
    decided = Counter(decisions)
    return AuditFigures(
        decisions=table.num_rows,
        sessions=pc.count_distinct(table["session"]).as_py(),
        first_day=first.as_py().date(),
        last_day=last.as_py().date(),
        by_decision={name: decided[name] for name in names["decision"]},
        by_service={name: services[name] for name in names["service"] if services[name]},
        by_pressure={name: pressure[name] for name in names["context_pressure"]},
        by_boundary={label: (c[0], c[1], c[2]) for label, c in sorted(boundaries.items())},
    )


@dataclass(frozen=True)
class EvolutionFigures:
    events: int
    incidents: int
    first_day: dt.date
    last_day: dt.date


def evolution_figures(folder: Path) -> EvolutionFigures:
    """Counts over the events and incidents of the Evolution Log release at `folder`."""
    parts = shards(folder, "full")
    table = pq.read_table(parts, columns=["date"]) if parts else None
    if table is None or table.num_rows == 0:
        raise ValueError(f"{folder} holds no event: there is nothing to show")
    first, last = pc.min_max(table["date"]).values()
    incidents = shards(folder, "incidents")
    return EvolutionFigures(
        events=table.num_rows,
        incidents=sum(pq.ParquetFile(part).metadata.num_rows for part in incidents),
        first_day=first.as_py(),
        last_day=last.as_py(),
    )

"""Derived columns and configs: session context, coordination, `aggregated` and `incidents`.

Within a session, rows are taken in exact source time (kept internally, never written):

* `context_pressure`: a row without its own level takes the latest pressure analysis
  (ContextPressureMonitor row) of the same session recorded no later than the row's time plus
  the coordination window, since the framework's hook runs the monitor on the same trigger;
* `coordination`: the other services that decided in the same session within ± the window.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from tractatus_audit_corpus.models import AggregatedRow, FullRow, IncidentRow
from tractatus_audit_corpus.vocab import (
    Decision,
    IncidentReason,
    Outcome,
    PressureLevel,
    Service,
    label_order,
)
from tractatus_datasets.links import IncidentWindow, link_incident
from tractatus_datasets.pipeline import Tally

__all__ = [
    "DEFAULT_WINDOW",
    "aggregate",
    "derive_session_context",
    "incident_reasons",
    "incidents",
    "sort_key",
]

DEFAULT_WINDOW = dt.timedelta(seconds=2)
_HIGH_PRESSURE = frozenset({PressureLevel.HIGH, PressureLevel.CRITICAL, PressureLevel.DANGEROUS})


def sort_key(row: FullRow) -> tuple[dt.datetime, str, dt.datetime, str]:
    """Release order: coarse time, then session, then true order within the session."""
    return row.timestamp, row.session or "", row._exact_time, row.decision_id


def _exact(row: FullRow) -> tuple[dt.datetime, str]:
    return row._exact_time, row.decision_id


def _inherit_pressure(rows: list[FullRow], window: dt.timedelta, tally: Tally) -> None:
    analyses = [
        r
        for r in rows
        if r.service is Service.CONTEXT_PRESSURE_MONITOR and r.context_pressure is not PressureLevel.UNKNOWN
    ]
    times = [r._exact_time for r in analyses]
    for row in rows:
        if row.context_pressure is not PressureLevel.UNKNOWN or not analyses:
            continue
        position = bisect.bisect_right(times, row._exact_time + window) - 1
        if position >= 0:
            source = analyses[position]
            row.context_pressure, row.pressure_score = source.context_pressure, source.pressure_score
            tally.add("pressure_inherited_from_session")


def _coordinate(rows: list[FullRow], window: dt.timedelta, tally: Tally) -> None:
    low = 0
    for index, row in enumerate(rows):
        while rows[low]._exact_time < row._exact_time - window:
            low += 1
        others: set[Service] = set()
        high = low
        while high < len(rows) and rows[high]._exact_time <= row._exact_time + window:
            if high != index and rows[high].service is not row.service:
                others.add(rows[high].service)
            high += 1
        row.coordination = sorted(others, key=label_order)
        tally.add("coordinated", bool(others))


def derive_session_context(rows: Iterable[FullRow], window: dt.timedelta, tally: Tally) -> None:
    """Fill `context_pressure`, `pressure_score` and `coordination` in place, session by session."""
    sessions: dict[str, list[FullRow]] = defaultdict(list)
    for row in rows:
        if row.session is not None:
            sessions[row.session].append(row)
    for session_rows in sessions.values():
        session_rows.sort(key=_exact)
        _inherit_pressure(session_rows, window, tally)
        _coordinate(session_rows, window, tally)


def incident_reasons(row: FullRow) -> list[IncidentReason]:
    reasons = []
    if row.outcome is Outcome.BLOCKED:
        reasons.append(IncidentReason.BLOCKED)
    if row.decision is Decision.WARN:
        reasons.append(IncidentReason.WARNED)
    if row.outcome is Outcome.HUMAN_APPROVAL_REQUIRED:
        reasons.append(IncidentReason.HUMAN_APPROVAL)
    if row.context_pressure in _HIGH_PRESSURE:
        reasons.append(IncidentReason.HIGH_PRESSURE)
    return reasons


def incidents(rows: Iterable[FullRow], windows: Sequence[IncidentWindow] = ()) -> list[IncidentRow]:
    """The incident rows, in the order given, each linked to the evolution-log incident it belongs
    to among `windows` (see `tractatus_datasets.links`)."""
    picked = []
    for row in rows:
        reasons = incident_reasons(row)
        if reasons:
            incident_id = link_incident(windows, row.timestamp, row.violated_rules)
            picked.append(
                IncidentRow.model_construct(**dict(row), incident_reasons=reasons, incident_id=incident_id)
            )
    return picked


class _Cell(NamedTuple):
    day: dt.date
    service: Service
    decision: Decision
    outcome: Outcome
    context_pressure: PressureLevel
    boundary: str | None

    def order(self) -> tuple[dt.date, int, int, int, int, str]:
        """Label order (the ClassLabel integers), not alphabetical order."""
        return (
            self.day,
            label_order(self.service),
            label_order(self.decision),
            label_order(self.outcome),
            label_order(self.context_pressure),
            self.boundary or "",
        )


def aggregate(rows: Iterable[FullRow], k: int) -> tuple[list[AggregatedRow], dict[str, int]]:
    """Count decisions per cell. Cells with fewer than `k` decisions keep their row but have their
    counts masked (null): the table never loses its shape, and the masking is counted."""
    counts: dict[_Cell, int] = defaultdict(int)
    sessions: dict[_Cell, set[str]] = defaultdict(set)
    for row in rows:
        cell = _Cell(
            row.timestamp.date(), row.service, row.decision, row.outcome, row.context_pressure, row.boundary
        )
        counts[cell] += 1
        if row.session is not None:
            sessions[cell].add(row.session)
    cells, suppressed = [], {"aggregated_cells": 0, "aggregated_decisions": 0}
    for cell in sorted(counts, key=_Cell.order):
        small = counts[cell] < k
        if small:
            suppressed["aggregated_cells"] += 1
            suppressed["aggregated_decisions"] += counts[cell]
        cells.append(
            AggregatedRow(
                **cell._asdict(),
                count=None if small else counts[cell],
                sessions=None if small else len(sessions[cell]),
            )
        )
    return cells, suppressed

"""From checked events to the rows of the three configs, and the incidents' link windows.

>>> import datetime as dt
>>> start, end = period(dt.date(2024, 7, 1), DatePrecision.QUARTER, None)
>>> start.isoformat(), end.isoformat()
('2024-06-30T12:00:00+00:00', '2024-09-30T11:00:00+00:00')
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from tractatus_datasets.features import label_order
from tractatus_datasets.links import IncidentWindow
from tractatus_evolution_log.events import Event
from tractatus_evolution_log.models import AggregatedRow, FullRow, IncidentRow
from tractatus_evolution_log.vocab import SOURCE_TIMEZONE, DatePrecision, EventKind

__all__ = ["aggregated_rows", "full_rows", "incident_rows", "incident_windows", "period"]


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _midnight_utc(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), SOURCE_TIMEZONE).astimezone(dt.UTC)


def period(
    date: dt.date, precision: DatePrecision, end_date: dt.date | None
) -> tuple[dt.datetime, dt.datetime]:
    """The UTC half-open period the dates cover: whole New Zealand days, months or quarters."""
    if precision is DatePrecision.MONTH:
        after = _add_months(date, 1)
    elif precision is DatePrecision.QUARTER:
        after = _add_months(date, 3)
    else:
        after = (end_date or date) + dt.timedelta(days=1)
    return _midnight_utc(date), _midnight_utc(after)


def _incidents(events: Sequence[Event]) -> list[Event]:
    return [e for e in events if e.meta.kind is EventKind.INCIDENT]


def incident_windows(events: Sequence[Event]) -> tuple[IncidentWindow, ...]:
    """What the shared link rule needs of each incident: its period and its rule ids."""
    windows = []
    for event in _incidents(events):
        start, end = period(event.meta.date, event.meta.date_precision, event.meta.end_date)
        windows.append(IncidentWindow(event.meta.id, start, end, frozenset(event.meta.instructions)))
    return tuple(windows)


def full_rows(events: Sequence[Event]) -> list[FullRow]:
    return [FullRow(**dict(event.meta), body=event.body) for event in events]


def incident_rows(events: Sequence[Event], linked: Mapping[str, int] | None) -> list[IncidentRow]:
    """One row per incident; `linked` counts audit decisions per incident id (None: no audit release)."""
    rows = []
    for event in _incidents(events):
        meta = event.meta
        assert meta.severity and meta.root_cause and meta.response  # checked by read_events
        start, end = period(meta.date, meta.date_precision, meta.end_date)
        rows.append(
            IncidentRow(
                incident_id=meta.id,
                date=meta.date,
                date_precision=meta.date_precision,
                end_date=meta.end_date,
                title=meta.title,
                severity=meta.severity,
                root_cause=meta.root_cause,
                response=meta.response,
                services=meta.services,
                instructions=meta.instructions,
                window_start=start,
                window_end=end,
                linked_decisions=None if linked is None else linked.get(meta.id, 0),
                references=meta.references,
                disagreements=meta.disagreements,
                body=event.body,
            )
        )
    return rows


def _latest(events: Sequence[Event], field: str, by: dt.date) -> int | None:
    """The last count the sources give on or before `by` (events are in date order)."""
    known = [
        getattr(e.meta, field) for e in events if e.meta.date <= by and getattr(e.meta, field) is not None
    ]
    return known[-1] if known else None


def aggregated_rows(events: Sequence[Event]) -> list[AggregatedRow]:
    """One row per (month, kind) that has events, in month then label order."""
    cells: dict[tuple[dt.date, EventKind], list[Event]] = {}
    for event in events:
        cells.setdefault((_month_start(event.meta.date), event.meta.kind), []).append(event)
    rows = []
    for month, kind in sorted(cells, key=lambda cell: (cell[0], label_order(cell[1]))):
        members = cells[(month, kind)]
        month_end = _add_months(month, 1) - dt.timedelta(days=1)
        rows.append(
            AggregatedRow(
                month=month,
                kind=kind,
                events=len(members),
                approximate=sum(e.meta.date_precision is not DatePrecision.DAY for e in members),
                active_rules=_latest(events, "active_rules", month_end),
                active_services=_latest(events, "active_services", month_end),
            )
        )
    return rows

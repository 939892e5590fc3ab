"""The Audit Decision Corpus' `full` config, queried in place, as the Audit Log Viewer asks it: the
decisions that match a set of filters (how many, the newest page, counts per period) and one
decision's detail with the services that coordinated on it and the incident it is part of.

Every question is a DuckDB query over the release's Parquet shards, its values bound as parameters;
only the rows on screen become Python objects. The Space's `app.py` lays the answers out as a page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from tractatus_spaces import release as shared
from tractatus_spaces.release import FilterError, ReleaseError

__all__ = [
    "DECISION_COLUMNS",
    "NO_BOUNDARY",
    "PAGE_ROWS",
    "PERIODS",
    "TABLE_COLUMNS",
    "Answer",
    "Detail",
    "Filters",
    "Release",
]

PAGE_ROWS = 100
NO_BOUNDARY = "(none)"
PERIODS = ("day", "week")
FILTERED_LABELS = {  # filter name → column; the values are the column's ClassLabel names
    "service": "service",
    "decision": "decision",
    "outcome": "outcome",
    "pressure": "context_pressure",
}
DECISION_COLUMNS = ["decision_id", "timestamp (UTC)", "service", "decision", "outcome", "context_pressure"]
TABLE_COLUMNS = [*DECISION_COLUMNS, "boundary", "coordination", "incident"]
_GRANULARITY_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}  # the manifest's time_granularity


@dataclass(frozen=True)
class Filters:
    service: Sequence[str] = ()
    decision: Sequence[str] = ()
    outcome: Sequence[str] = ()
    pressure: Sequence[str] = ()
    boundary: Sequence[str] = ()
    start: str = ""  # YYYY-MM-DD, inclusive, UTC
    end: str = ""  # YYYY-MM-DD, inclusive, UTC
    search: str = ""  # a decision or session id (or its start), a verdict, or a rule id


@dataclass(frozen=True)
class Answer:
    """The matches of a set of filters: how many, the newest page, and counts per period."""

    count: int
    page: list[list[Any]]  # TABLE_COLUMNS, labels for codes
    by_decision: list[tuple[dt.date, str, int]]  # (first day of the period, decision, decisions)
    by_pressure: list[tuple[dt.date, str, int]]  # the same by context pressure level


@dataclass(frozen=True)
class Detail:
    fields: dict[str, Any]
    coordinating: list[list[Any]]  # decisions of the coordinating services near this one
    incident: dict[str, Any] | None  # the incidents row (reasons, linked event); None if not there
    event: dict[str, Any] | None = None  # the evolution-log event the incident links to


@dataclass
class Release:
    """One release folder, queried in place: views over its shards in an in-memory DuckDB."""

    folder: Path
    events_folder: Path | None = None
    source: str = ""  # where the release came from, as the page names it: `org/name@v1.0.0 (commit 1a2b3c4)`
    labels: dict[str, list[str]] = field(init=False)  # column → its ClassLabel names
    event_labels: dict[str, list[str]] = field(init=False)  # the same for the linked events
    manifest: dict[str, Any] = field(init=False)
    boundaries: list[str] = field(init=False)  # the filter's choices: NO_BOUNDARY, then those seen
    total: int = field(init=False)
    con: duckdb.DuckDBPyConnection = field(init=False, repr=False)

    def __post_init__(self) -> None:
        full = shared.shards(self.folder, "full")
        if not full:
            raise ReleaseError(f"{self.folder} holds no data/full/*.parquet: is it an audit release?")
        incidents = shared.shards(self.folder, "incidents")
        features = shared.features(full[0]) | (shared.features(incidents[0]) if incidents else {})
        self.labels = {
            name: names for name, feature in features.items() if (names := shared.label_names(feature))
        }
        self.manifest = shared.Opened(self.folder).manifest
        # No extension is fetched from the network; parquet and icu are built in.
        self.con = shared.connect()
        self.con.execute(f"CREATE VIEW decisions AS SELECT * FROM read_parquet({shared.sql_paths(full)})")
        select = (
            f"SELECT decision_id, incident_reasons, incident_id FROM read_parquet({shared.sql_paths(incidents)})"
            if incidents
            else "SELECT NULL::VARCHAR decision_id, []::BIGINT[] incident_reasons, NULL::VARCHAR incident_id LIMIT 0"
        )
        self.con.execute(f"CREATE VIEW incidents AS {select}")
        events = shared.shards(self.events_folder, "incidents") if self.events_folder else []
        self.con.execute(
            f"CREATE VIEW events AS SELECT * FROM read_parquet({shared.sql_paths(events)})"
            if events
            else "CREATE VIEW events AS SELECT NULL::VARCHAR incident_id LIMIT 0"
        )
        self.event_labels = {
            name: shared.label_names(feature)
            for name, feature in (shared.features(events[0]) if events else {}).items()
        }
        rows = self.con.execute(
            "SELECT DISTINCT boundary FROM decisions WHERE boundary IS NOT NULL ORDER BY 1"
        ).fetchall()
        self.boundaries = [NO_BOUNDARY, *(row[0] for row in rows)]
        self.total = self.count(Filters())

    @property
    def title(self) -> str:
        name = self.manifest.get("dataset", self.folder.name)
        version = self.manifest.get("version")
        return f"{name} {version}" if version else str(name)

    def choices(self, name: str) -> list[str]:
        return list(self.labels[FILTERED_LABELS[name]])

    def label(self, column: str, code: int | None) -> str | None:
        return None if code is None else self.labels[column][code]

    def _codes(self, name: str, values: Sequence[str]) -> list[int]:
        names = self.labels[FILTERED_LABELS[name]]
        unknown = [value for value in values if value not in names]
        if unknown:
            raise FilterError(f"unknown {name} {unknown[0]!r}: choose from {', '.join(names)}")
        return [names.index(value) for value in values]

    def where(self, filters: Filters) -> tuple[str, dict[str, Any]]:
        """The WHERE clause and parameters for a set of filters; values only ever go in as parameters."""
        clauses: list[str] = []
        params: dict[str, Any] = {}
        for name, column in FILTERED_LABELS.items():
            values = getattr(filters, name)
            if values:
                params[name] = self._codes(name, values)
                clauses.append(f"list_contains(${name}, {column})")
        if filters.boundary:
            known = set(self.boundaries)
            unknown = [value for value in filters.boundary if value not in known]
            if unknown:
                raise FilterError(f"no decision in this release has boundary {unknown[0]!r}")
            named = [value for value in filters.boundary if value != NO_BOUNDARY]
            either = ["boundary IS NULL"] if NO_BOUNDARY in filters.boundary else []
            if named:
                params["boundary"] = named
                either.append("list_contains($boundary, boundary)")
            clauses.append("(" + " OR ".join(either) + ")")
        start, end = shared.date_range(filters.start, filters.end)
        if start:
            params["start"] = dt.datetime.combine(start, dt.time(), dt.UTC)
            clauses.append("timestamp >= $start")
        if end:
            params["end"] = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), dt.UTC)
            clauses.append("timestamp < $end")
        search = filters.search.strip()
        if search:
            params["search"] = search
            clauses.append(
                "(starts_with(decision_id, $search) OR starts_with(session, $search) "
                "OR verdict = upper($search) OR list_contains(rules_checked, $search) "
                "OR list_contains(violated_rules, $search))"
            )
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    def count(self, filters: Filters) -> int:
        where, params = self.where(filters)
        with self.con.cursor() as cursor:  # one cursor per call: Gradio answers from several threads
            return int(cursor.execute(f"SELECT count(*) FROM decisions{where}", params).fetchall()[0][0])

    def answer(self, filters: Filters, period: str = "day", offset: int = 0) -> Answer:
        """What one "Apply filters" shows, from one scan of the shards: the matches are kept in a
        temporary table (of this call's own cursor) that the count, page and time series then read."""
        if period not in PERIODS:
            raise FilterError(f"unknown period {period!r}: choose day or week")
        where, params = self.where(filters)
        bucket = "timestamp::DATE" if period == "day" else "date_trunc('week', timestamp)::DATE"
        with self.con.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE hits AS SELECT decision_id, timestamp, service, decision, outcome, "
                f"context_pressure, boundary, coordination, {bucket} AS period FROM decisions{where}",
                params,
            )
            matched = int(cursor.execute("SELECT count(*) FROM hits").fetchall()[0][0])
            rows = cursor.execute(
                "WITH page AS (SELECT * EXCLUDE (period) FROM hits "
                f"ORDER BY timestamp DESC, decision_id LIMIT {PAGE_ROWS} OFFSET {int(offset)}) "
                "SELECT page.*, incidents.decision_id IS NOT NULL, incidents.incident_id FROM page "
                "LEFT JOIN incidents USING (decision_id) ORDER BY timestamp DESC, decision_id"
            ).fetchall()
            series = {
                column: [
                    (start, self.labels[column][code], n)
                    for start, code, n in cursor.execute(
                        f"SELECT period, {column}, count(*) FROM hits GROUP BY ALL ORDER BY 1, 2"
                    ).fetchall()
                ]
                for column in ("decision", "context_pressure")
            }
        page = [
            [
                *self._labelled(row[:6]),
                row[6] or "",  # boundary
                ", ".join(self.labels["coordination"][code] for code in row[7]),
                (row[9] or "yes") if row[8] else "",  # the incident it links to, or only that it is one
            ]
            for row in rows
        ]
        return Answer(matched, page, series["decision"], series["context_pressure"])

    def detail(self, decision_id: str) -> Detail | None:
        with self.con.cursor() as cursor:
            return self._detail(cursor, decision_id)

    def _detail(self, cursor: duckdb.DuckDBPyConnection, decision_id: str) -> Detail | None:
        cursor.execute("SELECT * FROM decisions WHERE decision_id = $id", {"id": decision_id.strip()})
        row = cursor.fetchone()
        if row is None:
            return None
        names = [column[0] for column in cursor.description]
        fields = {name: self._shown(name, value) for name, value in zip(names, row, strict=True)}
        raw = dict(zip(names, row, strict=True))
        # Timestamps are published at a granularity (a minute by default), so "near" is one unit
        # either side plus the coordination window.
        options = self.manifest.get("options", {})
        slack = _GRANULARITY_SECONDS.get(options.get("time_granularity"), 60) + float(
            options.get("coordination_window_seconds", 0)
        )
        coordinating = cursor.execute(
            "SELECT decision_id, timestamp, service, decision, outcome, context_pressure FROM decisions "
            "WHERE session = $session AND decision_id <> $id AND list_contains($services, service) "
            "AND abs(epoch(timestamp) - epoch($at::TIMESTAMPTZ)) <= $slack ORDER BY timestamp, decision_id",
            {
                "session": raw["session"],
                "id": raw["decision_id"],
                "services": list(raw["coordination"]),
                "at": raw["timestamp"],
                "slack": slack,
            },
        ).fetchall()
        incident = cursor.execute(
            "SELECT incident_reasons, incident_id FROM incidents WHERE decision_id = $id",
            {"id": raw["decision_id"]},
        ).fetchone()
        event = None
        if incident is not None and incident[1] and self.event_labels:
            cursor.execute("SELECT * FROM events WHERE incident_id = $id", {"id": incident[1]})
            found = cursor.fetchone()
            if found is not None:
                event = dict(zip([column[0] for column in cursor.description], found, strict=True))
                if event.get("severity") is not None:
                    event["severity"] = self.event_labels["severity"][event["severity"]]
        return Detail(
            fields=fields,
            coordinating=[self._labelled(row) for row in coordinating],
            incident=None
            if incident is None
            else {
                "reasons": [self.labels["incident_reasons"][code] for code in incident[0]],
                "incident_id": incident[1],
            },
            event=event,
        )

    def _labelled(self, row: Sequence[Any]) -> list[Any]:
        """decision_id, timestamp, service, decision, outcome, context_pressure: as the tables show them."""
        decision_id, timestamp, *codes = row
        labelled = ("service", "decision", "outcome", "context_pressure")
        return [
            decision_id,
            timestamp.strftime("%Y-%m-%d %H:%M"),
            *(self.label(column, code) for column, code in zip(labelled, codes, strict=True)),
        ]

    def _shown(self, name: str, value: Any) -> Any:
        if name in self.labels and value is not None:
            names = self.labels[name]
            return [names[code] for code in value] if isinstance(value, list) else names[value]
        if isinstance(value, dt.datetime):
            return value.strftime("%Y-%m-%d %H:%M UTC")
        if isinstance(value, float):
            return round(value, 4)
        return value

"""The Framework Evolution Log, queried in place: its events (`full`) and incident reports
(`incidents`), with labels for codes and each event's dated span.

An event's span is what its date precision allows: one day for a day, the whole month or quarter
for those, `date`..`end_date` for a range or an estimate. Pages draw a span of more than one day as
a range, never as the exact day `date` happens to hold.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import duckdb

from tractatus_spaces.release import Opened, ReleaseError, connect, features, label_names, shards, sql_paths

__all__ = ["Events", "span"]


def span(date: dt.date, end: dt.date | None, precision: str) -> tuple[dt.date, dt.date]:
    """The first and last day an event may have happened on.

    >>> span(dt.date(2025, 9, 1), None, "month")
    (datetime.date(2025, 9, 1), datetime.date(2025, 9, 30))
    >>> span(dt.date(2025, 10, 1), None, "quarter")
    (datetime.date(2025, 10, 1), datetime.date(2025, 12, 31))
    >>> span(dt.date(2025, 10, 13), dt.date(2025, 10, 24), "day")
    (datetime.date(2025, 10, 13), datetime.date(2025, 10, 24))
    """
    if end is not None:
        return date, end
    months = {"month": 1, "quarter": 3}.get(precision, 0)
    if not months:
        return date, date
    month = date.month - 1 + months
    following = dt.date(date.year + month // 12, month % 12 + 1, 1)
    return date, following - dt.timedelta(days=1)


@dataclass
class Events:
    """An Evolution Log release in an in-memory DuckDB (views `events` and `incidents`)."""

    opened: Opened
    labels: dict[str, list[str]] = field(init=False)
    con: duckdb.DuckDBPyConnection = field(init=False, repr=False)

    def __post_init__(self) -> None:
        full, incidents = shards(self.opened.folder, "full"), shards(self.opened.folder, "incidents")
        if not full or not incidents:
            raise ReleaseError(
                f"{self.opened.folder} holds no data/full and data/incidents shards: "
                "is it a Framework Evolution Log release?"
            )
        self.labels = {
            name: names
            for shard in (full[0], incidents[0])
            for name, feature in features(shard).items()
            if (names := label_names(feature))
        }
        self.con = connect()
        self.con.execute(f"CREATE VIEW events AS SELECT * FROM read_parquet({sql_paths(full)})")
        self.con.execute(f"CREATE VIEW incidents AS SELECT * FROM read_parquet({sql_paths(incidents)})")

    def _rows(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        with self.con.cursor() as cursor:
            cursor.execute(sql, params or {})
            names = [column[0] for column in cursor.description]
            found = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        for row in found:
            for name, value in row.items():
                if name in self.labels and value is not None:
                    names_of = self.labels[name]
                    row[name] = [names_of[v] for v in value] if isinstance(value, list) else names_of[value]
        return found

    def timeline(
        self, first: dt.date | None = None, last: dt.date | None = None, services: tuple[str, ...] = ()
    ) -> list[dict[str, Any]]:
        """Every event whose span meets `first`..`last`, oldest first, with `start` and `end` (its
        span); with `services`, only the events that name one of them."""
        rows = self._rows("SELECT * FROM events ORDER BY date, id")
        shown = []
        for row in rows:
            row["start"], row["end"] = span(row["date"], row["end_date"], row["date_precision"])
            if (first is not None and row["end"] < first) or (last is not None and row["start"] > last):
                continue
            if services and not set(services) & set(row["services"]):
                continue
            shown.append(row)
        return shown

    def named(self, text: str) -> list[dict[str, Any]]:
        """The incident reports whose title names `text` (case folded), oldest first: for "27027",
        both the canonical incident and the one the research paper gave that name."""
        return self._rows(
            "SELECT * FROM incidents WHERE contains(lower(title), lower($text)) ORDER BY date, incident_id",
            {"text": text},
        )

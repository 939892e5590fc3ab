"""The audit corpus' `aggregated` config, queried in place: decisions counted per UTC day, service,
decision, outcome, pressure level and boundary, with the cells of fewer than k decisions masked.

A masked cell (null `count`) is never filled in: every figure here sums the cells that are shown,
and says how many cells in the range were masked. Pages that read only this config (the dashboard,
the simulator's evidence) hold no row of any decision.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb

from tractatus_spaces.release import (
    FilterError,
    Opened,
    ReleaseError,
    connect,
    date_range,
    features,
    label_names,
    shards,
    sql_paths,
)

__all__ = ["BOUNDARIES", "PERIODS", "STOPPED", "Aggregates", "Scope", "Table"]

PERIODS = ("day", "week")
# The six boundaries of the framework (BoundaryEnforcer's TRACTATUS_BOUNDARIES), as the corpus
# labels them, with the principle the code states for each.
BOUNDARIES = {
    "12.1 Values": "Values cannot be automated, only verified",
    "12.2 Innovation": "Innovation cannot be proceduralized, only facilitated",
    "12.3 Wisdom": "Wisdom cannot be encoded, only supported",
    "12.4 Purpose": "Purpose cannot be generated, only preserved",
    "12.5 Meaning": "Meaning cannot be computed, only recognized",
    "12.6 Agency": "Agency cannot be simulated, only respected",
}
STOPPED = ("blocked", "human_approval_required")  # outcomes where the action did not simply go ahead


@dataclass(frozen=True)
class Scope:
    """What every view is restricted to: UTC days (both ends included, YYYY-MM-DD) and services."""

    start: str = ""
    end: str = ""
    services: Sequence[str] = ()


@dataclass(frozen=True)
class Table:
    """The rows a view plots, its column names, and the masked cells of its range."""

    columns: list[str]
    rows: list[tuple[Any, ...]]
    masked: int  # cells in the range whose count is suppressed (fewer than k decisions)


@dataclass
class Aggregates:
    """The `aggregated` shards of one audit release in an in-memory DuckDB (view `cells`)."""

    opened: Opened
    labels: dict[str, list[str]] = field(init=False)
    con: duckdb.DuckDBPyConnection = field(init=False, repr=False)

    def __post_init__(self) -> None:
        found = shards(self.opened.folder, "aggregated")
        if not found:
            raise ReleaseError(
                f"{self.opened.folder} holds no data/aggregated/*.parquet: is it an audit release?"
            )
        self.labels = {
            name: names for name, feature in features(found[0]).items() if (names := label_names(feature))
        }
        self.con = connect()
        self.con.execute(f"CREATE VIEW cells AS SELECT * FROM read_parquet({sql_paths(found)})")

    @property
    def days(self) -> tuple[dt.date | None, dt.date | None]:
        """The first and last UTC day with a cell."""
        with self.con.cursor() as cursor:
            first, last = cursor.execute("SELECT min(day), max(day) FROM cells").fetchall()[0]
        return first, last

    def where(
        self, scope: Scope, *, days: tuple[dt.date, dt.date] | None = None
    ) -> tuple[str, dict[str, Any]]:
        """The WHERE clause of a scope (values only as parameters); `days` narrows it further."""
        clauses: list[str] = ["TRUE"]
        params: dict[str, Any] = {}
        start, end = date_range(scope.start, scope.end)
        if start:
            clauses.append("day >= $start")
            params["start"] = start
        if end:
            clauses.append("day <= $end")
            params["end"] = end
        if days is not None:
            clauses.append("day BETWEEN $first AND $last")
            params["first"], params["last"] = days
        if scope.services:
            names = self.labels["service"]
            unknown = [name for name in scope.services if name not in names]
            if unknown:
                raise FilterError(f"unknown service {unknown[0]!r}: choose from {', '.join(names)}")
            clauses.append("list_contains($services, service)")
            params["services"] = [names.index(name) for name in scope.services]
        return " WHERE " + " AND ".join(clauses), params

    def _query(
        self, sql: str, scope: Scope, days: tuple[dt.date, dt.date] | None = None, only: str = ""
    ) -> Table:
        """Run `sql`, whose `{where}` is the scope's clause and the condition `only`, and count the
        masked cells that clause selects."""
        where, params = self.where(scope, days=days)
        where += only
        with self.con.cursor() as cursor:  # one cursor per call: Gradio answers from several threads
            cursor.execute(sql.format(where=where), params)
            columns = [column[0] for column in cursor.description]
            rows = cursor.fetchall()
            masked = cursor.execute(f"SELECT count(*) FROM cells{where} AND count IS NULL", params).fetchall()
        return Table(columns, rows, int(masked[0][0]))

    def _labelled(self, table: Table, *columns: str) -> Table:
        """The table with the ClassLabel codes of `columns` replaced by their names."""
        at = {table.columns.index(column): self.labels[column] for column in columns}
        rows = [
            tuple(at[i][value] if i in at and value is not None else value for i, value in enumerate(row))
            for row in table.rows
        ]
        return Table(table.columns, rows, table.masked)

    def outcomes(self, service: str, boundary: str | None = None) -> Table:
        """Decisions per outcome of one service (and boundary), over the whole release, from the
        shown cells; `masked` counts the cells of that service (and boundary) that are masked."""
        names = self.labels["service"]
        if service not in names:
            return Table(["outcome", "decisions"], [], 0)
        where = " WHERE service = $service" + (" AND boundary = $boundary" if boundary else " AND TRUE")
        params: dict[str, Any] = {"service": names.index(service)}
        if boundary:
            params["boundary"] = boundary
        with self.con.cursor() as cursor:
            rows = cursor.execute(
                "SELECT outcome, sum(count)::BIGINT AS decisions FROM cells"
                f"{where} AND count IS NOT NULL GROUP BY outcome ORDER BY outcome",
                params,
            ).fetchall()
            masked = cursor.execute(f"SELECT count(*) FROM cells{where} AND count IS NULL", params).fetchall()
        return self._labelled(Table(["outcome", "decisions"], rows, int(masked[0][0])), "outcome")

    def totals(self, scope: Scope) -> Table:
        """Decisions counted in the scope's shown cells, and how many cells the scope has."""
        return self._query(
            "SELECT coalesce(sum(count), 0) AS decisions, count(*) AS cells FROM cells{where}", scope
        )

    def over_time(self, scope: Scope, column: str, period: str = "day") -> Table:
        """Decisions per period and value of `column` (a label column), with each value's share of
        its period's decisions."""
        if period not in PERIODS:
            raise FilterError(f"unknown period {period!r}: choose day or week")
        if column not in ("service", "decision", "outcome", "context_pressure"):
            raise ValueError(f"{column} is not a label column of the aggregated config")
        bucket = "day" if period == "day" else "date_trunc('week', day)::DATE"
        table = self._query(
            "SELECT *, round(decisions / sum(decisions) OVER (PARTITION BY period), 4) AS share FROM ("
            f"SELECT {bucket} AS period, {column}, sum(count)::BIGINT AS decisions "
            "FROM cells{where} AND count IS NOT NULL GROUP BY ALL) ORDER BY period, " + column,
            scope,
        )
        return self._labelled(table, column)

    def by_boundary(self, scope: Scope) -> Table:
        """Per boundary: decisions, those blocked and those sent to a human, in total."""
        blocked, human = (self.labels["outcome"].index(name) for name in STOPPED)
        return self._query(
            "SELECT boundary, sum(count)::BIGINT AS decisions, "
            f"coalesce(sum(count) FILTER (WHERE outcome = {blocked}), 0)::BIGINT AS blocked, "
            f"coalesce(sum(count) FILTER (WHERE outcome = {human}), 0)::BIGINT AS sent_to_human "
            "FROM cells{where} AND count IS NOT NULL GROUP BY ALL ORDER BY boundary",
            scope,
            only=" AND boundary IS NOT NULL",
        )

    def boundary_over_time(self, scope: Scope, period: str = "day") -> Table:
        """Per period and boundary: decisions, and the share blocked or sent to a human."""
        if period not in PERIODS:
            raise FilterError(f"unknown period {period!r}: choose day or week")
        stopped = [self.labels["outcome"].index(name) for name in STOPPED]
        bucket = "day" if period == "day" else "date_trunc('week', day)::DATE"
        return self._query(
            f"SELECT {bucket} AS period, boundary, sum(count)::BIGINT AS decisions, "
            f"round(coalesce(sum(count) FILTER (WHERE list_contains({stopped}, outcome)), 0) / sum(count), 4) "
            "AS share_stopped FROM cells{where} AND count IS NOT NULL GROUP BY ALL ORDER BY period, boundary",
            scope,
            only=" AND boundary IS NOT NULL",
        )

    def mix(self, scope: Scope, days: tuple[dt.date, dt.date]) -> Table:
        """Decisions per decision label within `days` (both included), with shares."""
        table = self._query(
            "SELECT *, round(decisions / sum(decisions) OVER (), 4) AS share FROM ("
            "SELECT decision, sum(count)::BIGINT AS decisions "
            "FROM cells{where} AND count IS NOT NULL GROUP BY ALL) ORDER BY decision",
            scope,
            days,
        )
        return self._labelled(table, "decision")

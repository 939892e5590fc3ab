"""The stages that need every row at once, run by DuckDB over the parts' Parquet files: first-wins
deduplication, session context and coordination, carrying a previous release forward, rare values,
release order, and the `aggregated` and `incidents` configs (the incidents picked from the `full`
rows as they are read for writing, in the same order, by `incidents.IncidentPicker`).

DuckDB works with a memory limit and spills to the work folder, so no stage holds the corpus as
Python objects. The rules are those of `derive` and `rare`, written as SQL:

* a row without its own pressure level takes the session's latest analysis at or before its time
  plus the window (an ASOF join; of analyses at the same microsecond, the greatest `decision_id`);
* `coordination` is the set of services (as a bit mask, in label order) that decided in the same
  session within ± the window, less the row's own service;
* a value seen in fewer than k rows (carried rows included) becomes `other` in the new rows.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from tractatus_audit_corpus.batches import decode_counts
from tractatus_audit_corpus.incidents import IncidentPicker, incident_tests
from tractatus_audit_corpus.memory import MEMORY_LIMIT, not_enough
from tractatus_audit_corpus.models import AggregatedRow, FullRow
from tractatus_audit_corpus.rare import RARE_COLUMNS
from tractatus_audit_corpus.vocab import (
    PressureLevel,
    Service,
)
from tractatus_datasets.errors import UsageError
from tractatus_datasets.features import label_order, to_arrow_table
from tractatus_datasets.links import IncidentWindow
from tractatus_datasets.parquet import Rows
from tractatus_datasets.pipeline import Tally
from tractatus_datasets.release import PATTERN_CHARACTERS

__all__ = ["Derived", "derive_release"]

_FULL = list(FullRow.model_fields)


@dataclass
class Derived:
    """The three configs' rows, in release order, and what the stages counted."""

    tables: dict[str, Rows]  # read from DuckDB when written
    exported: int = 0  # distinct decisions in the source
    duplicates: int = 0
    already_released: int = 0
    events: Tally = field(default_factory=Tally)  # to add: session context and coordination
    duplicate_events: Tally = field(default_factory=Tally)  # to subtract: counted for duplicates
    duplicate_dropped: Tally = field(default_factory=Tally)
    rare_values: dict[str, int] = field(default_factory=dict)
    suppressed: dict[str, int] = field(default_factory=dict)
    last_time: dt.datetime = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)  # the latest row's time


def _codes(values: Sequence[int]) -> str:
    """A SQL list of label codes; strings from the data never go into SQL text, only as parameters."""
    return "[" + ", ".join(str(int(v)) for v in values) + "]"


def _code(member: Any) -> int:
    return label_order(member)


def _other(column: str) -> int | str:
    """What a rare value of `column` becomes: a label's code, or a string."""
    other = RARE_COLUMNS[column]
    return _code(other) if isinstance(other, Enum) else str(other)


def _connect(scratch: Path, memory_limit: str) -> duckdb.DuckDBPyConnection:
    (scratch / "duckdb").mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(
        config={"memory_limit": memory_limit, "temp_directory": str(scratch / "duckdb"), "threads": 2}
    )
    con.execute("SET TimeZone = 'UTC'")
    return con


def _deduplicate(con: duckdb.DuckDBPyConnection, parts: str, derived: Derived) -> None:
    con.read_parquet(parts).create_view("parts")
    repeated = con.execute("SELECT count(*) - count(DISTINCT decision_id) FROM parts").fetchall()[0][0]
    if not repeated:
        con.execute("CREATE VIEW collected AS SELECT * EXCLUDE (_events, _dropped) FROM parts")
        return
    ranked = "SELECT *, row_number() OVER (PARTITION BY decision_id ORDER BY _seq) AS _n FROM parts"
    con.execute(f"CREATE TABLE ranked AS {ranked}")
    for events, dropped in con.execute("SELECT _events, _dropped FROM ranked WHERE _n > 1").fetchall():
        derived.duplicates += 1
        for name, count in decode_counts(events).items():
            derived.duplicate_events.add(name, count)
        for name, count in decode_counts(dropped).items():
            derived.duplicate_dropped.add(name, count)
    con.execute("CREATE VIEW collected AS SELECT * EXCLUDE (_events, _dropped, _n) FROM ranked WHERE _n = 1")


def _coordination(con: duckdb.DuckDBPyConnection, window_us: int) -> None:
    """The `masks` table: for each row of `collected` with a session, the other services of its
    session within ± `window_us` (inclusive), as a bit mask.

    Times are cut into buckets one window wide. Every row of the row's own bucket is within the
    window; of the two neighbouring buckets, a service counts when its latest (before) or earliest
    (after) time there is; buckets further off are out. So each row looks at three small groups,
    by equality joins, instead of a window function over its whole session.
    """
    width = max(window_us, 1)
    floor = f"(_exact - ((_exact % {width}) + {width}) % {width}) // {width}"  # `//` truncates
    con.execute(
        f"""CREATE TABLE masks AS
        WITH rows AS (
            SELECT _seq, session, service, _exact, {floor} AS bucket FROM collected WHERE session IS NOT NULL),
        groups AS (
            SELECT session, bucket, service, min(_exact) AS first, max(_exact) AS last FROM rows GROUP BY ALL),
        probes AS (
            SELECT rows.*, bucket + step AS probe FROM rows CROSS JOIN (VALUES (-1), (0), (1)) steps(step))
        SELECT p._seq, bit_or(1::BIGINT << g.service) & ~(1::BIGINT << p.service) AS _mask
        FROM probes p JOIN groups g ON g.session = p.session AND g.bucket = p.probe
        WHERE g.last >= p._exact - {window_us} AND g.first <= p._exact + {window_us}
        GROUP BY p._seq, p.service"""
    )


def _session_context(con: duckdb.DuckDBPyConnection, window_us: int, derived: Derived) -> None:
    unknown = _code(PressureLevel.UNKNOWN)
    con.execute(
        f"""CREATE TABLE analyses AS
        SELECT session, _exact AS _at, context_pressure AS _level, pressure_score AS _score
        FROM collected
        WHERE session IS NOT NULL AND service = {_code(Service.CONTEXT_PRESSURE_MONITOR)}
          AND context_pressure <> {unknown}
        QUALIFY row_number() OVER (PARTITION BY session, _exact ORDER BY decision_id DESC) = 1"""
    )
    _coordination(con, window_us)
    inherit = f"(c.context_pressure = {unknown} AND a._level IS NOT NULL)"
    # On the few columns it needs, not the whole rows.
    con.execute(
        f"""CREATE TABLE context AS
        SELECT c._seq,
               CASE WHEN {inherit} THEN a._level ELSE c.context_pressure END AS _level,
               CASE WHEN {inherit} THEN a._score ELSE c.pressure_score END AS _score,
               {inherit} AS _inherited,
               coalesce(m._mask, 0) AS _mask
        FROM (SELECT _seq, session, _exact, context_pressure, pressure_score FROM collected) c
        ASOF LEFT JOIN analyses a ON c.session = a.session AND c._exact + {window_us} >= a._at
        LEFT JOIN masks m USING (_seq)"""
    )
    con.execute(
        """CREATE VIEW derived AS
        SELECT c.* REPLACE (x._level AS context_pressure, x._score AS pressure_score), x._mask
        FROM collected c JOIN context x USING (_seq)"""
    )
    inherited, coordinated, exported = con.execute(
        "SELECT count(*) FILTER (_inherited), count(*) FILTER (_mask <> 0), count(*) FROM context"
    ).fetchall()[0]
    derived.events.add("pressure_inherited_from_session", inherited)
    derived.events.add("coordinated", coordinated)
    derived.exported = exported


def _carry(con: duckdb.DuckDBPyConnection, carried: Sequence[tuple[Path, int]], derived: Derived) -> None:
    """The previous release's rows (`carried`: its shards and their rows, in release order), read
    from its files, each with its position in that order, into a table that spills beyond the
    memory limit. Not a view over the files: sorting through one needed more memory, and less
    predictably (a 1,000,000-row update failed one run in two at 320MB, a 4,000,000-row one at
    640MB; as a table, both pass at 320MB)."""
    if carried:
        reads, offset = [], 0
        for path, rows in carried:
            reads.append(
                f"SELECT * EXCLUDE (file_row_number), {offset} + file_row_number AS _pos "
                f"FROM read_parquet({_exact_file(path)}, file_row_number = true)"
            )
            offset += rows
        con.execute(f"CREATE TABLE carried AS {' UNION ALL '.join(reads)}")
    else:
        none = to_arrow_table([], FullRow).append_column("_pos", pa.array([], pa.int64()))
        con.register("carried_rows", none)
        con.execute("CREATE VIEW carried AS SELECT * FROM carried_rows")
    con.execute("CREATE TABLE fresh AS SELECT * FROM derived ANTI JOIN carried USING (decision_id)")
    fresh = con.execute("SELECT count(*) FROM fresh").fetchall()[0][0]
    derived.already_released = derived.exported - fresh


# DuckDB reads a file name holding any of these as a pattern (`v[1]/a.parquet` would read
# `v1/a.parquet`): each becomes a class of itself, so that the name is the file's alone. A `]`
# only closes a class that an escaped `[` no longer opens.
_PATTERN = re.compile("([" + re.escape(PATTERN_CHARACTERS.replace("]", "")) + "])")


def _exact_file(path: Path) -> str:
    """`path` as a SQL string literal that names exactly that file.

    >>> _exact_file(Path("/r/v[1]/it's.parquet"))
    "'/r/v[[]1]/it''s.parquet'"
    """
    return "'" + _PATTERN.sub(r"[\1]", str(path)).replace("'", "''") + "'"


def _rare_values(con: duckdb.DuckDBPyConnection, k: int) -> dict[str, list[Any]]:
    """The values seen in fewer than `k` rows, carried and new, per column of `rare.RARE_COLUMNS`."""
    both = "(SELECT {0} FROM carried UNION ALL SELECT {0} FROM fresh)"
    columns = "service, action, verdict, boundary, rules_checked, violated_rules"
    rare: dict[str, list[Any]] = {}
    for column in ("service", "action", "verdict", "boundary"):
        other = _other(column)
        rare[column] = [
            value
            for (value,) in con.execute(
                f"SELECT {column} FROM {both.format(columns)} WHERE {column} IS NOT NULL "
                f"GROUP BY 1 HAVING count(*) < {k} ORDER BY 1"
            ).fetchall()
            if value != other
        ]
    # Rows repeat a few pairs of lists: each distinct pair is unnested once, weighted by its rows.
    pairs = f"SELECT rules_checked, violated_rules, count(*) AS n FROM {both.format(columns)} GROUP BY ALL"
    rare["rule_ids"] = [
        value
        for (value,) in con.execute(
            f"SELECT rule FROM (SELECT unnest(list_distinct(list_concat(rules_checked, violated_rules))) AS rule, n "
            f"FROM ({pairs})) WHERE rule IS NOT NULL GROUP BY 1 HAVING sum(n) < {k} ORDER BY 1"
        ).fetchall()
        if value != _other("rule_ids")
    ]
    return rare


def _swapped_rules(column: str) -> tuple[str, str]:
    """(the new list, how many items changed) as SQL: ids in `_rare_rule_ids` become `other`, kept
    once, in order."""
    rare = "list_contains(_rare_rule_ids, x)"
    changed = f"len(list_filter({column}, lambda x: {rare}))"
    new = f"list_transform({column}, lambda x: CASE WHEN {rare} THEN '{_other('rule_ids')}' ELSE x END)"
    deduplicated = f"list_filter({new}, lambda x, i: list_position({new}, x) = i)"
    # Rare ids are in few rows; the other rows skip the (costly) rewrite.
    return f"CASE WHEN {changed} > 0 THEN {deduplicated} ELSE {column} END", changed


def _finish(con: duckdb.DuckDBPyConnection, rare: dict[str, list[Any]], derived: Derived) -> None:
    """The `final` view: new rows with rare values swapped and coordination as a list, then the
    carried rows as published."""
    scalar = {
        column: f"'{_other(column)}'" if isinstance(_other(column), str) else _other(column)
        for column in ("service", "action", "verdict", "boundary")
    }
    tests = {
        "service": f"list_contains({_codes(rare['service'])}, service)",
        "action": f"list_contains({_codes(rare['action'])}, action)",
        "verdict": "list_contains(_rare_verdict, verdict)",
        "boundary": "list_contains(_rare_boundary, boundary)",
    }
    # The rare strings come from the data: they reach SQL as parameters, kept in a one-row table.
    strings = {name: rare[name] for name in ("verdict", "boundary", "rule_ids")}
    con.execute(
        "CREATE TABLE rare AS SELECT $verdict::VARCHAR[] AS _rare_verdict, "
        "$boundary::VARCHAR[] AS _rare_boundary, $rule_ids::VARCHAR[] AS _rare_rule_ids",
        strings,
    )
    # A column without rare values is read as it is: most releases have none, and every config
    # reads the view.
    swaps = {
        column: f"CASE WHEN {tests[column]} THEN {other} ELSE {column} END"
        for column, other in scalar.items()
        if rare[column]
    }
    rare_mask = sum(1 << value for value in rare["service"])
    other_bit = 1 << _code(Service.OTHER)
    mask = (
        f"CASE WHEN _mask & {rare_mask} <> 0 THEN (_mask & ~{rare_mask}::BIGINT) | {other_bit} ELSE _mask END"
    )
    rules, rules_changed = _swapped_rules("rules_checked")
    violated, violated_changed = _swapped_rules("violated_rules")
    changed = {
        **{column: f"count(*) FILTER ({tests[column]})" for column in scalar},
        "coordination": f"sum(bit_count(_mask & {rare_mask}::BIGINT))",
        "rules_checked": f"sum({rules_changed})",
        "violated_rules": f"sum({violated_changed})",
    }
    counted: tuple[Any, ...] = (0,) * len(changed)  # the common case: no rare value, nothing to count
    if any(rare.values()):
        query = f"SELECT {', '.join(changed.values())} FROM fresh CROSS JOIN rare"
        counted = con.execute(query).fetchall()[0]
    derived.rare_values = {
        name: int(count) for name, count in sorted(zip(changed, counted, strict=True)) if count
    }
    # Rows share a few hundred masks: each is spelled out as a list once.
    con.execute(
        f"""CREATE TABLE coordinations AS
        SELECT _mask, list_filter(range(0, {len(Service)}), lambda s: (({mask}) >> s) & 1 = 1) AS coordination
        FROM (SELECT DISTINCT _mask FROM fresh)"""
    )
    new_columns = {
        **{name: name for name in _FULL},
        **swaps,
        **({"rules_checked": rules, "violated_rules": violated} if rare["rule_ids"] else {}),
        "coordination": "coordinations.coordination",
    }
    select_new = ", ".join(f"{expression} AS {name}" for name, expression in new_columns.items())
    # A view: each config reads it once, so writing it as a table first would only add a copy.
    con.execute(
        f"""CREATE VIEW final AS
        SELECT {select_new}, 1 AS _fresh, 0::BIGINT AS _pos, _exact
        FROM fresh JOIN coordinations USING (_mask) CROSS JOIN rare
        UNION ALL BY NAME
        SELECT {", ".join(_FULL)}, 0 AS _fresh, _pos, epoch_us(timestamp) AS _exact FROM carried"""
    )


_ORDER = "ORDER BY timestamp, coalesce(session, ''), _fresh, _pos, _exact, decision_id"


def _rows(con: duckdb.DuckDBPyConnection, query: str, model: type[Any], count: int | None = None) -> Rows:
    """The rows of `query` (`count` of them, counted here when not given), in its order, read from
    DuckDB in batches when they are written."""
    if count is None:
        count = con.execute(f"SELECT count(*) FROM ({query})").fetchall()[0][0]
    schema = to_arrow_table([], model).schema
    return Rows.casting(schema, count, lambda: _reader(con.sql(query)))


# Read from DuckDB in batches smaller than a row group (the writer joins them): measured at 1M
# rows, 50,000-row batches held about 120 MB more than these while they were being read.
_BATCH_ROWS = 10_000


def _reader(relation: duckdb.DuckDBPyRelation) -> pa.RecordBatchReader:
    # `to_arrow_reader` is DuckDB 2's name for what 1.x calls `fetch_arrow_reader`.
    read = getattr(relation, "to_arrow_reader", None) or relation.fetch_arrow_reader
    return read(_BATCH_ROWS)


def _full(con: duckdb.DuckDBPyConnection, derived: Derived) -> Rows:
    """Every row, new and carried; the latest row's time goes to `derived`. Both are read from
    the tables under the view `final`, which does not change times or add rows."""
    (count, latest), *_ = con.execute(
        "SELECT count(*), max(timestamp) FROM (SELECT timestamp FROM fresh UNION ALL SELECT timestamp FROM carried)"
    ).fetchall()
    derived.last_time = latest
    return _rows(con, f"SELECT {', '.join(_FULL)} FROM final {_ORDER}", FullRow, count)


def _aggregated(con: duckdb.DuckDBPyConnection, k: int, derived: Derived) -> Rows:
    cell = "CAST(timestamp AS DATE) AS day, service, decision, outcome, context_pressure, boundary"
    con.execute(
        f"""CREATE TABLE cells AS
        SELECT {cell}, count(*) AS n, count(DISTINCT session) AS s FROM final GROUP BY ALL"""
    )
    cells, decisions = con.execute(
        f"SELECT count(*), coalesce(sum(n), 0) FROM cells WHERE n < {k}"
    ).fetchall()[0]
    derived.suppressed = {"aggregated_cells": int(cells), "aggregated_decisions": int(decisions)}
    query = f"""SELECT day, service, decision, outcome, context_pressure, boundary,
               CASE WHEN n < {k} THEN NULL ELSE n END AS count,
               CASE WHEN n < {k} THEN NULL ELSE s END AS sessions
        FROM cells ORDER BY day, service, decision, outcome, context_pressure, coalesce(boundary, '')"""
    return _rows(con, query, AggregatedRow)


def _incidents(
    con: duckdb.DuckDBPyConnection, full: Rows, scratch: Path, windows: Sequence[IncidentWindow]
) -> tuple[Rows, Rows]:
    """The `full` rows again, now keeping their incidents as they are read, and the `incidents`
    rows, counted here from the columns the tests read (which the rare-value swaps leave as they are)."""
    tests = incident_tests()
    condition = " OR ".join(f"list_contains({_codes(codes)}, {column})" for column, codes in tests.values())
    columns = ", ".join(sorted({column for column, _ in tests.values()}))
    both = f"SELECT {columns} FROM fresh UNION ALL SELECT {columns} FROM carried"
    (count,), *_ = con.execute(f"SELECT count(*) FROM ({both}) WHERE {condition}").fetchall()
    incidents = IncidentPicker(scratch / "incidents.arrow", tests, windows)
    return Rows(full.schema, full.num_rows, lambda: incidents.pick(full.batches())), incidents.rows(count)


@contextmanager
def derive_release(
    parts: str,
    scratch: Path,
    *,
    window: dt.timedelta,
    k: int,
    carried: Sequence[tuple[Path, int]] = (),
    windows: Sequence[IncidentWindow] = (),
    memory_limit: str = MEMORY_LIMIT,
) -> Iterator[Derived]:
    """From the rows under the glob `parts` to the release's rows and counts; see the module
    docstring. The rows are read from DuckDB as they are written, so inside this block only; if
    DuckDB runs out of `memory_limit` here or while they are written, a UsageError says to give more."""
    derived = Derived(tables={})
    try:
        with _connect(scratch, memory_limit) as con:
            _deduplicate(con, parts, derived)
            _session_context(con, window // dt.timedelta(microseconds=1), derived)
            _carry(con, carried, derived)
            _finish(con, _rare_values(con, k), derived)
            full, incidents = _incidents(con, _full(con, derived), scratch, windows)
            derived.tables["full"] = full
            derived.tables["aggregated"] = _aggregated(con, k, derived)
            derived.tables["incidents"] = incidents
            yield derived  # an error while the rows are written is raised here
    except duckdb.OutOfMemoryException as error:
        raise UsageError(not_enough(memory_limit)) from error

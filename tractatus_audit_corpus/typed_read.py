"""The `auditLogs` dump as DuckDB reads it with typed columns: the column list of the `AuditLog`
shape (the Mongoose schema of the source facts, §1.1), and the floor any columnar export is measured
against, the time to read every document of the dump that way.

DuckDB's typed read coerces quietly (`"yes"` reads as a true BOOLEAN, a string where a number is
declared becomes NULL under `ignore_errors`), so it is not a check of the source by itself: the
per-record path stays the judge of a line.

>>> "STRUCT" in AUDITLOG_COLUMNS["_id"] and AUDITLOG_COLUMNS["rulesChecked"]
'VARCHAR[]'
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["AUDITLOG_COLUMNS", "Floor", "read_floor"]

_OID = 'STRUCT("$oid" VARCHAR)'
_DATE = 'STRUCT("$date" VARCHAR)'
AUDITLOG_COLUMNS = {
    "_id": _OID,
    "sessionId": "VARCHAR",
    "action": "VARCHAR",
    "allowed": "BOOLEAN",
    "rulesChecked": "VARCHAR[]",
    "violations": "JSON",  # strings or subdocuments: not one type
    "metadata": "JSON",  # per-service key sets (§1.4)
    "domain": "VARCHAR",
    "boundary": "VARCHAR",
    "tractatus_section": "VARCHAR",
    "durationMs": "DOUBLE",
    "service": "VARCHAR",
    "userId": _OID,
    "ipAddress": "VARCHAR",
    "userAgent": "VARCHAR",
    "timestamp": _DATE,
    "createdAt": _DATE,
    "updatedAt": _DATE,
    "__v": "BIGINT",
}


@dataclass(frozen=True)
class Floor:
    seconds: float
    documents: int
    sessions: int
    rule_ids: int


def read_floor(dumps: list[Path], threads: int | None = None) -> Floor:
    """Read every document of the mongoexport `dumps` with the typed columns and count documents,
    distinct sessions and rule ids: the least a columnar export has to do."""
    import duckdb

    con = duckdb.connect(config={"threads": threads} if threads else {})
    started = time.perf_counter()
    documents, sessions, rule_ids = con.execute(
        "SELECT count(*), count(DISTINCT sessionId), coalesce(sum(len(rulesChecked)), 0) "
        "FROM read_json($files, format='newline_delimited', columns=$columns, ignore_errors=true, "
        "maximum_object_size=16777216)",
        {"files": [str(path) for path in dumps], "columns": AUDITLOG_COLUMNS},
    ).fetchone() or (0, 0, 0)
    return Floor(time.perf_counter() - started, int(documents), int(sessions), int(rule_ids))

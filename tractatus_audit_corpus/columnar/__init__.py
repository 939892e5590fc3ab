"""The columnar engine: each part of a mongoexport dump decoded into typed columns and normalised
by SQL over them, with the per-record engine (`batches.run_records`) as its oracle and its fallback.

How one part becomes rows, a module each:

1. `scan` passes once over the part's bytes (numpy) and finds every line, how many `"$` and
   brackets it holds, and the lines the typed decoder is not trusted with: one that does not start
   with `{` and end with `}`, holds a control character (a tab, a lone `\\r`…) or a `\\u0024`, is
   nested past `records.MAX_DEPTH` by its bracket count, is over the size limit, or is not UTF-8.
2. `decode`: `msgspec` decodes every other line into a struct whose fields take only the types the
   SQL reads (a field of another type, an unknown key, NaN or a trailing comma fail the decode).
   Like Python's `json`, it keeps the last of two equal keys. Dropped values are counted by reason
   as `privacy.account_dropped` counts them; a line whose `"$` are not exactly the `$oid`/`$date`
   wrappers the decode took is routed (`bson` would read any other wrapper).
3. `sql` turns the typed columns into corpus values by SQL generated from the tables of `mapping`
   and `privacy`, or routes the row when a value is one the SQL does not take exactly as the
   per-record path would (a non-ASCII boundary, a pre-2020 or impossible time…).
4. `part` builds the rows and checks them against the row model; routed lines are read again by
   `records` and go through `run_records`, so their rows, quarantine reasons and counts are the
   per-record engine's own.

Files that are not plain line-per-record dumps (legacy `decisions-*.jsonl`, `.gz`, `--jsonArray`)
go through the per-record path whole.
"""

from __future__ import annotations

from tractatus_audit_corpus.columnar.part import run_columnar_part
from tractatus_audit_corpus.columnar.sql import PER_RECORD_ONLY

__all__ = ["PER_RECORD_ONLY", "run_columnar_part"]

"""Run the whole-corpus stages (`relational.derive_release`, DuckDB) on rows made by hand."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from tests.helpers import EXACT
from tractatus_audit_corpus.batches import INTERNAL_COLUMNS
from tractatus_audit_corpus.derive import DEFAULT_WINDOW
from tractatus_audit_corpus.memory import MEMORY_LIMIT
from tractatus_audit_corpus.models import AggregatedRow, FullRow, IncidentRow
from tractatus_audit_corpus.relational import Derived, derive_release
from tractatus_datasets.features import rows_from_table, to_arrow_table
from tractatus_datasets.links import IncidentWindow
from tractatus_datasets.parquet import write_shards
from tractatus_datasets.pipeline import write_scratch

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass
class Released:
    full: list[FullRow]  # in release order
    aggregated: list[AggregatedRow]
    incidents: list[IncidentRow]
    derived: Derived  # the counts

    def by_id(self, row: FullRow) -> FullRow:
        """The released row of an input row."""
        return next(r for r in self.full if r.decision_id == row.decision_id)


def release(
    rows: Sequence[FullRow],
    *,
    k: int = 1,
    window: dt.timedelta = DEFAULT_WINDOW,
    carried: Sequence[FullRow] = (),
    windows: Sequence[IncidentWindow] = (),
    memory_limit: str = MEMORY_LIMIT,
    before_reading: Callable[[], object] = lambda: None,
) -> Released:
    """`rows` (made by `make`) as the per-record stages would have written them, in this order,
    through DuckDB; `before_reading` runs where the export starts writing the rows."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "rows"
        folder.mkdir()
        table = to_arrow_table(rows, FullRow)
        exact = [(EXACT[row.decision_id] - _EPOCH) // dt.timedelta(microseconds=1) for row in rows]
        internal = [list(range(len(rows))), exact, [""] * len(rows), [""] * len(rows)]
        for name, values in zip(INTERNAL_COLUMNS.names, internal, strict=True):
            field = INTERNAL_COLUMNS.field(name)
            table = table.append_column(field, pa.array(values, field.type))
        write_scratch(table, folder / "part-000000.parquet")
        previous = Path(scratch) / "previous"  # the carried rows as a release holds them
        shards = write_shards(to_arrow_table(carried, FullRow), previous, "full", 2) if carried else []
        with derive_release(
            str(folder / "*.parquet"),
            Path(scratch),
            window=window,
            k=k,
            carried=[(previous / shard.path, shard.rows) for shard in shards],
            windows=windows,
            memory_limit=memory_limit,
        ) as derived:
            before_reading()
            tables = {
                name: pa.Table.from_batches(rows.batches(), rows.schema)
                for name, rows in derived.tables.items()
            }
        return Released(
            rows_from_table(tables["full"], FullRow),
            rows_from_table(tables["aggregated"], AggregatedRow),
            rows_from_table(tables["incidents"], IncidentRow),
            derived,
        )

"""The `incidents` config: which `full` rows are incidents and why, and the picker that keeps them
as the `full` rows go by on their way to the shards (`relational` counts them and hands it the rows).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tractatus_audit_corpus.models import IncidentRow
from tractatus_audit_corpus.vocab import Decision, IncidentReason, Outcome, PressureLevel
from tractatus_datasets.features import label_order, to_arrow_table
from tractatus_datasets.links import IncidentWindow, link_incident
from tractatus_datasets.parquet import Rows

__all__ = ["IncidentPicker", "incident_tests"]


def incident_tests() -> dict[IncidentReason, tuple[str, list[int]]]:
    """Why a row is an incident: a reason for each column holding one of the codes."""
    high = [
        label_order(level) for level in (PressureLevel.HIGH, PressureLevel.CRITICAL, PressureLevel.DANGEROUS)
    ]
    return {
        IncidentReason.BLOCKED: ("outcome", [label_order(Outcome.BLOCKED)]),
        IncidentReason.WARNED: ("decision", [label_order(Decision.WARN)]),
        IncidentReason.HUMAN_APPROVAL: ("outcome", [label_order(Outcome.HUMAN_APPROVAL_REQUIRED)]),
        IncidentReason.HIGH_PRESSURE: ("context_pressure", high),
    }


class IncidentPicker:
    """The `incidents` rows, picked from the `full` rows while those are read for writing: the
    incidents are those rows in the same order, so DuckDB neither reads nor sorts them again. The
    picked rows wait in a work-folder file until the `incidents` shards are written."""

    def __init__(
        self,
        path: Path,
        tests: dict[IncidentReason, tuple[str, list[int]]],
        windows: Sequence[IncidentWindow],
    ) -> None:
        self.path, self.windows = path, windows
        self.schema = to_arrow_table([], IncidentRow).schema
        self.tests = [
            (label_order(reason), column, pa.array(codes)) for reason, (column, codes) in tests.items()
        ]
        self.picked = False
        # Rows repeat a time (to the minute or coarser) and a list of rules: each pair is linked once.
        self._link = functools.cache(
            lambda seconds, rules: link_incident(windows, dt.datetime.fromtimestamp(seconds, dt.UTC), rules)
        )

    def pick(self, batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        """Pass the `full` batches through, keeping their incidents."""
        # Compressed, the picked rows take a third of the disk (91 MB at 1,000,000 decisions).
        options = pa.ipc.IpcWriteOptions(compression="lz4")
        with (
            pa.OSFile(str(self.path), "wb") as sink,
            pa.ipc.new_file(sink, self.schema, options=options) as writer,
        ):
            for batch in batches:
                yield batch
                incidents = self._incidents(batch)
                if incidents.num_rows:
                    writer.write_batch(incidents)
                del incidents
                # Arrow's allocator keeps what picking freed: at 1,000,000 decisions, 60 MB more at
                # the stage's peak (0.25 s to give it back after each batch).
                pa.default_memory_pool().release_unused()
        self.picked = True

    def _incidents(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        held = np.stack(
            [
                pc.is_in(batch.column(column), value_set=codes).to_numpy(zero_copy_only=False)
                for _, column, codes in self.tests
            ]
        )
        picked = held.any(axis=0)
        batch = batch.filter(pa.array(picked))
        rows_of, reasons_of = np.nonzero(held[:, picked].T)  # row by row, each row's reasons in order
        offsets = np.concatenate(([0], np.cumsum(np.bincount(rows_of, minlength=batch.num_rows))))
        codes = np.array([code for code, _, _ in self.tests], np.int64)
        reasons = pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), pa.array(codes[reasons_of]))
        return pa.RecordBatch.from_arrays([*batch.columns, reasons, self._links(batch)], schema=self.schema)

    def _links(self, batch: pa.RecordBatch) -> pa.Array:
        """Each row's incident in the Evolution Log, by `links.link_incident`, or null."""
        ids: list[str | None] = [None] * batch.num_rows
        if self.windows:
            times = batch.column("timestamp")
            inside = functools.reduce(  # the rows worth asking: in a window, with a violated rule
                pc.or_,
                [pc.and_(pc.greater_equal(times, w.start), pc.less(times, w.end)) for w in self.windows],
            )
            violated = batch.column("violated_rules")
            asked = pc.and_(inside, pc.greater(pc.list_value_length(violated), 0))
            rows = np.flatnonzero(asked.to_numpy(zero_copy_only=False))
            if len(rows):
                at = pa.array(rows)
                seconds = times.take(at).cast(pa.int64()).to_pylist()  # datetimes are slow to make
                for row, when, rules in zip(
                    rows.tolist(), seconds, violated.take(at).to_pylist(), strict=True
                ):
                    ids[row] = self._link(when, tuple(rules))
        return pa.array(ids, pa.string())

    def rows(self, count: int) -> Rows:
        """The picked rows (`count` of them), read back a batch at a time once `pick` is done."""

        def batches() -> Iterator[pa.RecordBatch]:
            if not self.picked:
                raise RuntimeError("the incidents are picked from the full rows: write those first")
            with pa.OSFile(str(self.path)) as source:  # not mapped: its pages would stay resident
                reader = pa.ipc.open_file(source)
                for index in range(reader.num_record_batches):
                    yield reader.get_batch(index)

        return Rows(self.schema, count, batches)

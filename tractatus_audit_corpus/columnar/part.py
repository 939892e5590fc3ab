"""The columnar engine on one part: its blocks scanned and decoded, the SQL run over them, the
`full` rows built and checked, and the routed lines sent through the per-record path."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from datasets import ClassLabel

from tractatus_audit_corpus.batches import (
    FULL_SCHEMA,
    PART_SHIFT,
    STEP_SECONDS,
    PartResult,
    Task,
    collector_paused,
    decode_counts,
    run_records,
    with_internal,
)
from tractatus_audit_corpus.columnar.decode import INPUT_SCHEMA, SHAPE, RuleLists, decode
from tractatus_audit_corpus.columnar.scan import blocks, scan
from tractatus_audit_corpus.columnar.sql import connection, select
from tractatus_audit_corpus.models import FullRow, broken_rows
from tractatus_datasets.features import features_of
from tractatus_datasets.identifiers import Identifiers
from tractatus_datasets.pipeline import Tally, write_scratch
from tractatus_datasets.records import read_lines
from tractatus_datasets.sources import read_part

__all__ = ["run_columnar_part"]

_LINES_PER_DECODE = 4_096  # lines decoded into documents at a time
_FEATURES = features_of(FullRow)
_LABELS = {name: pa.array(f.names) for name, f in _FEATURES.items() if isinstance(f, ClassLabel)}
_SOURCE_FORMAT_CODE = _LABELS["source_format"].to_pylist().index(SHAPE.value)


def _labels(column: pa.Array, name: str) -> pa.Array:
    return pc.index_in(column, value_set=_LABELS[name])


def _rows(batch: pa.Table, rules: pa.Array, task: Task, result: PartResult) -> tuple[pa.Table, np.ndarray]:
    """The `full` rows (and internal columns) of the accepted rows of a part; `rules` holds the
    rule ids of each distinct `rulesChecked` the rows point at. Rows that break a constraint of
    `FullRow` are left out: their line numbers come back, for the per-record path to judge."""
    part, key, step = task.part, task.key, STEP_SECONDS[task.granularity]
    count = batch.num_rows
    sessions = batch.column("session").to_pylist()
    distinct = sorted(set(sessions))
    pseudonym = dict(zip(distinct, key.pseudonyms("session", distinct), strict=True))
    seconds = pc.divide(batch.column("exact"), 1_000_000)
    coarse = pc.multiply(pc.divide(seconds, step), step)  # whole numbers: `divide` truncates
    columns: dict[str, Any] = {
        "decision_id": pa.array(key.pseudonyms("decision", batch.column("source_id").to_pylist())),
        "timestamp": coarse,
        "session": pa.array([pseudonym[s] for s in sessions]),
        "rules_checked": rules.take(batch.column("rule_at")),
        "coordination": pa.array([[]] * count, FULL_SCHEMA.field("coordination").type),  # derived later
        "source_format": pa.array([_SOURCE_FORMAT_CODE] * count),
    }
    for name in FULL_SCHEMA.names:
        if name not in columns:
            column = batch.column(name)
            columns[name] = _labels(column, name) if name in _LABELS else column
    arrays = [columns[f.name].cast(f.type) for f in FULL_SCHEMA]
    table = pa.Table.from_arrays(arrays, schema=FULL_SCHEMA)
    broken = broken_rows(table)
    if broken.any():
        kept = pa.array(~broken)
        table, batch = table.filter(kept), batch.filter(kept)
    events, dropped = batch.column("events"), batch.column("dropped")
    _add_counts(result.events, events)
    _add_counts(result.dropped, dropped)
    found = Identifiers()  # folded in as fingerprints, not kept as a growing set of strings
    for name in ("session", "source_id", "user", "ip", "agent"):
        found.add_all(pc.unique(batch.column(name)).drop_null().to_pylist())
    result.identifiers.update(found)
    seq = (np.int64(part.index) << PART_SHIFT) | batch.column("line").to_numpy()
    return with_internal(table, (seq, batch.column("exact"), events, dropped)), np.flatnonzero(broken)


def _add_counts(tally: Tally, encoded: pa.ChunkedArray) -> None:
    counts = pc.value_counts(encoded)
    for text, rows in zip(
        counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True
    ):
        for name, count in decode_counts(text).items():
            tally.add(name, count * rows)


def _routed_records(task: Task, starts: np.ndarray, ends: np.ndarray, routed: np.ndarray) -> Iterator[Any]:
    """The records of the routed lines, read as the per-record path reads them."""
    part = task.part
    indices = np.flatnonzero(routed)
    if not len(indices):
        return
    for run in np.split(indices, np.flatnonzero(np.diff(indices) != 1) + 1):
        head, tail = int(run[0]), int(run[-1])
        yield from read_lines(
            part.file, int(starts[head]), int(ends[tail]) + 1, part.first_line + head, task.limit
        )


def _whole_part(task: Task) -> PartResult:
    """The whole part through the per-record path."""
    result = run_records(
        read_part(task.part, task.limit), task.part.index, task.key, task.granularity, task.out
    )
    result.routed = result.read
    return result


def run_columnar_part(task: Task) -> PartResult:
    """The rows of one part, as `batches.run_part` gives them; see the module docstring."""
    part = task.part
    if part.file.kind != "mongoexport" or part.json_array or part.file.path.name.endswith(".gz"):
        return _whole_part(task)
    rule_lists = RuleLists()
    tables: list[pa.Table] = []
    starts, ends, routed = [], [], []
    first = 0
    with collector_paused():
        for offset, block in blocks(part.file.path, part.start, part.stop):
            lines = scan(block, task.limit)
            refused = lines.routed.copy()
            for start in range(0, len(lines.starts), _LINES_PER_DECODE):  # its decoded documents freed soon
                window = slice(start, start + _LINES_PER_DECODE)
                tables.append(decode(block, lines, window, refused, first, rule_lists))
            starts.append(lines.starts + offset)
            ends.append(lines.ends + offset)
            routed.append(refused)
            first += len(lines.starts)
    every_routed = np.concatenate(routed) if routed else np.zeros(0, bool)
    result = PartResult()
    table = pa.concat_tables(tables) if tables else INPUT_SCHEMA.empty_table()
    if table.num_rows:
        con = connection().cursor()  # a cursor of its own: safe in a thread of a Dask worker too
        try:
            con.register("docs", table)
            selected = con.sql(select()).to_arrow_table()
        finally:
            con.close()
        route = selected.column("route")
        every_routed[selected.filter(route).column("line").to_numpy()] = True
        accepted = selected.filter(pc.invert(route))
        if accepted.num_rows:
            rows, broken = _rows(accepted, rule_lists.array(), task, result)
            every_routed[accepted.column("line").to_numpy()[broken]] = True
            try:
                write_scratch(rows, task.out.with_name(f"{task.out.stem}-columnar.parquet"))
            except OSError as error:  # counted on, as `run_records` does: the quarantine still gets written
                result.error = error
            result.read = result.rows = rows.num_rows
    every_start = np.concatenate(starts) if starts else np.zeros(0, np.int64)
    every_end = np.concatenate(ends) if ends else np.zeros(0, np.int64)
    fallback = run_records(
        _routed_records(task, every_start, every_end, every_routed),
        part.index,
        task.key,
        task.granularity,
        task.out,
        first_line=part.first_line,
    )
    result.read += fallback.read
    result.rows += fallback.rows
    result.routed = fallback.read
    result.rejected = fallback.rejected
    result.events.merge(fallback.events)
    result.dropped.merge(fallback.dropped)
    result.identifiers.update(fallback.identifiers)
    result.error = result.error or fallback.error
    result.identifiers.freeze()
    pa.default_memory_pool().release_unused()  # a worker runs part after part: give back what this one took
    return result

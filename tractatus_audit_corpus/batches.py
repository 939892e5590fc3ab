"""The per-record stages over one part of the source: read → normalise → anonymise → validate,
written as one Parquet file of rows for the relational stages (`relational`) to finish.

`run_part` is what every engine runs, in this process, in a pool of processes, or on Dask
workers; it needs nothing but its `Task`, and returns only counts, rejected records and the raw
identifiers' fingerprints for the leak gate. Its rows go to `Task.out`, with four internal columns the release
never shows: `_seq` (the record's place in the source, for "first one wins" deduplication),
`_exact` (the exact source time in microseconds, which orders a session), and `_events` and
`_dropped` (the row's own counts, subtracted again when it turns out to be a duplicate).
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
from datasets import ClassLabel

from tractatus_audit_corpus.models import FullRow, check_rows
from tractatus_audit_corpus.normalise import Normalised, normalise
from tractatus_audit_corpus.stages import IDENTIFYING_FIELDS, anonymise, validate
from tractatus_datasets.anonymise import Granularity
from tractatus_datasets.features import features_of
from tractatus_datasets.identifiers import Identifiers
from tractatus_datasets.keys import ExportKey
from tractatus_datasets.pipeline import Rejected, Tally, write_scratch
from tractatus_datasets.records import RawRecord
from tractatus_datasets.sources import Part, read_part

__all__ = [
    "FULL_SCHEMA",
    "INTERNAL_COLUMNS",
    "PART_SHIFT",
    "STEP_SECONDS",
    "PartResult",
    "Task",
    "decode_counts",
    "run_part",
    "run_records",
    "with_internal",
]

INTERNAL_COLUMNS = pa.schema(
    [
        pa.field("_seq", pa.int64(), nullable=False),
        pa.field("_exact", pa.int64(), nullable=False),
        pa.field("_events", pa.string(), nullable=False),
        pa.field("_dropped", pa.string(), nullable=False),
    ]
)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)
PART_SHIFT = 32  # `_seq` is the part's index, then the record's place in the part


@dataclass(frozen=True)
class Task:
    """One part and everything needed to turn it into rows."""

    part: Part
    key: ExportKey
    granularity: Granularity
    limit: int  # the largest record, in bytes
    out: Path  # where the part's rows go


@dataclass
class PartResult:
    read: int = 0
    rows: int = 0
    rejected: list[tuple[Rejected, str]] = field(default_factory=list)  # with the raw text
    events: Tally = field(default_factory=Tally)
    dropped: Tally = field(default_factory=Tally)
    identifiers: Identifiers = field(default_factory=Identifiers)
    error: OSError | None = None  # writing the rows failed; the rest still counts for the quarantine
    routed: int = 0  # with the columnar engine: records it sent through these per-record stages


def _encode_counts(tally: Tally) -> str:
    return _encoded(tally.items())


@functools.lru_cache(maxsize=4096)
def _encoded(items: tuple[tuple[str, int], ...]) -> str:
    """Rows repeat a few patterns of counts: each pattern's text is made once."""
    return ";".join(f"{name}={count}" for name, count in items)


def decode_counts(text: str) -> dict[str, int]:
    """The counts `_events` or `_dropped` holds.

    >>> decode_counts("a=1;b=20"), decode_counts("")
    ({'a': 1, 'b': 20}, {})
    """
    pairs = (item.split("=") for item in text.split(";") if item)
    return {name: int(count) for name, count in pairs}


def _add_encoded(tally: Tally, encoded: list[str]) -> None:
    """Add up rows' counts as `_encode_counts` wrote them (rows repeat a few patterns)."""
    for text, rows in Counter(encoded).items():
        for name, count in decode_counts(text).items():
            tally.add(name, count * rows)


def _microseconds(time: dt.datetime) -> int:
    return (time - _EPOCH) // _MICROSECOND


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector. A part makes millions of short-lived containers and keeps
    its rows, so the collector would rescan the rows again and again (half the stage's time);
    nothing made here forms a cycle that must be freed before the part ends."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def run_records(
    records: Iterable[RawRecord],
    index: int,
    key: ExportKey,
    granularity: Granularity,
    out: Path,
    *,
    first_line: int | None = None,
) -> PartResult:
    """Turn `records` into the rows of part `index`, written to `out`. A record's place in the part
    is its place among `records`; with `first_line`, its line's distance from that line (the
    columnar engine hands over only some lines of a part)."""
    with collector_paused():
        return _run_records(records, index, key, granularity, out, first_line)


class _Columns:
    """The rows of one part, column by column, in the storage `to_arrow_table` gives a `FullRow`:
    class labels as integers, the time as whole seconds of the granularity."""

    def __init__(self, key: ExportKey, granularity: Granularity) -> None:
        self.key = key
        self.step = STEP_SECONDS[granularity]
        self.values: dict[str, list[Any]] = {name: [] for name in FullRow.model_fields}
        self.exact: list[int] = []
        self.sessions: dict[str, str] = {}  # a session's pseudonym, once per part: sessions repeat

    def add(self, decision: Normalised) -> None:
        exact = _microseconds(decision.time)
        seconds = exact // 1_000_000
        session = decision.session_id
        codes = _CODES
        values = self.values
        values["decision_id"].append(self.key.pseudonym("decision", decision.source_id))
        values["timestamp"].append(seconds - seconds % self.step)
        values["session"].append(None if session is None else self.session(session))
        values["service"].append(codes["service"][decision.service])
        values["action"].append(codes["action"][decision.action])
        values["decision"].append(codes["decision"][decision.decision])
        values["verdict"].append(decision.verdict)
        values["outcome"].append(codes["outcome"][decision.outcome])
        values["boundary"].append(decision.boundary)
        values["domain"].append(codes["domain"][decision.domain])
        values["context_pressure"].append(codes["context_pressure"][decision.context_pressure])
        values["pressure_score"].append(decision.pressure_score)
        values["rules_checked"].append(decision.rules_checked)
        values["violated_rules"].append(decision.violated_rules)
        severity = decision.severity
        values["severity"].append(None if severity is None else codes["severity"][severity])
        values["duration_ms"].append(decision.duration_ms)
        values["source_format"].append(codes["source_format"][decision.source_format])
        self.exact.append(exact)

    def session(self, session_id: str) -> str:
        known = self.sessions.get(session_id)
        if known is None:
            known = self.sessions[session_id] = self.key.pseudonym("session", session_id)
        return known

    def table(self) -> pa.Table:
        columns = self.values
        arrays = []
        for name, field_ in zip(FULL_SCHEMA.names, FULL_SCHEMA, strict=True):
            if name == "timestamp":
                arrays.append(pa.array(columns[name], pa.int64()).cast(field_.type))
            elif name == "coordination":  # derived later, over the whole corpus
                arrays.append(pa.array([[]] * len(self.exact), field_.type))
            else:
                arrays.append(pa.array(columns[name], field_.type))
        return pa.Table.from_arrays(arrays, schema=FULL_SCHEMA)


_FEATURES = features_of(FullRow)
FULL_SCHEMA = _FEATURES.arrow_schema  # the storage of `full` rows
STEP_SECONDS = {
    Granularity.SECOND: 1,
    Granularity.MINUTE: 60,
    Granularity.HOUR: 3600,
    Granularity.DAY: 86400,
}
# Class-label columns: value → stored integer (a StrEnum member finds its value's entry).
_CODES: dict[str, dict[str, int]] = {
    name: {label: code for code, label in enumerate(feature.names)}
    for name, feature in _FEATURES.items()
    if isinstance(feature, ClassLabel)
}


_NOT_IDENTIFIERS = (dict, list, bool, int, float)  # a tuple: `isinstance` tests it faster than a union


def _needs_model(decision: Normalised) -> bool:
    """Whether the row model could refuse this decision. Everything `normalise` gives is in the
    model's vocabulary, but for one thing: Python's `$` lets a rule id end with a line feed, the
    model's pattern does not."""
    return "\n" in "".join(decision.rules_checked) or "\n" in "".join(decision.violated_rules)


def _run_records(
    records: Iterable[RawRecord],
    index: int,
    key: ExportKey,
    granularity: Granularity,
    out: Path,
    first_line: int | None,
) -> PartResult:
    result = PartResult()
    columns = _Columns(key, granularity)
    seq: list[int] = []
    row_events: list[str] = []
    row_dropped: list[str] = []
    for position, record in enumerate(records):
        result.read += 1
        doc = record.doc or {}
        for name in IDENTIFYING_FIELDS:
            value = doc.get(name)
            if value is not None and not isinstance(value, _NOT_IDENTIFIERS):
                result.identifiers.add(str(value))
        own_events, own_dropped = Tally(), Tally()
        normalised = normalise(record, own_events, own_dropped)
        if isinstance(normalised, Rejected):
            result.rejected.append((normalised, record.raw))
            continue
        if _needs_model(normalised):
            row = validate(anonymise(normalised, key, granularity), record)
            if isinstance(row, Rejected):
                result.rejected.append((row, record.raw))
                continue
        columns.add(normalised)
        place = position if first_line is None else record.line - first_line
        seq.append((index << PART_SHIFT) | place)
        row_events.append(_encode_counts(own_events))
        row_dropped.append(_encode_counts(own_dropped))
    _add_encoded(result.events, row_events)
    _add_encoded(result.dropped, row_dropped)
    table = columns.table()
    check_rows(table)
    table = with_internal(table, (seq, columns.exact, row_events, row_dropped))
    try:
        write_scratch(table, out)
    except OSError as error:
        result.error = error
    result.identifiers.freeze()  # fingerprints only: cheap to send back
    result.rows = table.num_rows
    return result


def with_internal(table: pa.Table, internal: tuple[Any, Any, Any, Any]) -> pa.Table:
    """`table` with the internal columns' values (`_seq`, `_exact`, `_events`, `_dropped`) added:
    Arrow columns as they are (`pa.array` would read them value by value), others converted."""
    for name, values in zip(INTERNAL_COLUMNS.names, internal, strict=True):
        field_ = INTERNAL_COLUMNS.field(name)
        arrow = isinstance(values, pa.Array | pa.ChunkedArray)
        table = table.append_column(
            field_, values.cast(field_.type) if arrow else pa.array(values, field_.type)
        )
    return table


def run_part(task: Task) -> PartResult:
    """The stages over one part of the source; see the module docstring."""
    records = read_part(task.part, task.limit)
    return run_records(records, task.part.index, task.key, task.granularity, task.out)

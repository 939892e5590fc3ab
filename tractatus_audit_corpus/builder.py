"""The Audit Decision Corpus: its configs (declared once) and its export, from source to release.

>>> [config.name for config in CONFIGS]
['full', 'aggregated', 'incidents']
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq

from tractatus_audit_corpus.batches import Task
from tractatus_audit_corpus.card_text import card_content
from tractatus_audit_corpus.derive import DEFAULT_WINDOW
from tractatus_audit_corpus.engines import LINES_PER_PART, Engine, default_workers, run_batches, run_tasks
from tractatus_audit_corpus.memory import MEMORY_LIMIT
from tractatus_audit_corpus.models import AggregatedRow, FullRow, IncidentRow
from tractatus_audit_corpus.relational import derive_release
from tractatus_audit_corpus.vocab import Decision
from tractatus_datasets.anonymise import Granularity
from tractatus_datasets.build import write_release
from tractatus_datasets.errors import Problem, ProblemsFound, UsageError
from tractatus_datasets.features import label_order
from tractatus_datasets.identifiers import Identifiers
from tractatus_datasets.keys import ExportKey
from tractatus_datasets.links import IncidentWindow
from tractatus_datasets.manifest import Counts, Manifest, SourceInfo
from tractatus_datasets.pipeline import BadRecordPolicy, Quarantine, Tally
from tractatus_datasets.plugins import ExportOptions
from tractatus_datasets.previous import open_previous
from tractatus_datasets.progress import progress_bar
from tractatus_datasets.records import MAX_RECORD_BYTES, RawRecord
from tractatus_datasets.release import check_version, staged_release
from tractatus_datasets.sources import PlannedParts, Source, discover, read_records
from tractatus_datasets.spec import ConfigSpec, DatasetSpec

__all__ = ["CONFIGS", "SPEC", "AuditOptions", "IncidentLinks", "export_audit"]

CONFIGS = (
    ConfigSpec("full", FullRow, "one governance decision taken by one framework service", default=True),
    ConfigSpec(
        "aggregated",
        AggregatedRow,
        "decisions counted per day, service, decision, outcome, context pressure and boundary",
    ),
    ConfigSpec(
        "incidents",
        IncidentRow,
        "a decision that was blocked, warned, sent to a human, or taken under HIGH or worse pressure",
    ),
)


def summarise(shards: list[Path]) -> dict[str, Any]:
    """What a page or card quotes about a release, from its `full` shards: decisions, distinct
    sessions, the UTC days covered, and the decisions of each kind (every label, zero included).
    Read one row group at a time: only the distinct sessions are kept."""
    decisions, sessions, by_code = 0, set[str](), Counter[int]()
    bounds: list[tuple[dt.datetime, dt.datetime]] = []  # each row group's first and last time
    for path in shards:
        shard = pq.ParquetFile(path)
        for group in range(shard.num_row_groups):
            rows = shard.read_row_group(group, columns=["timestamp", "session", "decision"])
            decisions += rows.num_rows
            low, high = (moment.as_py() for moment in pc.min_max(rows["timestamp"]).values())
            bounds.append((low, high))
            sessions.update(pc.unique(rows["session"].drop_null()).to_pylist())
            kinds = pc.value_counts(rows["decision"])
            by_code.update(
                dict(zip(kinds.field("values").to_pylist(), kinds.field("counts").to_pylist(), strict=True))
            )
    first = min((low for low, _ in bounds), default=None)
    last = max((high for _, high in bounds), default=None)
    return {
        "decisions": decisions,
        "sessions": len(sessions),
        "first_day": first.date().isoformat() if first else None,
        "last_day": last.date().isoformat() if last else None,
        "by_decision": {member.value: by_code.get(label_order(member), 0) for member in Decision},
    }


SPEC = DatasetSpec(
    name="audit",
    repo_id="tractatus-framework/audit-decisions",
    pretty_name="Tractatus Audit Decision Corpus",
    schema_dir="audit_corpus",
    configs=CONFIGS,
    tags=("ai-governance", "ai-safety", "audit-logs", "tabular", "tractatus"),
    pseudonym_columns=frozenset({"decision_id", "session"}),
    summarise=summarise,
)


@dataclass(frozen=True)
class IncidentLinks:
    """The evolution-log incidents that `incidents.incident_id` refers to, and which events they are."""

    windows: tuple[IncidentWindow, ...]
    events_digest: str  # the evolution-log source the windows were read from


@dataclass(frozen=True)
class AuditOptions:
    """What only the audit export needs beyond the common options."""

    key: ExportKey
    time_granularity: Granularity = Granularity.MINUTE
    on_bad_record: BadRecordPolicy = BadRecordPolicy.QUARANTINE
    collection: str = "auditLogs"
    json_array: bool | None = None
    max_record_bytes: int = MAX_RECORD_BYTES
    timeout_seconds: float = 10.0  # for a mongodb:// source
    engine: Engine = Engine.COLUMNAR
    scheduler: str | None = None  # a Dask scheduler's address; None: a local cluster
    workers: int | None = None  # processes (python, columnar); None: `engines.default_workers`
    lines_per_part: int = LINES_PER_PART
    previous: Path | None = None  # an earlier release to carry forward (`--previous`)
    coordination_window: dt.timedelta = DEFAULT_WINDOW
    k_threshold: int = 5
    links: IncidentLinks | None = None
    memory_limit: str = MEMORY_LIMIT  # DuckDB's, for deduplicating, deriving and sorting the rows


def _hashed(records: Iterable[RawRecord], digest: Any) -> Iterator[RawRecord]:
    """Pass records through, hashing their text: the digest of a live collection as read (files are
    digested from disk while they are cut into parts)."""
    for record in records:
        digest.update(record.raw.encode() + b"\n")
        yield record


def _source_info(source: Source, digest: str) -> SourceInfo:
    if source.uri is not None:
        return SourceInfo(kind="mongodb", digest=digest)
    by_kind: dict[str, int] = {}
    for file in source.files:
        by_kind[file.kind] = by_kind.get(file.kind, 0) + 1
    return SourceInfo(kind=source.description, digest=digest, files_by_kind=by_kind)


@dataclass
class _Collected:
    """What the per-record stages gave, summed over the parts (before deduplication)."""

    digest: str
    read: int = 0
    rows: int = 0
    events: Tally = field(default_factory=Tally)
    dropped: Tally = field(default_factory=Tally)
    identifiers: Identifiers = field(default_factory=Identifiers)
    routed: int = 0  # records the columnar engine sent through the per-record stages


def _collect(source: Source, audit: AuditOptions, scratch: Path, quarantine: Quarantine) -> _Collected:
    """Run the per-record stages on the chosen engine; rows go to `scratch/rows`, one file per
    part, and the identifiers' fingerprints, folded together, to `scratch/identifiers`.

    Each part's fingerprints wait in files of their own until the workers are done, and are folded
    together only then: so this process does not grow with the source (by 32 bytes an identifier)
    while the workers are at their peak."""
    folder, waiting = scratch / "rows", scratch / "identifier-parts"
    folder.mkdir()
    collected = _Collected(digest="")
    parts: list[Identifiers] = []
    if source.uri is not None:
        digest = hashlib.sha256()
        records = _hashed(read_records(source), digest)
        results = run_batches(records, audit.key, audit.time_granularity, folder, audit.lines_per_part)
    else:
        planned = PlannedParts(source, audit.lines_per_part)  # the workers start on the first parts
        tasks = (
            Task(
                part,
                audit.key,
                audit.time_granularity,
                source.max_record_bytes,
                folder / f"part-{part.index:06d}.parquet",
            )
            for part in planned
        )
        workers = audit.workers or default_workers(source.data_bytes)
        results = run_tasks(tasks, audit.engine, workers=workers, scheduler=audit.scheduler)
    with progress_bar(desc="Reading records", unit=" records") as bar:
        for result in results:
            collected.read += result.read
            collected.rows += result.rows
            collected.routed += result.routed
            for rejected, raw in result.rejected:
                quarantine.put(rejected, raw)
            if result.error is not None:
                raise result.error
            collected.events.merge(result.events)
            collected.dropped.merge(result.dropped)
            parts.append(result.identifiers.keep_on_disk(waiting / f"{len(parts):06d}"))
            bar.update(result.read)
    for part in parts:
        collected.identifiers.update(part)
    collected.identifiers.keep_on_disk(scratch / "identifiers")  # searched only by the gate
    shutil.rmtree(waiting, ignore_errors=True)
    collected.digest = "sha256:" + digest.hexdigest() if source.uri is not None else planned.digest
    return collected


def _check_engine(source: str, audit: AuditOptions) -> None:
    if audit.engine is Engine.DASK and source.startswith(("mongodb://", "mongodb+srv://")):
        raise UsageError(
            "a live mongodb:// source is read by the local engine only: drop --engine dask, or "
            "export the collection with mongoexport and give the dump as --source"
        )
    if audit.scheduler is not None and audit.engine is not Engine.DASK:
        raise UsageError("--scheduler is for --engine dask; add --engine dask, or drop --scheduler")
    if audit.workers is not None and audit.engine is Engine.DASK:
        raise UsageError("--workers is for --engine python or columnar: a Dask cluster has its own workers")


def _engine_info(source: Source, audit: AuditOptions, collected: _Collected) -> dict[str, Any]:
    """What read the source: the engine, and with the columnar stage (`columnar`, `dask`), how
    many records it routed through the per-record stages."""
    if source.uri is not None:  # a live collection is read record by record, whatever the option
        return {"name": Engine.PYTHON.value}
    if audit.engine is not Engine.PYTHON:
        return {"name": audit.engine.value, "routed_records": collected.routed}
    return {"name": audit.engine.value}


def _row_options(audit: AuditOptions) -> dict[str, Any]:
    """The options that shape rows: a release continuing another must use the same ones."""
    return {
        "time_granularity": audit.time_granularity.value,
        "coordination_window_seconds": audit.coordination_window.total_seconds(),
        "k_threshold": audit.k_threshold,
    }


def export_audit(options: ExportOptions, audit: AuditOptions) -> Manifest:
    """Export `options.source` into a new release at `options.out`; see the module docstring."""
    check_version(options.version)
    if options.source is None:
        raise UsageError("the audit export needs --source: a mongoexport file, a folder, or a mongodb:// URI")
    _check_engine(options.source, audit)
    source = discover(
        options.source,
        audit.collection,
        audit.json_array,
        max_record_bytes=audit.max_record_bytes,
        timeout_seconds=audit.timeout_seconds,
    )
    stage = options.stages
    previous = None
    if audit.previous is not None:
        with stage("check the previous release"):
            previous = open_previous(
                audit.previous, SPEC, version=options.version, key=audit.key, options=_row_options(audit)
            )
    with staged_release(options.out) as staging, ExitStack() as open_until_written:
        quarantine = Quarantine(staging.quarantine, audit.on_bad_record)
        try:
            with stage("read, normalise, anonymise, validate"):
                collected = _collect(source, audit, staging.scratch, quarantine)
        finally:
            quarantine.close()
        if not collected.rows:
            raise ProblemsFound(
                [Problem(options.source, None, None, f"none of {collected.read} records could be exported")],
                "nothing to release",
            )
        links = audit.links
        with stage("deduplicate, derive, aggregate (DuckDB)"):
            derived = open_until_written.enter_context(
                derive_release(
                    str(staging.scratch / "rows" / "*.parquet"),
                    staging.scratch,
                    window=audit.coordination_window,
                    k=audit.k_threshold,
                    carried=previous.shards if previous is not None else (),
                    windows=links.windows if links else (),
                    memory_limit=audit.memory_limit,
                )
            )
            shutil.rmtree(staging.scratch / "rows")  # DuckDB holds what it still needs
        events, dropped = collected.events, collected.dropped
        events.merge(derived.events)
        events.subtract(derived.duplicate_events)
        dropped.subtract(derived.duplicate_dropped)
        counts = Counts(
            read=collected.read,
            exported=derived.exported,
            quarantined=quarantine.count,
            duplicates=derived.duplicates,
            carried=previous.rows if previous is not None else 0,
            already_released=derived.already_released,
            quarantined_by_reason=quarantine.by_reason.as_dict(),
            values_dropped_by_reason=dropped.as_dict(),
            normalisation=events.as_dict(),
            rare_values=derived.rare_values,
            suppressed=derived.suppressed,
        )
        tables = derived.tables
        manifest = write_release(
            staging,
            SPEC,
            tables,
            version=options.version,
            release_date=options.release_date or derived.last_time.date(),
            source=_source_info(source, collected.digest),
            key=audit.key,
            counts=counts,
            options={
                **_row_options(audit),
                "engine": _engine_info(source, audit, collected),
                "max_shard_rows": options.max_shard_rows,
                "on_bad_record": audit.on_bad_record.value,
                **({"incident_links": links.events_digest} if links else {}),
            },
            content=card_content,
            max_shard_rows=options.max_shard_rows,
            identifiers=collected.identifiers,
            previous=previous,
            stages=stage,
            rows_written=open_until_written.close,  # DuckDB's memory back before the gate runs
        )
    return manifest

"""The Audit Decision Corpus: its configs (declared once) and its export, from source to release.

>>> [config.name for config in CONFIGS]
['full', 'aggregated', 'incidents']
"""

from __future__ import annotations

import datetime as dt
import hashlib
import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tractatus_audit_corpus.card_text import card_content
from tractatus_audit_corpus.derive import (
    DEFAULT_WINDOW,
    aggregate,
    derive_session_context,
    incidents,
    sort_key,
)
from tractatus_audit_corpus.models import AggregatedRow, FullRow, IncidentRow
from tractatus_audit_corpus.rare import suppress_rare
from tractatus_audit_corpus.stages import collect_rows
from tractatus_datasets.anonymise import Granularity
from tractatus_datasets.build import write_release
from tractatus_datasets.errors import Problem, ProblemsFound, UsageError
from tractatus_datasets.features import rows_from_table, to_arrow_table
from tractatus_datasets.keys import ExportKey
from tractatus_datasets.links import IncidentWindow
from tractatus_datasets.manifest import Counts, Manifest, SourceInfo
from tractatus_datasets.pipeline import BadRecordPolicy, Quarantine
from tractatus_datasets.plugins import ExportOptions
from tractatus_datasets.previous import Previous, open_previous
from tractatus_datasets.progress import progress
from tractatus_datasets.records import MAX_RECORD_BYTES, RawRecord
from tractatus_datasets.release import check_version, staged_release
from tractatus_datasets.sources import Source, discover, read_records, source_digest
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

SPEC = DatasetSpec(
    name="audit",
    repo_id="tractatus-framework/audit-decisions",
    pretty_name="Tractatus Audit Decision Corpus",
    schema_dir="audit_corpus",
    configs=CONFIGS,
    tags=("ai-governance", "ai-safety", "audit-logs", "tabular", "tractatus"),
    pseudonym_columns=frozenset({"decision_id", "session"}),
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
    previous: Path | None = None  # an earlier release to carry forward (`--previous`)
    coordination_window: dt.timedelta = DEFAULT_WINDOW
    k_threshold: int = 5
    links: IncidentLinks | None = None


def _hashed(records: Iterable[RawRecord], digest: Any) -> Iterator[RawRecord]:
    """Pass records through, hashing their text: the digest of a live collection as read (files are
    digested from disk by `source_digest`)."""
    for record in records:
        digest.update(record.raw.encode() + b"\n")
        yield record


def _source_info(source: Source, records_digest: str) -> SourceInfo:
    if source.uri is not None:
        return SourceInfo(kind="mongodb", digest="sha256:" + records_digest)
    by_kind: dict[str, int] = {}
    for file in source.files:
        by_kind[file.kind] = by_kind.get(file.kind, 0) + 1
    return SourceInfo(kind=source.description, digest=source_digest(source), files_by_kind=by_kind)


def _row_options(audit: AuditOptions) -> dict[str, Any]:
    """The options that shape rows: a release continuing another must use the same ones."""
    return {
        "time_granularity": audit.time_granularity.value,
        "coordination_window_seconds": audit.coordination_window.total_seconds(),
        "k_threshold": audit.k_threshold,
    }


def _carried_rows(previous: Previous) -> list[FullRow]:
    rows = rows_from_table(previous.table, FullRow)
    if not to_arrow_table(rows, FullRow).equals(previous.table):
        raise AssertionError("carried rows do not round-trip exactly")  # a bug: refuse to publish
    for row in rows:
        row._exact_time = row.timestamp  # the exact time was never published; the order was
    return rows


def _release_order(carried: list[FullRow], fresh: list[FullRow]) -> list[FullRow]:
    """New rows in release order, merged into the carried rows (already in it) without moving
    them: at equal coarse time and session, carried rows come first."""
    return list(
        heapq.merge(carried, sorted(fresh, key=sort_key), key=lambda r: (r.timestamp, r.session or ""))
    )


def export_audit(options: ExportOptions, audit: AuditOptions) -> Manifest:
    """Export `options.source` into a new release at `options.out`; see the module docstring."""
    check_version(options.version)
    if options.source is None:
        raise UsageError("the audit export needs --source: a mongoexport file, a folder, or a mongodb:// URI")
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
    digest = hashlib.sha256()
    with staged_release(options.out) as staging:
        quarantine = Quarantine(staging.quarantine, audit.on_bad_record)
        try:
            with stage("read, normalise, anonymise, validate"):
                records = progress(read_records(source), desc="Reading records", unit=" records")
                if source.uri is not None:
                    records = _hashed(records, digest)
                collected = collect_rows(records, audit.key, audit.time_granularity, quarantine)
        finally:
            quarantine.close()
        if not collected.rows:
            raise ProblemsFound(
                [Problem(options.source, None, None, f"none of {collected.read} records could be exported")],
                "nothing to release",
            )
        with stage("session context and coordination"):
            derive_session_context(collected.rows, audit.coordination_window, collected.events)
        with stage("carry forward, rare values, order"):
            carried = _carried_rows(previous) if previous is not None else []
            published = {row.decision_id for row in carried}
            fresh = [row for row in collected.rows if row.decision_id not in published]
            rare = suppress_rare(fresh, audit.k_threshold, published=carried)
            rows = _release_order(carried, fresh)
        links = audit.links
        with stage("aggregated, incidents, Arrow tables"):
            aggregated, suppressed = aggregate(rows, audit.k_threshold)
            tables = {
                "full": to_arrow_table(rows, FullRow),
                "aggregated": to_arrow_table(aggregated, AggregatedRow),
                "incidents": to_arrow_table(incidents(rows, links.windows if links else ()), IncidentRow),
            }
        counts = Counts(
            read=collected.read,
            exported=len(collected.rows),
            quarantined=quarantine.count,
            duplicates=collected.duplicates,
            carried=len(carried),
            already_released=len(collected.rows) - len(fresh),
            quarantined_by_reason=quarantine.by_reason.as_dict(),
            values_dropped_by_reason=collected.dropped.as_dict(),
            normalisation=collected.events.as_dict(),
            rare_values=rare,
            suppressed=suppressed,
        )
        manifest = write_release(
            staging,
            SPEC,
            tables,
            version=options.version,
            release_date=options.release_date or max(row.timestamp for row in rows).date(),
            source=_source_info(source, digest.hexdigest()),
            key=audit.key,
            counts=counts,
            options={
                **_row_options(audit),
                "max_shard_rows": options.max_shard_rows,
                "on_bad_record": audit.on_bad_record.value,
                **({"incident_links": links.events_digest} if links else {}),
            },
            content=card_content,
            max_shard_rows=options.max_shard_rows,
            identifiers=collected.identifiers,
            previous=previous,
            stages=stage,
        )
    return manifest

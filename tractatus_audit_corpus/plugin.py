"""The audit corpus as a CLI plugin (`export audit`, `sample`, and its part of `demo`).

Its `incidents.incident_id` refers to the incidents of the Framework Evolution Log, read from the
event files (by default the history shipped with `tractatus_evolution_log`).
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from tractatus_audit_corpus.builder import SPEC, AuditOptions, IncidentLinks, export_audit
from tractatus_audit_corpus.derive import DEFAULT_WINDOW
from tractatus_audit_corpus.engines import LINES_PER_PART, Engine
from tractatus_audit_corpus.memory import MEMORY_LIMIT, memory_size
from tractatus_audit_corpus.sample import DEFAULT_RECORDS, write_sample
from tractatus_datasets.cli import (
    add_key_arguments,
    add_record_arguments,
    key_from,
    non_negative_seconds,
    positive,
)
from tractatus_datasets.keys import DEMO_KEY, ExportKey
from tractatus_datasets.manifest import Manifest
from tractatus_datasets.parquet import DEFAULT_MAX_SHARD_ROWS
from tractatus_datasets.plugins import ExportOptions
from tractatus_datasets.records import MAX_RECORD_BYTES
from tractatus_evolution_log.derive import incident_windows
from tractatus_evolution_log.events import SHIPPED_EVENTS, read_events

__all__ = ["PLUGIN", "AuditPlugin", "incident_links"]

DEMO_VERSION = "1.0.0"


def incident_links(events: Path = SHIPPED_EVENTS) -> IncidentLinks:
    """The evolution-log incidents of the event files in `events` (default: the shipped history)."""
    source = read_events(events)
    return IncidentLinks(incident_windows(source.events), source.digest)


class AuditPlugin:
    spec = SPEC
    demo_uses: tuple[str, ...] = ()

    def add_export_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--source",
            required=True,
            help="mongoexport file, folder of dumps/legacy files, or mongodb:// URI",
        )
        add_key_arguments(parser)
        add_record_arguments(parser)
        parser.add_argument(
            "--previous",
            type=Path,
            metavar="RELEASE",
            help="an earlier release folder: the new release holds all of its rows plus the new "
            "records (same key, greater version); rows the source has since expired stay",
        )
        parser.add_argument(
            "--collection", default="auditLogs", help="collection to read from a mongodb:// URI"
        )
        parser.add_argument(
            "--mongo-timeout",
            type=non_negative_seconds,
            default=10.0,
            metavar="SECONDS",
            help="how long to wait for the MongoDB server before giving up (default: 10)",
        )
        parser.add_argument(
            "--max-record-bytes",
            type=positive,
            default=MAX_RECORD_BYTES,
            metavar="N",
            help="longer lines are quarantined as too_large (default: 16 MiB, MongoDB's limit)",
        )
        parser.add_argument(
            "--jsonArray",
            dest="json_array",
            action="store_true",
            default=None,
            help="the dump is one JSON array (mongoexport --jsonArray); detected when omitted",
        )
        parser.add_argument(
            "--coordination-window",
            type=non_negative_seconds,
            default=DEFAULT_WINDOW.total_seconds(),
            metavar="SECONDS",
            help="how close in time decisions of one session count as coordinated",
        )
        parser.add_argument(
            "--k-threshold",
            type=positive,
            default=5,
            metavar="K",
            help="aggregated cells with fewer decisions are suppressed (default: 5)",
        )
        parser.add_argument(
            "--engine",
            choices=[engine.value for engine in Engine],
            default=Engine.COLUMNAR.value,
            help="how the source becomes rows, on this machine's cores: each dump decoded into typed "
            "columns and normalised by SQL, the lines it cannot read exactly going through the "
            "per-record stages (columnar, the default), or every record through the per-record "
            "stages (python); or the columnar stage on a Dask cluster (dask)",
        )
        parser.add_argument(
            "--scheduler",
            metavar="ADDRESS",
            help="with --engine dask: the scheduler to use, e.g. tcp://10.0.0.5:8786 (default: a "
            "local cluster of 2 workers); its workers must see --source and --out at the same paths",
        )
        parser.add_argument(
            "--workers",
            type=positive,
            metavar="N",
            help="with --engine columnar or python: how many worker processes (default: one per core; "
            "none for a source under 64 MB, read faster in this process)",
        )
        parser.add_argument(
            "--lines-per-part",
            type=positive,
            default=LINES_PER_PART,
            metavar="N",
            help=f"the source is cut into parts of N lines, one task each (default: {LINES_PER_PART:,}); "
            "the release does not depend on it",
        )
        parser.add_argument(
            "--memory-limit",
            type=memory_size,
            default=MEMORY_LIMIT,
            metavar="SIZE",
            help=f"DuckDB's memory limit for deduplicating, deriving and sorting the rows, beyond which it "
            f"spills to the work folder (default: {MEMORY_LIMIT}, enough for 4,000,000 documents); the "
            "release does not depend on it",
        )
        parser.add_argument(
            "--evolution-events",
            type=Path,
            default=SHIPPED_EVENTS,
            metavar="DIR",
            help="evolution-log event files whose incidents `incident_id` links to (default: the shipped history)",
        )

    def export(self, options: ExportOptions, args: argparse.Namespace) -> Manifest:
        return export_audit(
            options,
            AuditOptions(
                key=key_from(args),
                time_granularity=args.time_granularity,
                on_bad_record=args.on_bad_record,
                links=incident_links(args.evolution_events),
                collection=args.collection,
                json_array=args.json_array,
                max_record_bytes=args.max_record_bytes,
                timeout_seconds=args.mongo_timeout,
                previous=args.previous,
                coordination_window=dt.timedelta(seconds=args.coordination_window),
                k_threshold=args.k_threshold,
                engine=Engine(args.engine),
                scheduler=args.scheduler,
                workers=args.workers,
                lines_per_part=args.lines_per_part,
                memory_limit=args.memory_limit,
            ),
        )

    def write_sample(
        self, out: Path, records: int = DEFAULT_RECORDS, seed: int = 0, credentials: bool = True
    ) -> dict[str, int]:
        return write_sample(out, records, seed, credentials)

    def build_demo(self, workdir: Path, built: dict[str, Path]) -> tuple[Path, Manifest]:
        source, out = workdir / "sample", workdir / "audit-decisions"
        write_sample(source)
        options = ExportOptions(
            source=str(source), out=out, version=DEMO_VERSION, max_shard_rows=DEFAULT_MAX_SHARD_ROWS
        )
        audit = AuditOptions(key=ExportKey(DEMO_KEY, demo=True), links=incident_links())
        return out, export_audit(options, audit)


PLUGIN = AuditPlugin()

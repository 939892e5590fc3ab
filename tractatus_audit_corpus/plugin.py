"""The audit corpus as a CLI plugin (`export audit`, `sample`, and its part of `demo`)."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from tractatus_audit_corpus.builder import SPEC, AuditOptions, export_audit
from tractatus_audit_corpus.derive import DEFAULT_WINDOW
from tractatus_audit_corpus.sample import DEFAULT_RECORDS, write_sample
from tractatus_datasets.anonymise import Granularity
from tractatus_datasets.cli import non_negative_seconds, positive
from tractatus_datasets.keys import DEMO_KEY, ExportKey
from tractatus_datasets.manifest import Manifest
from tractatus_datasets.parquet import DEFAULT_MAX_SHARD_ROWS
from tractatus_datasets.pipeline import BadRecordPolicy
from tractatus_datasets.plugins import ExportOptions

__all__ = ["PLUGIN", "AuditPlugin"]

DEMO_VERSION = "1.0.0"


class AuditPlugin:
    spec = SPEC

    def add_export_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--collection", default="auditLogs", help="collection to read from a mongodb:// URI"
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

    def export(self, options: ExportOptions, args: argparse.Namespace) -> Manifest:
        return export_audit(
            options,
            AuditOptions(
                collection=args.collection,
                json_array=args.json_array,
                coordination_window=dt.timedelta(seconds=args.coordination_window),
                k_threshold=args.k_threshold,
            ),
        )

    def write_sample(
        self, out: Path, records: int = DEFAULT_RECORDS, seed: int = 0, credentials: bool = True
    ) -> dict[str, int]:
        return write_sample(out, records, seed, credentials)

    def build_demo(self, workdir: Path) -> tuple[Path, Manifest]:
        source, out = workdir / "sample", workdir / "audit-decisions"
        write_sample(source)
        options = ExportOptions(
            source=str(source),
            out=out,
            version=DEMO_VERSION,
            key=ExportKey(DEMO_KEY, demo=True),
            time_granularity=Granularity.MINUTE,
            max_shard_rows=DEFAULT_MAX_SHARD_ROWS,
            on_bad_record=BadRecordPolicy.QUARANTINE,
        )
        return out, export_audit(options, AuditOptions())


PLUGIN = AuditPlugin()

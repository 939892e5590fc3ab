"""The Framework Evolution Log: its configs (declared once) and its export, from event files to release.

>>> [config.name for config in CONFIGS]
['full', 'aggregated', 'incidents']
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from tractatus_datasets.build import write_release
from tractatus_datasets.features import to_arrow_table
from tractatus_datasets.manifest import Counts, Manifest, SourceInfo
from tractatus_datasets.plugins import ExportOptions
from tractatus_datasets.release import check_version, staged_release
from tractatus_datasets.spec import ConfigSpec, DatasetSpec, SourceSpec
from tractatus_evolution_log.audit_links import count_linked
from tractatus_evolution_log.card_text import card_content
from tractatus_evolution_log.derive import aggregated_rows, full_rows, incident_rows, incident_windows
from tractatus_evolution_log.events import SHIPPED_EVENTS, front_matter_schema, read_events
from tractatus_evolution_log.models import AggregatedRow, FullRow, IncidentRow
from tractatus_evolution_log.vocab import REPO_ID

__all__ = ["CONFIGS", "SPEC", "EvolutionOptions", "export_evolution"]

CONFIGS = (
    ConfigSpec("full", FullRow, "one event in the framework's history, with its account", default=True),
    ConfigSpec(
        "aggregated", AggregatedRow, "events counted per month and kind, with rule and service counts"
    ),
    ConfigSpec("incidents", IncidentRow, "one incident report, with the audit decisions linked to it"),
)

SPEC = DatasetSpec(
    name="evolution",
    repo_id=REPO_ID,
    pretty_name="Tractatus Framework Evolution Log",
    schema_dir="evolution_log",
    configs=CONFIGS,
    tags=("ai-governance", "ai-safety", "incidents", "changelog", "tractatus"),
    sources=(SourceSpec("event", front_matter_schema),),
)


@dataclass(frozen=True)
class EvolutionOptions:
    """What only the evolution export needs beyond the common options."""

    audit: Path | None = None  # an audit corpus release whose decisions are linked to incidents
    today: dt.date | None = None  # events may not be dated later (default: today, New Zealand time)


def export_evolution(options: ExportOptions, evolution: EvolutionOptions) -> Manifest:
    """Export the event files at `options.source` (default: the shipped history) into `options.out`."""
    check_version(options.version)
    folder = Path(options.source) if options.source is not None else SHIPPED_EVENTS
    source = read_events(folder, evolution.today)
    events = source.events
    windows = incident_windows(events)
    links = count_linked(evolution.audit, windows) if evolution.audit is not None else None
    tables = {
        "full": to_arrow_table(full_rows(events), FullRow),
        "aggregated": to_arrow_table(aggregated_rows(events), AggregatedRow),
        "incidents": to_arrow_table(incident_rows(events, links.linked if links else None), IncidentRow),
    }
    counts = Counts(
        read=len(events),
        exported=len(events),
        quarantined=0,
        normalisation={"non-event files ignored": len(source.ignored)} if source.ignored else {},
    )
    audit_option = (
        {
            "audit_release": links.version,
            "audit_release_synthetic": links.synthetic,
            "audit_decisions_examined": links.decisions,
        }
        if links
        else {}
    )
    with staged_release(options.out) as staging:
        manifest = write_release(
            staging,
            SPEC,
            tables,
            version=options.version,
            release_date=options.release_date or max(event.last_day for event in events),
            source=SourceInfo(
                kind=f"Markdown event files ({source.files})",
                digest=source.digest,
                files_by_kind={"event": source.files},
            ),
            key=None,
            counts=counts,
            options={"max_shard_rows": options.max_shard_rows, **audit_option},
            content=lambda manifest: card_content(manifest, events),
            max_shard_rows=options.max_shard_rows,
            stages=options.stages,
        )
    return manifest

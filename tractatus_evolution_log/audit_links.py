"""Count, per incident, the audit decisions of an Audit Decision Corpus release that link to it.

The release is read as any researcher would read it, through its manifest and Parquet shards (this
package does not import the audit corpus), and each decision of its `incidents` config is put
through the same link rule the audit export used to fill `incident_id`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from tractatus_datasets.errors import UsageError
from tractatus_datasets.links import IncidentWindow, link_incident
from tractatus_datasets.manifest import MANIFEST_NAME
from tractatus_datasets.validate import read_release_manifest

__all__ = ["AUDIT_DATASET", "AuditLinks", "count_linked"]

AUDIT_DATASET = "tractatus-framework/audit-decisions"
_CONFIG = "incidents"


@dataclass(frozen=True)
class AuditLinks:
    linked: dict[str, int]  # incident id → decisions
    version: str  # of the audit release
    decisions: int  # rows of its incidents config that were looked at
    synthetic: bool  # built with the public demo key from the synthetic sample


def count_linked(release: Path, windows: tuple[IncidentWindow, ...]) -> AuditLinks:
    """Decisions per incident id in the audit release at `release`; UsageError if it is not one."""
    manifest, _ = read_release_manifest(release)
    if manifest is None:
        raise UsageError(
            f"--audit {release} is not an audit corpus release: no readable {MANIFEST_NAME} in it"
        )
    if manifest.dataset != AUDIT_DATASET:
        raise UsageError(f"--audit {release} is a release of {manifest.dataset}, not of {AUDIT_DATASET}")
    linked: Counter[str] = Counter()
    decisions = 0
    for shard in manifest.shards:
        if shard.config != _CONFIG:
            continue
        table = pq.read_table(release / shard.path, columns=["timestamp", "violated_rules"])
        for when, violated in zip(
            table.column("timestamp").to_pylist(), table.column("violated_rules").to_pylist(), strict=True
        ):
            decisions += 1
            incident = link_incident(windows, when, violated)
            if incident is not None:
                linked[incident] += 1
    synthetic = manifest.key is not None and manifest.key.demo
    return AuditLinks(dict(sorted(linked.items())), manifest.version, decisions, synthetic)

"""The per-record stages: read → normalise → anonymise → validate, each counted.

`collect_rows` runs them over a source and returns the validated `full` rows, deduplicated by
`decision_id`; every record that does not become a row is quarantined with a reason or counted as
a duplicate, so `read == exported + quarantined + duplicates`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from tractatus_audit_corpus.models import FullRow
from tractatus_audit_corpus.normalise import Normalised, normalise
from tractatus_datasets.anonymise import Granularity, coarsen
from tractatus_datasets.gate import Identifiers
from tractatus_datasets.keys import ExportKey
from tractatus_datasets.pipeline import Quarantine, Rejected, Tally
from tractatus_datasets.records import RawRecord

__all__ = ["IDENTIFYING_FIELDS", "Collected", "anonymise", "collect_rows", "validate"]


def anonymise(decision: Normalised, key: ExportKey, granularity: Granularity) -> dict[str, Any]:
    """The row's public values: identifiers pseudonymised, time coarsened, nothing else added."""
    return {
        "decision_id": key.pseudonym("decision", decision.source_id),
        "timestamp": coarsen(decision.time, granularity),
        "session": None if decision.session_id is None else key.pseudonym("session", decision.session_id),
        "service": decision.service,
        "action": decision.action,
        "decision": decision.decision,
        "verdict": decision.verdict,
        "outcome": decision.outcome,
        "boundary": decision.boundary,
        "domain": decision.domain,
        "context_pressure": decision.context_pressure,
        "pressure_score": decision.pressure_score,
        "coordination": [],
        "rules_checked": decision.rules_checked,
        "violated_rules": decision.violated_rules,
        "severity": decision.severity,
        "duration_ms": decision.duration_ms,
        "source_format": decision.source_format,
    }


def validate(values: dict[str, Any], decision: Normalised, record: RawRecord) -> FullRow | Rejected:
    """Check the row against the model; errors name fields, never echo values."""
    try:
        row = FullRow.model_validate(values)
    except ValidationError as error:
        errors = [(".".join(str(part) for part in e["loc"]), e["msg"]) for e in error.errors()]
        fields = ", ".join(field for field, _ in errors)
        messages = "; ".join(f"{field}: {message}" for field, message in errors)
        return Rejected(record.origin, record.line, "invalid_row", messages, fields)
    row._exact_time = decision.time
    return row


@dataclass
class Collected:
    rows: list[FullRow] = field(default_factory=list)
    read: int = 0
    duplicates: int = 0
    events: Tally = field(default_factory=Tally)
    dropped: Tally = field(default_factory=Tally)
    identifiers: Identifiers = field(default_factory=Identifiers)


# Raw identifiers the leak gate searches every written file for (facts §1.9).
IDENTIFYING_FIELDS = ("sessionId", "_id", "audit_id", "userId", "ipAddress", "userAgent")


def collect_rows(
    records: Iterable[RawRecord], key: ExportKey, granularity: Granularity, quarantine: Quarantine
) -> Collected:
    collected = Collected()
    seen: set[str] = set()
    for record in records:
        collected.read += 1
        for name in IDENTIFYING_FIELDS:
            value = (record.doc or {}).get(name)
            if value is not None and not isinstance(value, dict | list | bool | int | float):
                collected.identifiers.add(str(value))
        # Counted per record and kept only for records that become rows, so that the counts
        # describe the release; a rejected record is counted once, by its rejection reason.
        events, dropped = Tally(), Tally()
        normalised = normalise(record, events, dropped)
        if isinstance(normalised, Rejected):
            quarantine.put(normalised, record.raw)
            continue
        row = validate(anonymise(normalised, key, granularity), normalised, record)
        if isinstance(row, Rejected):
            quarantine.put(row, record.raw)
            continue
        if row.decision_id in seen:
            collected.duplicates += 1
            continue
        seen.add(row.decision_id)
        collected.rows.append(row)
        collected.events.merge(events)
        collected.dropped.merge(dropped)
    return collected

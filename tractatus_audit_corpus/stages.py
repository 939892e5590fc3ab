"""The per-record stages after normalisation, one row at a time: anonymise → validate. They are the
reference: `batches.run_records` gives the same values column by column (a test holds the two
equal) and calls them only for a row the model could refuse; every record that does not become a
row is quarantined with a reason.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from tractatus_audit_corpus.models import FullRow
from tractatus_audit_corpus.normalise import Normalised
from tractatus_datasets.anonymise import Granularity, coarsen
from tractatus_datasets.keys import ExportKey
from tractatus_datasets.pipeline import Rejected
from tractatus_datasets.records import RawRecord

__all__ = ["IDENTIFYING_FIELDS", "anonymise", "validate"]


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


def validate(values: dict[str, Any], record: RawRecord) -> FullRow | Rejected:
    """Check the row against the model; errors name fields, never echo values."""
    try:
        row = FullRow.model_validate(values)
    except ValidationError as error:
        errors = [(".".join(str(part) for part in e["loc"]), e["msg"]) for e in error.errors()]
        fields = ", ".join(field for field, _ in errors)
        messages = "; ".join(f"{field}: {message}" for field, message in errors)
        return Rejected(record.origin, record.line, "invalid_row", messages, fields)
    return row


# Raw identifiers the leak gate searches every written file for (facts §1.9).
IDENTIFYING_FIELDS = ("sessionId", "_id", "audit_id", "userId", "ipAddress", "userAgent")

"""The allow-list: which source fields the normaliser reads; everything else is dropped and counted.

Counts are by reason only. Key names of unknown fields are never written anywhere: an unknown
key can itself be personal (a user's e-mail used as a key, say).

| reason | fields |
|---|---|
| `personal` | `userId`, `ipAddress`, `userAgent` |
| `free_text` | action descriptions, instruction text, titles, conflict values, extracted parameters, the pattern's `context`/`reason`, violation `rulText`/`details` |
| `not_in_schema` | known enumerations and measurements the corpus does not carry (trend, metrics, confidence…) |
| `bookkeeping` | `__v`, `updatedAt`, `createdAt` when `timestamp` is present, violation subdocument `_id` |
| `unknown_field` / `unknown_metadata_key` | anything else |
"""

from __future__ import annotations

from typing import Any

from tractatus_audit_corpus import mapping
from tractatus_audit_corpus.vocab import Service, SourceFormat
from tractatus_datasets.pipeline import Tally

__all__ = ["READ_FIELDS", "READ_METADATA", "account_dropped"]

# Top-level fields each shape's normaliser reads (identifiers are read to be pseudonymised).
READ_FIELDS: dict[SourceFormat, frozenset[str]] = {
    SourceFormat.MONGODB_AUDITLOG: frozenset(
        {
            "_id",
            "sessionId",
            "action",
            "allowed",
            "rulesChecked",
            "violations",
            "metadata",
            "domain",
            "boundary",
            "tractatus_section",
            "service",
            "durationMs",
            "timestamp",
        }
    ),
    SourceFormat.LEGACY_JSONL: frozenset(
        {"timestamp", "sessionId", "action", "rulesChecked", "violations", "allowed", "metadata"}
    ),
    SourceFormat.AUDIT_LOGGER_PATTERN: frozenset(
        {"_id", "audit_id", "timestamp", "service", "decision", "rule_id"}
    ),
}

# Metadata keys the normaliser reads, whatever the service; plus each service's verdict key.
READ_METADATA = frozenset(
    {
        "boundary",
        "domain",
        "tractatus_section",
        "quadrant",
        "pressure_level",
        "pressure_level_numeric",
        "overall_pressure",
        "service",
        "durationMs",
    }
)

_PERSONAL = frozenset({"userId", "ipAddress", "userAgent"})
_BOOKKEEPING = frozenset({"__v", "updatedAt", "createdAt"})
_FREE_TEXT = frozenset({"context", "reason"})
_FREE_TEXT_METADATA = frozenset(
    {
        "actionType",
        "action_description",
        "instruction_text",
        "content_title",
        "conflict_details",
        "parameters",
    }
)
_NOT_IN_SCHEMA_METADATA = frozenset(
    {
        "requirementType",
        "enforcement_decision",
        "verification_multiplier",
        "trend",
        "metrics",
        "top_metric",
        "warnings_count",
        "recommendations_count",
        "validation_status",
        "conflicts_found",
        "critical_conflicts",
        "relevant_instructions",
        "validation_action",
        "persistence",
        "persistence_score",
        "explicitness",
        "verification",
        "temporal_scope",
        "source",
        "recency_weight",
        "confidence",
        "original_confidence",
        "decision",
        "level",
        "pressure_adjustment",
        "checks",
        "critical_failures",
        "failed_checks",
        "violation_count",
        "warning_count",
        "stats_found",
        "sources_provided",
        "recommendation",
        "action_required",
        "user_override_requested",
    }
)


def _metadata_reason(key: str) -> str:
    if key in _FREE_TEXT_METADATA:
        return "free_text"
    if key in _NOT_IN_SCHEMA_METADATA:
        return "not_in_schema"
    return "unknown_metadata_key"


def account_dropped(doc: dict[str, Any], shape: SourceFormat, service: Service, tally: Tally) -> None:
    """Count, by reason, every source value that will not reach the release."""
    read = READ_FIELDS[shape]
    for key, value in doc.items():
        if value is None or key in read:
            continue
        if key in _PERSONAL:
            tally.add("personal")
        elif key in _BOOKKEEPING:
            tally.add("bookkeeping")
        elif key in _FREE_TEXT:
            tally.add("free_text")
        elif key == "metadata":  # the AuditLogger pattern's metadata is not read at all
            for _ in value if isinstance(value, dict) else [value]:
                tally.add("free_text")
        else:
            tally.add("unknown_field")
    metadata = doc.get("metadata") if "metadata" in read else None
    if isinstance(metadata, dict):
        verdict_key = mapping.VERDICTS.get(service, ("", {}))[0]
        for key, value in metadata.items():
            if value is not None and key not in READ_METADATA and key != verdict_key:
                tally.add(_metadata_reason(key))
    for violation in doc.get("violations") or []:
        if isinstance(violation, dict):
            for key in ("rulText", "ruleText", "details"):
                if violation.get(key):
                    tally.add("free_text")
            if violation.get("_id") is not None:
                tally.add("bookkeeping")
